"""Liberal input, as Django REST framework fields are: driven by the body's schema, not by field.

Production is a DRF service: its IntegerField takes "12", its DecimalField "9.95", its
CharField 1234 (as "1234"), its BooleanField "true" or 1. `coerce` finds every value whose
JSON type the schema refuses (from the validator's own type errors, refs and 'or null'
branches included), converts those DRF would convert, and leaves the rest for the usual
precise 400.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Iterable
from itertools import islice
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

_INTEGER = re.compile(r"\s*[+-]?\d{1,19}(\.0*)?\s*")
_NUMBER = re.compile(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?\s*")
# DRF's BooleanField TRUE_VALUES / FALSE_VALUES (strings compared case-insensitively).
DRF_TRUE = frozenset({"t", "y", "yes", "true", "on", "1"})
DRF_FALSE = frozenset({"f", "n", "no", "false", "off", "0"})
_UNCHANGED = object()
# Each round fixes the type errors one validation reports; nested ones can show up only after
# their parent is fixed, so a few rounds are allowed.
_ROUNDS = 4
# No client sends thousands of mistyped values; past this many the body is left as sent.
_MOST = 1000


def coerce(validator: Draft202012Validator, body: Any) -> Any:
    """The body with every value converted that a DRF field of the schema's type would accept."""
    copied = False
    for _ in range(_ROUNDS):
        changed = False
        for error in islice(_type_errors(validator.iter_errors(body)), _MOST):
            value = _convert(error.instance, _wanted(error.validator_value))
            if value is _UNCHANGED:
                continue
            path = list(error.absolute_path)
            if not path:
                return value
            if not copied:
                # The request's own objects stay as sent (the journal and the raw body agree).
                body, copied = copy.deepcopy(body), True
            changed = _set(body, path, value) or changed
        if not changed:
            break
    return body


def _type_errors(errors: Iterable[ValidationError]) -> Iterable[ValidationError]:
    """Type errors, including those inside anyOf/oneOf branches (the 'ref or null' unions)."""
    for error in errors:
        if error.validator == "type":
            yield error
        elif error.context:
            yield from _type_errors(error.context)


def _wanted(types: Any) -> list[str]:
    return [types] if isinstance(types, str) else list(types)


def _convert(value: Any, wanted: list[str]) -> Any:
    """What a DRF field of one of these types makes of this value, or _UNCHANGED if it refuses."""
    if isinstance(value, bool):
        return _UNCHANGED
    if isinstance(value, str):
        text = value.strip()
        if "integer" in wanted and _INTEGER.fullmatch(value):
            return int(text.split(".")[0])
        if "number" in wanted and _NUMBER.fullmatch(value):
            number = float(text)
            if math.isfinite(number):
                return int(number) if number.is_integer() and "." not in text and "e" not in text.lower() else number
        if "boolean" in wanted and text.lower() in DRF_TRUE | DRF_FALSE:
            return text.lower() in DRF_TRUE
        return _UNCHANGED
    if isinstance(value, (int, float)):
        if "string" in wanted and (not isinstance(value, float) or math.isfinite(value)):
            return str(value)
        if "boolean" in wanted and value in (0, 1):
            return value == 1
    return _UNCHANGED


def _set(node: Any, path: list[Any], value: Any) -> bool:
    """Put value at path inside node (in place); False when the path is not there."""
    for step in path[:-1]:
        in_list = isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node)
        if (isinstance(node, dict) and step in node) or in_list:
            node = node[step]
        else:
            return False
    last = path[-1]
    if (isinstance(node, dict) and last in node) or (isinstance(node, list) and isinstance(last, int)
                                                     and 0 <= last < len(node)):
        node[last] = value
        return True
    return False
