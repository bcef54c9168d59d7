"""Judging one answer against our schemas, in drift terms.

Each violation of a schema becomes a `Finding` with a kind (`missing_required`,
`type_changed`, `enum_value_unknown`, `format_invalid`, `constraint_violated`), an error
severity and a JSON pointer into the answer. Fields the schema does not document are
`unknown_field` findings of severity info: our schemas allow them, but a newer API may
have added them. An answer with a status the operation does not document is a
`status_code` error.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from jsonschema.exceptions import ValidationError

from mock_server.schema import SCHEMA_BASE, flatten, leaf_error, missing_properties, pointer
from mock_server.spec import ApiSpec

from .transport import Answer

ERROR, INFO = "error", "info"
KINDS = {
    "required": "missing_required",
    "type": "type_changed",
    "enum": "enum_value_unknown",
    "const": "enum_value_unknown",
    "format": "format_invalid",
    "pattern": "format_invalid",
}


@dataclass
class Finding:
    endpoint: str
    path: str
    kind: str
    severity: str
    detail: str
    count: int = 1
    # For --spec findings: where the compared schema lives in the upstream document.
    upstream: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


# -- classifying schema violations -------------------------------------------------------------


def classify(errors: Iterable[ValidationError]) -> list[tuple[str, str, str]]:
    """(pointer, kind, detail) for each violation; a missing property is pointed at by name."""
    out: list[tuple[str, str, str]] = []
    for error in errors:
        leaf = leaf_error(error)
        where = list(leaf.absolute_path)
        if leaf.validator == "required":
            for name in missing_properties(leaf):
                out.append((pointer([*where, name]), "missing_required", f"required field {name!r} is missing"))
            continue
        kind = KINDS.get(str(leaf.validator), "constraint_violated")
        detail = leaf.message if len(leaf.message) <= 200 else leaf.message[:197] + "..."
        if kind == "type_changed":
            detail = f"expected {leaf.validator_value!r}, got {type_name(leaf.instance)} {short(leaf.instance)}"
        elif kind == "enum_value_unknown":
            detail = f"{short(leaf.instance)} is not one of {leaf.validator_value!r}"
        out.append((pointer(where), kind, detail))
    return list(dict.fromkeys(out))


def type_name(value: Any) -> str:
    names = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# -- undocumented fields -----------------------------------------------------------------------


def unknown_fields(spec: ApiSpec, schema: Any, instance: Any, base: str = SCHEMA_BASE,
                   where: tuple[Any, ...] = ()) -> Iterator[tuple[str, Any]]:
    """(pointer, value) of each member the schema does not document, at any depth."""
    node = flatten(schema, base, spec.schemas.resolve)
    if isinstance(instance, Mapping):
        if not node.properties and node.additional is None:
            return  # a free-form object: any member is documented
        for name, value in instance.items():
            if name in node.properties:
                yield from unknown_fields(spec, node.properties[name][0], value, node.properties[name][1],
                                          (*where, name))
            elif node.additional is not None:
                yield from unknown_fields(spec, node.additional[0], value, node.additional[1], (*where, name))
            else:
                yield pointer([*where, name]), value
    elif isinstance(instance, list) and node.items is not None:
        for index, value in enumerate(instance):
            yield from unknown_fields(spec, node.items[0], value, node.items[1], (*where, index))


# -- judging answers ---------------------------------------------------------------------------


def response_schema(spec: ApiSpec, operation_id: str, status: int) -> Any:
    """The raw response schema of an operation's status (refs relative to schemas/), or None."""
    op = spec.operations[operation_id]
    item = spec.openapi["paths"][op.path][op.method.lower()]
    response = item.get("responses", {}).get(str(status)) or {}
    return (response.get("content") or {}).get("application/json", {}).get("schema")


def schema_findings(spec: ApiSpec, schema: Any, instance: Any, endpoint: str) -> list[Finding]:
    """Violations (errors) and undocumented fields (info) of one JSON value."""
    validator = spec.validator(schema)
    findings = [Finding(endpoint, where, kind, ERROR, detail)
                for where, kind, detail in classify(validator.iter_errors(instance))]
    for where, value in unknown_fields(spec, schema, instance):
        findings.append(Finding(endpoint, where, "unknown_field", INFO,
                                f"undocumented field ({type_name(value)} {short(value, 40)})"))
    return findings


def check_answer(spec: ApiSpec, operation_id: str, answer: Answer, *, expected: Iterable[int] | None = None,
                 endpoint: str | None = None) -> list[Finding]:
    """Findings for an answer: its status (documented and expected), content type and body."""
    op = spec.operations[operation_id]
    endpoint = endpoint or f"{op.method} {op.path}"
    allowed = set(expected) if expected is not None else set(op.response_types)
    if answer.status not in allowed or answer.status not in op.response_types:
        documented = "documented" if answer.status in op.response_types else "undocumented"
        return [Finding(endpoint, "", "status_code", ERROR,
                        f"answered {answer.status} ({documented}); expected {sorted(allowed)}: {answer.excerpt(200)}")]
    media = op.response_types[answer.status]
    if answer.content_type != media:
        return [Finding(endpoint, "", "content_type", ERROR,
                        f"answered {answer.content_type or 'no content type'}; documented {media}")]
    schema = response_schema(spec, operation_id, answer.status)
    if schema is None:
        return []
    try:
        body = answer.json()
    except ValueError as exc:
        return [Finding(endpoint, "", "invalid_json", ERROR, f"the body is not JSON: {exc}")]
    return schema_findings(spec, schema, body, endpoint)


def merge(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per endpoint, kind and field, with list indexes folded ('/data/3/x' ~ '/data/0/x')."""
    merged: dict[tuple[str, str, str], Finding] = {}
    for finding in findings:
        key = (finding.endpoint, finding.kind, _fold(finding.path))
        if key in merged:
            merged[key].count += finding.count
        else:
            merged[key] = Finding(**finding.to_dict())
    return list(merged.values())


def _fold(path: str) -> str:
    return "/".join("*" if part.isdigit() else part for part in path.split("/"))


def errors_of(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == ERROR]


def describe(findings: Iterable[Finding], limit: int = 15) -> str:
    """Findings as lines for a failure message."""
    lines = [f"{f.endpoint} {f.path or '/'} [{f.kind}] {f.detail}" + (f" (x{f.count})" if f.count > 1 else "")
             for f in findings]
    if len(lines) > limit:
        lines = [*lines[:limit], f"... and {len(lines) - limit} more"]
    return "\n".join(lines)
