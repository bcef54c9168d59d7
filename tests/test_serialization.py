"""Units for laying domain values out through a schema (the response shapes)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mock_server.spec import SCHEMA_BASE, ApiSpec


@pytest.fixture
def spec(tmp_path: Path) -> ApiSpec:
    def write(rel: str, schema: dict) -> None:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"$id": SCHEMA_BASE + rel, **schema}))

    write("part.json", {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": ["string", "null"]}}})
    write("thing.json", {
        "type": "object",
        "allOf": [{"$ref": "part.json"}],
        "properties": {
            "n": {"type": "integer", "default": 1},
            "maybe": {"anyOf": [{"$ref": "part.json"}, {"type": "null"}]},
            "never_null": {"$ref": "part.json"},
            "items": {"type": "array", "items": {"$ref": "part.json"}},
            "free": {"type": "object"},
        },
    })
    (tmp_path / "openapi.json").write_text(json.dumps({"openapi": "3.1.0", "info": {"version": "t"}, "paths": {}}))
    return ApiSpec(tmp_path)


def test_every_property_present_default_or_null(spec: ApiSpec) -> None:
    """Unknown properties get their default, or null when nullable; others are left out."""
    shape = spec.shape({"$ref": "thing.json"})
    assert shape({"a": "x"}) == {"a": "x", "b": None, "n": 1, "maybe": None}


def test_nested_objects_and_arrays_are_shaped(spec: ApiSpec) -> None:
    """Objects inside anyOf, $ref and arrays are shaped too; unknown keys are dropped."""
    shape = spec.shape({"$ref": "thing.json"})
    out = shape({"a": "x", "secret": 1, "maybe": {"a": "y", "z": 2}, "never_null": {"b": "q"},
                 "items": [{"a": "1"}, {"b": "2", "zz": 3}]})
    assert out["maybe"] == {"a": "y", "b": None}
    assert out["never_null"] == {"b": "q"}
    assert out["items"] == [{"a": "1", "b": None}, {"b": "2"}]
    assert "secret" not in out


def test_free_form_objects_pass_through(spec: ApiSpec) -> None:
    """An object schema without properties keeps whatever the domain put in it."""
    shape = spec.shape({"$ref": "thing.json"})
    assert shape({"free": {"anything": [1, 2]}})["free"] == {"anything": [1, 2]}


def test_none_for_non_nullable_is_left_out(spec: ApiSpec) -> None:
    """A None the schema forbids is omitted rather than sent as null."""
    shape = spec.shape({"$ref": "thing.json"})
    assert "never_null" not in shape({"never_null": None})
    assert shape({"n": None})["n"] == 1
