"""One view of a schema: `$ref`, `allOf`, `anyOf`/`oneOf` and OpenAPI's `nullable` merged into plain facts.

`flatten(schema, base, resolve)` answers what a value may be at one level: its types, its
allowed values, its properties (each still a schema, with the URI its refs are relative to,
so a caller walks deeper only where it needs to), the required names, the item schema,
the schema of additional members, and its constraints as written. It follows JSON Schema:

- `allOf` parts all apply: types and enums intersect, properties and constraints join (a
  later part's, and the schema's own, win a clash), required names unite;
- `anyOf`/`oneOf` branches are alternatives: types unite (the "ref or null" pair is a
  nullable ref), the branches' properties join;
- members beside a `$ref` (OpenAPI 3.1 allows them) override the target's type and enum.

`resolve(ref, base)` finds a `$ref`'s target: `Schemas.resolve` for our files, or a
document's own `#/...` pointers for a published OpenAPI document.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Node = tuple[Any, str]  # a schema and the URI its $refs are relative to
Resolve = Callable[[str, str], Node]

MAX_DEPTH = 40
# The keywords kept as constraints, as written (formats and bounds are compared by drift --spec).
CONSTRAINTS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength", "maxLength",
               "minItems", "maxItems", "uniqueItems", "minProperties", "maxProperties", "pattern", "format", "const",
               "default", "additionalProperties")


@dataclass
class View:
    """What a schema allows at one level (see the module docstring); None for types or enum: unrestricted."""

    types: frozenset[str] | None = None
    enum: frozenset[str] | None = None  # each allowed value as json.dumps(value, sort_keys=True)
    properties: dict[str, Node] = field(default_factory=dict)
    required: frozenset[str] = frozenset()
    items: Node | None = None
    additional: Node | None = None  # additionalProperties, when it is a schema
    keywords: dict[str, Any] = field(default_factory=dict)

    @property
    def nullable(self) -> bool:
        """Whether null is named as allowed (by its type, or its enum)."""
        typed = self.types is not None and "null" in self.types
        return bool(typed or (self.enum is not None and "null" in self.enum))

    @property
    def has_default(self) -> bool:
        return "default" in self.keywords

    @property
    def default(self) -> Any:
        return self.keywords.get("default")

    @property
    def object_types(self) -> frozenset[str] | None:
        """The types, with an untyped schema that names properties or required ones read as an object."""
        if self.types is None and (self.properties or self.required):
            return frozenset({"object"})
        return self.types


def both(a: View, b: View) -> View:
    """Both views apply (allOf); b's properties, items and constraints win a clash."""
    types = a.types if b.types is None else b.types if a.types is None else a.types & b.types
    enum = a.enum if b.enum is None else b.enum if a.enum is None else a.enum & b.enum
    return View(types, enum, {**a.properties, **b.properties}, a.required | b.required, b.items or a.items,
                b.additional or a.additional, {**a.keywords, **b.keywords})


def flatten(schema: Any, base: str, resolve: Resolve, depth: int = 0) -> View:
    """The view of one schema (written in `base`): see the module docstring."""
    if not isinstance(schema, Mapping) or depth > MAX_DEPTH:
        return View()
    if "$ref" in schema:
        target, target_base = resolve(schema["$ref"], base)
        inner = flatten(target, target_base, resolve, depth + 1)
        rest = flatten({k: v for k, v in schema.items() if k != "$ref"}, base, resolve, depth + 1)
        merged = both(inner, rest)
        merged.types = rest.types if rest.types is not None else inner.types
        merged.enum = rest.enum if rest.enum is not None else inner.enum
        return merged
    view = View()
    for part in schema.get("allOf", []):
        view = both(view, flatten(part, base, resolve, depth + 1))
    for key in ("anyOf", "oneOf"):
        if key not in schema:
            continue
        union: set[str] = set()
        joined = View()
        for branch in schema[key]:
            found = flatten(branch, base, resolve, depth + 1)
            union |= found.types or set()
            joined = both(joined, View(None, found.enum, found.properties, found.required, found.items,
                                       found.additional, found.keywords))
        joined.types = frozenset(union)
        view = both(view, joined)
    return both(view, _own(schema, base))


def _own(schema: Mapping[str, Any], base: str) -> View:
    """What a schema says itself, without its combinators."""
    own = View()
    if "type" in schema:
        kind = schema["type"]
        own.types = frozenset([kind] if isinstance(kind, str) else kind)
    if schema.get("nullable") is True:  # OpenAPI 3.0
        own.types = (own.types or frozenset()) | {"null"}
    if "enum" in schema:
        own.enum = frozenset(json.dumps(value, sort_keys=True) for value in schema["enum"])
    own.properties = {name: (sub, base) for name, sub in (schema.get("properties") or {}).items()}
    own.required = frozenset(schema.get("required", []))
    if isinstance(schema.get("items"), Mapping):
        own.items = (schema["items"], base)
    if isinstance(schema.get("additionalProperties"), Mapping):
        own.additional = (schema["additionalProperties"], base)
    own.keywords = {key: schema[key] for key in CONSTRAINTS if key in schema}
    return own


# Annotations a generator has no use for.
ANNOTATIONS = frozenset({"$id", "$schema", "$comment", "examples", "description", "title", "deprecated", "readOnly"})


def inline(schema: Any, base: str, resolve: Resolve, *, drop: frozenset[str] = ANNOTATIONS, depth: int = 0) -> Any:
    """The schema with every `$ref` replaced by its target (and the `drop` keys left out): no refs left."""
    if depth > 50:
        raise ValueError("schema nesting too deep (a recursive $ref?)")
    if isinstance(schema, Mapping):
        if "$ref" in schema:
            target, target_base = resolve(schema["$ref"], base)
            return inline(target, target_base, resolve, drop=drop, depth=depth + 1)
        return {k: inline(v, base, resolve, drop=drop, depth=depth + 1) for k, v in schema.items() if k not in drop}
    if isinstance(schema, list):
        return [inline(v, base, resolve, drop=drop, depth=depth + 1) for v in schema]
    return schema
