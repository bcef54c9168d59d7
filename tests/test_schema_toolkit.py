"""The one JSON-Schema toolkit (mock_server.schema): its view of a schema, and who may walk schemas.

The server (shapes), the kit (undocumented fields, drift --spec, generated bodies) and the
upstream comparison in tests/test_schemas_match_upstream.py all read schemas through
`flatten()` and `inline()`; nothing else resolves a `$ref`. The kit imports only public
names from the server.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from mock_server.config import resource_dir
from mock_server.schema import SCHEMA_BASE, Node, Schemas, flatten, follow, inline, pointer

PROJECT = Path(__file__).resolve().parents[1]
SCHEMAS = Schemas(resource_dir("schemas"))


def in_doc(document: dict[str, Any]) -> Any:
    def resolve(ref: str, base: str) -> Node:
        return follow(document, ref), base
    return resolve


DOC: dict[str, Any] = {"components": {"schemas": {
    "address": {"type": "object", "properties": {"city": {"type": "string"}, "zip": {"type": "string"}},
                "required": ["city"]},
    "named": {"type": "object", "properties": {"name": {"type": "string", "maxLength": 20}}},
    "state": {"type": "string", "enum": ["open", "closed"]},
}}}
RESOLVE = in_doc(DOC)


def test_allof_parts_all_apply() -> None:
    """allOf: properties join (own ones win), required names unite, types intersect."""
    view = flatten({"allOf": [{"$ref": "#/components/schemas/address"}, {"$ref": "#/components/schemas/named"}],
                    "type": ["object", "null"], "required": ["name"]}, "", RESOLVE)
    assert list(view.properties) == ["city", "zip", "name"]
    assert view.required == {"city", "name"}
    assert view.types == {"object"} and not view.nullable  # null fails the address part


def test_the_ref_or_null_pair_is_a_nullable_ref() -> None:
    view = flatten({"anyOf": [{"$ref": "#/components/schemas/address"}, {"type": "null"}]}, "", RESOLVE)
    assert view.nullable and view.types == {"object", "null"} and "city" in view.properties


def test_members_beside_a_ref_override_its_type_and_enum() -> None:
    """OpenAPI 3.1 habit: `{$ref, type: [string, null]}` is the target, nullable."""
    view = flatten({"$ref": "#/components/schemas/state", "type": ["string", "null"]}, "", RESOLVE)
    assert view.types == {"string", "null"} and view.enum == {'"open"', '"closed"'}


def test_openapi_3_0_nullable_and_constraints() -> None:
    view = flatten({"type": "string", "nullable": True, "maxLength": 5, "format": "uri", "default": "x"}, "", RESOLVE)
    assert view.nullable and view.keywords == {"maxLength": 5, "format": "uri", "default": "x"}
    assert view.has_default and view.default == "x"


def test_oneof_branches_are_alternatives() -> None:
    view = flatten({"oneOf": [{"type": "string"}, {"type": "integer"}]}, "", RESOLVE)
    assert view.types == {"string", "integer"}


def test_free_form_and_typed_maps() -> None:
    free = flatten({"type": "object"}, "", RESOLVE)
    typed = flatten({"type": "object", "additionalProperties": {"$ref": "#/components/schemas/state"}}, "", RESOLVE)
    assert free.additional is None and not free.properties
    assert typed.additional is not None and flatten(*typed.additional, RESOLVE).enum == {'"open"', '"closed"'}


def test_our_files_resolve_relative_to_their_own_uri() -> None:
    """address-required.json is address.json (a relative ref) with more required fields."""
    view = flatten(*SCHEMAS.node("common/address-required.json"), SCHEMAS.resolve)
    assert {"name", "postal_code", "country_code"} <= view.required and "address_line_1" in view.properties
    postal = flatten(*view.properties["postal_code"], SCHEMAS.resolve)
    assert postal.types is not None and "string" in postal.types


def test_inline_leaves_no_ref() -> None:
    inlined = inline(*SCHEMAS.node("returns-v3/create-return-request.json"), SCHEMAS.resolve)
    assert '"$ref"' not in repr(inlined).replace("'", '"') and "from_address" in inlined["properties"]
    assert SCHEMAS.validator({"$ref": "returns-v3/create-return-request.json"}).schema["$id"].startswith(SCHEMA_BASE)


def test_pointers() -> None:
    assert pointer(["a", 0, "b/c", "d~e"]) == "/a/0/b~1c/d~0e"
    assert follow({"a": [{"b/c": 1}]}, "#/a/0/b~1c") == 1
    with pytest.raises(KeyError):
        follow({"a": [1]}, "#/a/x")


# -- who may walk schemas ------------------------------------------------------------------------

def _python_files(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (PROJECT / folder).rglob("*.py"))


def test_only_the_toolkit_resolves_refs() -> None:
    """No module outside mock_server/schema/ looks a $ref up in a registry itself (one walker, not four)."""
    toolkit = PROJECT / "mock_server" / "schema"
    offenders = [str(path.relative_to(PROJECT)) for path in _python_files("mock_server", "contracts", "tests")
                 if toolkit not in path.parents and path.name != Path(__file__).name
                 and ".resolver(" in path.read_text(encoding="utf-8")]
    assert offenders == []


def _private_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "mock_server":
            parts = (node.module or "").split(".")
            found += [f"{node.module} (module)" for part in parts if part.startswith("_")]
            found += [f"{node.module}.{alias.name}" for alias in node.names if alias.name.startswith("_")]
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if alias.name.split(".")[0] == "mock_server"
                      and any(p.startswith("_") for p in alias.name.split("."))]
    return found


def test_the_kit_imports_no_private_name_from_the_server() -> None:
    """contracts/ uses the server's public API only: no `from mock_server.x import _y`, no `mock_server._x`."""
    offenders = {str(path.relative_to(PROJECT)): names for path in _python_files("contracts")
                 if (names := _private_imports(path))}
    assert offenders == {}


def test_the_private_import_check_can_fail(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from mock_server.spec import _object_shape, ApiSpec\nimport mock_server._hidden\n"
                      "from mock_server import Settings\n")
    assert _private_imports(sample) == ["mock_server.spec._object_shape", "mock_server._hidden"]
