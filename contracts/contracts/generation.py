"""Request bodies from our schemas: valid ones (hypothesis-jsonschema) and invalid mutations of them.

hypothesis-jsonschema 0.23 relies on a Hypothesis internal (`many.more()`) that newer
Hypothesis releases removed; generating any object then fails. When a probe shows that,
`body_strategy` falls back to a small generator for the constructs our schemas use
(types, enums, properties, required, items, lengths, bounds, patterns, formats, allOf and
the 'ref or null' anyOf), so the contracts run on either combination.
"""

from __future__ import annotations

import copy
import string
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

from hypothesis import strategies as st

from mock_server.schema import inline as inline_refs
from mock_server.schema import pointer
from mock_server.spec import ApiSpec

from ..checks import classify

TEXT = st.text(alphabet=string.ascii_letters + string.digits + " -_.", min_size=1, max_size=12)


def inline(spec: ApiSpec, rel: str) -> dict[str, Any]:
    """One of our schema files with every $ref replaced by its target (no refs left)."""
    return inline_refs(*spec.schemas.node(rel), spec.schemas.resolve)


@lru_cache(maxsize=1)
def hypothesis_jsonschema_works() -> bool:
    """Whether hypothesis-jsonschema can generate an object with the installed Hypothesis."""
    try:
        from hypothesis import HealthCheck, given, settings
        from hypothesis_jsonschema import from_schema
    except ImportError:
        return False
    ok: list[bool] = []

    @given(from_schema({"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}))
    @settings(max_examples=1, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    def probe(value: Any) -> None:
        ok.append(isinstance(value, dict))

    try:
        probe()
    except Exception:  # noqa: BLE001 - any failure means "does not work here"
        return False
    return bool(ok) and all(ok)


def body_strategy(spec: ApiSpec, rel: str) -> st.SearchStrategy[Any]:
    """Values valid against one of our schema files."""
    schema = inline(spec, rel)
    validator = spec.validator({"$ref": rel})
    if hypothesis_jsonschema_works():
        from hypothesis_jsonschema import from_schema

        return from_schema(schema).filter(validator.is_valid)
    return strategy_for(schema).filter(validator.is_valid)


# -- the fallback generator --------------------------------------------------------------------


def _merged(schema: Mapping[str, Any]) -> dict[str, Any]:
    """allOf parts folded into their parent (properties and required lists united)."""
    out = {k: v for k, v in schema.items() if k != "allOf"}
    for part in schema.get("allOf", []):
        part = _merged(part)
        props = {**part.get("properties", {}), **out.get("properties", {})}
        required = sorted(set(part.get("required", [])) | set(out.get("required", [])))
        for key, value in part.items():
            out.setdefault(key, value)
        if props:
            out["properties"] = props
        if required:
            out["required"] = required
    return out


def strategy_for(schema: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    """A strategy for the JSON Schema subset our schema files use."""
    schema = _merged(schema)
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "const" in schema:
        return st.just(schema["const"])
    if "anyOf" in schema:
        return st.one_of([strategy_for({**{k: v for k, v in schema.items() if k != "anyOf"}, **branch})
                          for branch in schema["anyOf"]])
    types = schema.get("type")
    if isinstance(types, list):
        return st.one_of([strategy_for({**schema, "type": t}) for t in types])
    if types is None:
        types = "object" if "properties" in schema else "string"
    return _BY_TYPE[types](schema)


def _object(schema: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    properties = schema.get("properties", {})
    required = [name for name in schema.get("required", []) if name in properties]
    fixed = {name: strategy_for(properties[name]) for name in required}
    optional = {name: strategy_for(sub) for name, sub in properties.items() if name not in required}
    missing = [name for name in schema.get("required", []) if name not in properties]
    fixed.update(dict.fromkeys(missing, TEXT))
    return st.fixed_dictionaries(fixed, optional=optional)


def _array(schema: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    items = schema.get("items", {})
    low = schema.get("minItems", 0)
    high = min(schema.get("maxItems", low + 3), low + 3)
    return st.lists(strategy_for(items) if items else TEXT, min_size=low, max_size=high)


def _string(schema: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    fmt = schema.get("format")
    if fmt == "date-time":
        return st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1),
                            timezones=st.just(timezone.utc)).map(lambda d: d.isoformat())
    if fmt == "date":
        return st.dates(min_value=datetime(1990, 1, 1).date(), max_value=datetime(2090, 1, 1).date()).map(str)
    if fmt == "email":
        return st.from_regex(r"[a-z]{1,8}@[a-z]{1,8}\.(nl|de|com)", fullmatch=True)
    if fmt == "uri":
        return st.from_regex(r"https://[a-z]{1,10}\.example/[a-z0-9]{0,8}", fullmatch=True)
    if "pattern" in schema:
        return st.from_regex(schema["pattern"], fullmatch=True).filter(
            lambda s: schema.get("minLength", 0) <= len(s) <= schema.get("maxLength", 10**6))
    low = schema.get("minLength", 0)
    high = schema.get("maxLength", max(low, 20))
    alphabet = st.characters(blacklist_categories=("Cs", "Cc"))
    return st.text(alphabet=alphabet, min_size=low, max_size=min(high, low + 30))


def _number(schema: Mapping[str, Any], integer: bool = False) -> st.SearchStrategy[Any]:
    low = schema.get("minimum")
    high = schema.get("maximum", 10**6)
    if "exclusiveMinimum" in schema:
        low = schema["exclusiveMinimum"] + (1 if integer else 0.001)
    if low is None:
        low = -(10**6)
    if integer:
        return st.integers(min_value=int(low), max_value=int(high))
    return st.floats(min_value=float(low), max_value=float(high), allow_nan=False, allow_infinity=False).map(
        lambda x: round(x, 3)).filter(lambda x: x >= low)


_BY_TYPE = {
    "object": _object,
    "array": _array,
    "string": _string,
    "integer": lambda s: _number(s, integer=True),
    "number": _number,
    "boolean": lambda s: st.booleans(),
    "null": lambda s: st.none(),
}


# -- invalid bodies ----------------------------------------------------------------------------

WRONG_VALUES: tuple[Any, ...] = ("not-a-valid-value", 12345, True, ["x"], {"x": 1})


def mutations(spec: ApiSpec, rel: str, body: Any) -> list[tuple[str, str, Any]]:
    """Ways to break a valid body: (description, pointer the server must name, broken body).

    Each drops one required field or gives one field a value of the wrong type, and is kept
    only when our schema then reports exactly that pointer.
    """
    validator = spec.validator({"$ref": rel})
    out: list[tuple[str, str, Any]] = []
    for where, required, node_schema in _objects(inline(spec, rel), body, ()):
        for name in required:
            broken = copy.deepcopy(body)
            _at(broken, where).pop(name)
            target = pointer([*where, name])
            if _names(validator, broken, target, "missing_required"):
                out.append((f"drop required {target}", target, broken))
        for name, sub in _merged(node_schema).get("properties", {}).items():
            if name not in _at(body, where) or ("type" not in _merged(sub) and "anyOf" not in sub):
                continue
            target = pointer([*where, name])
            for wrong in WRONG_VALUES:
                broken = copy.deepcopy(body)
                _at(broken, where)[name] = copy.deepcopy(wrong)
                if _names(validator, broken, target, "type_changed"):
                    out.append((f"wrong type at {target}: {wrong!r}", target, broken))
                    break
    return out


def _names(validator: Any, body: Any, target: str, kind: str) -> bool:
    return any(where == target and found == kind for where, found, _ in classify(validator.iter_errors(body)))


def _objects(schema: Mapping[str, Any], value: Any, where: tuple[Any, ...]
             ) -> Iterator[tuple[tuple[Any, ...], list[str], dict[str, Any]]]:
    """(pointer parts, required names, schema) of each object in `value` the schema describes."""
    schema = _merged(schema)
    if "anyOf" in schema:
        branch = next((b for b in schema["anyOf"] if b.get("type") != "null"), None)
        if branch is not None and value is not None:
            yield from _objects(branch, value, where)
        return
    if isinstance(value, dict):
        yield where, [name for name in schema.get("required", []) if name in value], schema
        for name, sub in schema.get("properties", {}).items():
            if name in value:
                yield from _objects(sub, value[name], (*where, name))
    elif isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        for index, item in enumerate(value[:2]):
            yield from _objects(schema["items"], item, (*where, index))


def _at(body: Any, where: tuple[Any, ...]) -> Any:
    node = body
    for part in where:
        node = node[part]
    return node
