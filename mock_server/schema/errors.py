"""JSON pointers, and which field a validation error is about."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from jsonschema.exceptions import ValidationError


def pointer(parts: Iterable[Any]) -> str:
    """A JSON pointer (RFC 6901) from path parts: ['a', 0, 'b/c'] -> '/a/0/b~1c'."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def follow(document: Any, ref: str) -> Any:
    """The node a '#/a/b' JSON pointer names inside a document (KeyError, IndexError or TypeError when none)."""
    node = document
    for part in ref.removeprefix("#/").split("/"):
        key = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            if not key.isdigit():
                raise KeyError(key)
            node = node[int(key)]
        else:
            node = node[key]
    return node


def missing_properties(error: ValidationError) -> list[str]:
    """The properties a `required` violation lacks (jsonschema lists them all on each error)."""
    present = error.instance if isinstance(error.instance, Mapping) else {}
    wanted: Any = error.validator_value
    return [name for name in wanted if name not in present]


def leaf_error(error: ValidationError) -> ValidationError:
    """For an anyOf ('ref or null'), the error inside the non-null branch."""
    if error.validator in ("anyOf", "oneOf") and error.context:
        candidates = [e for e in error.context if not (e.validator == "type" and e.validator_value == "null")]
        if candidates:
            deepest = max(candidates, key=lambda e: len(e.absolute_path))
            return leaf_error(deepest)
    return error
