"""Our schemas and OpenAPI document, loaded once at start: validators, shapes, the served document.

Everything about a request or response that a schema can say is said in `schemas/`;
this module turns it into compiled validators (requests, and responses when asked)
and into "shapes" that serialize domain dicts through the response schemas.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from .errors import ERROR_SCHEMA_STYLES, Problem, Style
from .schema import SCHEMA_BASE, Schemas, View, flatten, leaf_error, missing_properties, pointer

OPENAPI_FILE = "openapi.json"
HTTP_METHODS = ("get", "post", "put", "patch", "delete")
# The v2 APIs (Returns v2, Return portal, Service points) and the OAuth2 token endpoint coerce
# request bodies like Django REST framework fields; the v3 APIs validate them as written.
LIBERAL_PREFIXES = ("/api/v2/", "/oauth2/")
# An unmatched path's error style is decided by its first few segments (bounded work per path).
MAX_STYLE_SEGMENTS = 8


Shape = Callable[[Any], Any]


@dataclass(eq=False)
class Parameter:
    name: str
    location: str  # query, path or header
    required: bool
    schema: Mapping[str, Any]
    validator: Draft202012Validator


@dataclass
class Operation:
    """One documented operation: its parameters, body schema and response shapes."""

    operation_id: str
    method: str
    path: str
    parameters: list[Parameter]
    body_validator: Draft202012Validator | None
    shapes: dict[int, Shape] = field(default_factory=dict)
    response_validators: dict[int, Draft202012Validator] = field(default_factory=dict)
    response_types: dict[int, str] = field(default_factory=dict)
    # The error format its documented 4xx answers use (None: it documents none).
    error_style: Style | None = None
    # Its body is read as Django REST framework fields read theirs (see coercion.py).
    liberal_input: bool = False
    # A requestBody marked `required: false` may be empty or absent (read as {}).
    body_optional: bool = False
    # Its documented `security`: alternatives, each the names of the schemes it needs together.
    security: list[dict[str, Any]] = field(default_factory=list)
    # The purpose a portal JWT must carry to open it (`x-token-purpose`), for bearerAuth.
    token_purpose: str | None = None
    # The check its security asks for, run before its input is read (security.bind sets it).
    guard: Callable[..., None] | None = None


class ApiSpec:
    """The schemas folder, compiled."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.schemas = Schemas(folder, skip=(OPENAPI_FILE,))
        self.documents: dict[str, dict[str, Any]] = self.schemas.documents
        self.registry = self.schemas.registry
        with (folder / OPENAPI_FILE).open(encoding="utf-8") as handle:
            self.openapi: dict[str, Any] = json.load(handle)
        self.operations: dict[str, Operation] = {}
        for path, item in self.openapi["paths"].items():
            shared_params = item.get("parameters", [])
            for method in HTTP_METHODS:
                if method in item:
                    op = self._compile_operation(path, method, item[method], shared_params)
                    self.operations[op.operation_id] = op
        self.version = self.openapi["info"]["version"]
        self._nearest_styles: dict[tuple[str, ...], Style | None] = {}

    # -- compiling -----------------------------------------------------------------------

    def validator(self, schema: Mapping[str, Any]) -> Draft202012Validator:
        """A validator for a schema that may $ref our files (refs relative to schemas/)."""
        return self.schemas.validator(schema)

    def _compile_operation(
        self, path: str, method: str, raw: Mapping[str, Any], shared: list[Mapping[str, Any]]
    ) -> Operation:
        parameters = [
            Parameter(
                name=p["name"],
                location=p["in"],
                required=bool(p.get("required", p["in"] == "path")),
                schema=p.get("schema", {}),
                validator=self.validator(p.get("schema", {})),
            )
            for p in [*shared, *raw.get("parameters", [])]
        ]
        body_validator = None
        body = raw.get("requestBody")
        if body:
            schema = body["content"]["application/json"]["schema"]
            body_validator = self.validator(schema)
        op = Operation(raw["operationId"], method.upper(), path, parameters, body_validator,
                       liberal_input=path.startswith(LIBERAL_PREFIXES),
                       body_optional=body is not None and body.get("required") is False,
                       security=list(raw.get("security", self.openapi.get("security", []))),
                       token_purpose=raw.get("x-token-purpose"))
        for status, response in raw.get("responses", {}).items():
            content = response.get("content") or {}
            for media_type, media in content.items():
                op.response_types[int(status)] = media_type
                if media_type == "application/json" and "schema" in media:
                    style = ERROR_SCHEMA_STYLES.get(media["schema"].get("$ref", ""))
                    if style is not None and 400 <= int(status) < 500 and op.error_style is None:
                        op.error_style = style
                    op.shapes[int(status)] = self.shape(media["schema"])
                    op.response_validators[int(status)] = self.validator(media["schema"])
        return op

    def shape(self, schema: Mapping[str, Any], base: str = SCHEMA_BASE) -> Shape:
        """A function that lays a domain value out as the schema says (see `_object_shape`)."""
        return self._shape_of(flatten(schema, base, self.schemas.resolve))

    def _shape_of(self, view: View) -> Shape:
        if view.properties:
            fields = []
            for name, (sub, base) in view.properties.items():
                sub_view = flatten(sub, base, self.schemas.resolve)
                fields.append((name, self._shape_of(sub_view), sub_view.nullable, sub_view.has_default,
                               sub_view.default))
            return _object_shape(fields)
        if view.items is not None:
            return _array_shape(self._shape_of(flatten(*view.items, self.schemas.resolve)))
        return _identity

    def nearest_error_style(self, path: str) -> Style | None:
        """The error style of the documented operations nearest a path no operation serves (a 404 or 405).

        Nearest: those sharing the most leading path segments with it (a `{template}` matches any
        segment); among them the style most of them document, the fake's default (v2) on a tie;
        None when no documented operation shares a segment.
        """
        parts = tuple(part for part in path.split("/") if part)[:MAX_STYLE_SEGMENTS]
        if parts not in self._nearest_styles:
            if len(self._nearest_styles) >= 1024:  # the paths are the clients' choice: keep the memory bounded
                self._nearest_styles.clear()
            self._nearest_styles[parts] = self._nearest_error_style(parts)
        return self._nearest_styles[parts]

    def _nearest_error_style(self, parts: tuple[str, ...]) -> Style | None:
        best, votes = 0, Counter[Style]()
        for op in self.operations.values():
            if op.error_style is None:
                continue
            shared = 0
            for ours, theirs in zip(parts, (p for p in op.path.split("/") if p), strict=False):
                if ours != theirs and not theirs.startswith("{"):
                    break
                shared += 1
            if shared > best:
                best, votes = shared, Counter()
            if shared == best and shared > 0:
                votes[op.error_style] += 1
        if not votes:
            return None
        top = max(votes.values())
        leaders = sorted(style for style, count in votes.items() if count == top)
        return "v2" if "v2" in leaders else leaders[0]

    # -- the served document -------------------------------------------------------------

    @cached_property
    def served_openapi(self) -> dict[str, Any]:
        """The bundled document, built on first use and kept."""
        return self.bundled_openapi()

    def bundled_openapi(self) -> dict[str, Any]:
        """The OpenAPI document with every schema file inlined under components/schemas."""
        doc = copy.deepcopy(self.openapi)
        schemas = doc.setdefault("components", {}).setdefault("schemas", {})
        for rel, contents in self.documents.items():
            inlined = _rewrite_refs(copy.deepcopy(contents), SCHEMA_BASE + rel)
            inlined.pop("$id", None)
            inlined.pop("$schema", None)
            schemas[component_name(rel)] = inlined
        doc["paths"] = _rewrite_refs(doc["paths"], SCHEMA_BASE)
        return doc


def _identity(value: Any) -> Any:
    return value


def _object_shape(fields: list[tuple[str, Shape, bool, bool, Any]]) -> Shape:
    """Every listed property appears: the domain's value, else the default, else null when allowed.

    A property the domain does not know (absent or None) that may not be null is left out.
    """

    # Scalars pass through unchanged: calling _identity for each would only cost time.
    plan = [(name, None if sub is _identity else sub, nullable, has_default,
             default if isinstance(default, (str, int, float, bool, type(None))) else None,
             has_default and not isinstance(default, (str, int, float, bool, type(None))), default)
            for name, sub, nullable, has_default, default in fields]

    def shape(value: Any) -> Any:
        # dict first: the common case, and cheaper than the Mapping ABC check.
        if not isinstance(value, dict) and not isinstance(value, Mapping):
            return value
        out = {}
        get = value.get
        for name, sub, nullable, has_default, plain_default, copy_default, default in plan:
            item = get(name)
            if item is not None:
                out[name] = item if sub is None else sub(item)
            elif has_default:
                out[name] = copy.deepcopy(default) if copy_default else plain_default
            elif nullable:
                out[name] = None
        return out

    # Encoders that remember the encoding of parts (operations.respond) find the parts' shapes here.
    shape.members = {name: sub for name, sub, *_ in fields}  # type: ignore[attr-defined]
    return shape


def _array_shape(item_shape: Shape) -> Shape:
    if item_shape is _identity:
        return _identity

    def shape(value: Any) -> Any:
        if not isinstance(value, list):
            return value
        return [item_shape(v) for v in value]

    shape.item = item_shape  # type: ignore[attr-defined]
    return shape


def component_name(rel: str) -> str:
    return rel[: -len(".json")].replace("/", ".")


def _rewrite_refs(node: Any, base: str) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and not value.startswith("#"):
                uri = urljoin(base, value)
                out[key] = "#/components/schemas/" + component_name(uri[len(SCHEMA_BASE):])
            else:
                out[key] = _rewrite_refs(value, base)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(v, base) for v in node]
    return node


# -- turning validation errors into Sendcloud problems -------------------------------------


def problems_from(errors: Iterable[ValidationError], *, parameter: str | None = None,
                  header: str | None = None, limit: int = 20) -> list[Problem]:
    """Name the exact field of each schema violation, in Sendcloud's codes."""
    problems: list[Problem] = []
    for error in sorted(errors, key=lambda e: [str(p) for p in e.absolute_path]):
        leaf = leaf_error(error)
        where = list(leaf.absolute_path)
        if leaf.validator == "required":
            for name in missing_properties(leaf):
                problems.append(_problem("required", "This field is required.", [*where, name], parameter, header))
        else:
            code, detail = _describe(leaf)
            problems.append(_problem(code, detail, where, parameter, header))
        if len(problems) >= limit:
            break
    # jsonschema reports each missing property as its own error listing all of them.
    return list(dict.fromkeys(problems))[:limit]


def _describe(error: ValidationError) -> tuple[str, str]:
    kind = error.validator
    value: Any = error.validator_value
    if kind == "type" and error.instance is None:
        return "null", "This field may not be null."
    if kind == "type":
        wanted = value if isinstance(value, list) else [value]
        names = " or ".join("a valid " + ("number" if w == "number" else w) for w in wanted if w != "null")
        return "invalid", f"Expected {names or 'null'}."
    if kind == "enum":
        choices = ", ".join(json.dumps(v) for v in value)
        return "invalid_choice", f"{_short(error.instance)} is not a valid choice. Valid choices: {choices}."
    if kind in ("minimum", "exclusiveMinimum"):
        relation = "greater than or equal to" if kind == "minimum" else "greater than"
        return "min_value", f"Ensure this value is {relation} {value}."
    if kind == "maximum":
        return "invalid", f"Ensure this value is less than or equal to {value}."
    if kind == "minLength":
        if value == 1:
            return "invalid", "This field may not be blank."
        return "invalid", f"Ensure this field has at least {value} characters."
    if kind == "maxLength":
        return "invalid", f"Ensure this field has no more than {value} characters."
    if kind == "minItems":
        return "invalid", f"Ensure this list has at least {value} items."
    if kind == "maxItems":
        return "invalid", f"Ensure this list has no more than {value} items."
    if kind == "pattern":
        return "invalid", "This value does not have the expected format."
    if kind == "format":
        return "invalid", f"Enter a valid {value}."
    return "invalid", "Invalid value."


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _problem(code: str, detail: str, where: list[Any], parameter: str | None, header: str | None) -> Problem:
    if parameter is not None:
        return Problem(code, detail, parameter=parameter)
    if header is not None:
        return Problem(code, detail, header=header)
    return Problem(code, detail, pointer=pointer(where))
