"""Errors are data: each knows its HTTP status and renders in the format of the API it came from.

Sendcloud answers errors in three styles:
- "v3": {"errors": [{"field", "message", "code", "status", "title", "detail", "source": {...}}]}, each item
  both the v3 spec's `errors` item (field, message, code) and its JSON:API `ErrorObject`
- "v2", Returns v2 and Service points: {"error": {"code": <HTTP status integer>, "message", "request"}}
- "portal", the Return portal (and announce-synchronously, and the fake's own admin API):
  {"error": {"code": "<string code>", "message", "request"}}

Which style an answer takes is chosen in one place (`app.error_style`), from the
operation's documented error schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Style = Literal["v3", "v2", "portal"]

# Each error schema of schemas/ and the style that renders it: an operation answers its
# errors in the style of the error schema its responses document.
ERROR_SCHEMA_STYLES: dict[str, Style] = {
    "errors/v3-errors.json": "v3",
    "errors/v2-error.json": "v2",
    "errors/portal-error.json": "portal",
}

# The codes the v3 spec's `errors` schema allows on field errors (its 400 answers); any other
# code of ours is reported there as "invalid" (the JSON:API members keep the detail).
V3_FIELD_CODES = frozenset({"unknown_field", "invalid", "forbidden", "invalid_choice", "min_value", "null",
                            "not_found", "required", "not_a_list"})
# Django REST framework's name for an error that belongs to no single field.
NON_FIELD = "non_field_errors"

TITLES = {
    400: "Bad request",
    401: "Authentication failed",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request body too large",
    415: "Unsupported media type",
    429: "Too many requests",
    500: "Server error",
    503: "Service unavailable",
    507: "Insufficient storage",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request: which field (pointer, parameter or header) and why."""

    code: str
    detail: str
    pointer: str | None = None
    parameter: str | None = None
    header: str | None = None
    title: str | None = None

    def source(self) -> dict[str, str] | None:
        for key in ("pointer", "parameter", "header"):
            value = getattr(self, key)
            if value is not None:
                return {key: value}
        return None

    def field_name(self) -> str | None:
        if self.pointer is not None:
            return self.pointer.strip("/").replace("/", ".") or None
        return self.parameter or self.header


@dataclass
class ApiError(Exception):
    status: int
    problems: list[Problem]
    headers: dict[str, str] = field(default_factory=dict)
    # A body that replaces the rendered one (Sendcloud's own odd shapes, such as the cancel 409).
    body: Any = None

    @classmethod
    def one(cls, status: int, code: str, detail: str, **where: Any) -> ApiError:
        headers = where.pop("headers", None) or {}
        return cls(status, [Problem(code, detail, **where)], headers)

    def render(self, style: Style, request_path: str) -> dict[str, Any]:
        if self.body is not None:
            return self.body
        if style in ("v2", "portal"):
            first = self.problems[0]
            name = first.field_name()
            message = f"{name}: {first.detail}" if name and len(self.problems) == 1 else first.detail
            if len(self.problems) > 1:
                message = "; ".join(
                    f"{p.field_name()}: {p.detail}" if p.field_name() else p.detail for p in self.problems
                )
            code: int | str = self.status if style == "v2" else first.code
            return {"error": {"code": code, "message": message, "request": request_path.lstrip("/")}}
        errors = []
        for problem in self.problems:
            code = problem.code
            if self.status == 400 and code not in V3_FIELD_CODES:
                code = "invalid"
            item: dict[str, Any] = {
                "field": problem.field_name() or NON_FIELD,
                "message": problem.detail,
                "code": code,
                "status": str(self.status),
                "title": problem.title or TITLES.get(self.status, "Error"),
                "detail": problem.detail,
            }
            source = problem.source()
            if source:
                item["source"] = source
            errors.append(item)
        return {"errors": errors}
