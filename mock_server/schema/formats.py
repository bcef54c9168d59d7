"""The `format` values the fake checks (date-time, date, email, uri), as production's serializers do."""

from __future__ import annotations

import re
from datetime import date, datetime
from urllib.parse import urlsplit

from jsonschema import FormatChecker

FORMATS = FormatChecker(formats=())


@FORMATS.checks("date-time", raises=ValueError)
def is_datetime(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", value):
        raise ValueError("not an RFC 3339 date-time")
    datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


@FORMATS.checks("date", raises=ValueError)
def is_date(value: object) -> bool:
    if isinstance(value, str):
        if not re.fullmatch(r"\d{4}-\d\d-\d\d", value):
            raise ValueError("not a date")
        date.fromisoformat(value)
    return True


@FORMATS.checks("email")
def is_email(value: object) -> bool:
    return not isinstance(value, str) or bool(re.fullmatch(r"[^@\s]+@[^@\s]+", value))


@FORMATS.checks("uri")
def is_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme and parts.netloc)
