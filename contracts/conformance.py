"""Schemathesis over our OpenAPI document: status codes, content types and bodies as documented, no 5xx.

The document is the one the fake serves (our schema files bundled), so the same contract
judges the fake and the real API. The fake's own /__admin operations are left out: they
are not Sendcloud's API. Business-rule refusals of schema-valid bodies are legitimate
400s and unknown query parameters are ignored as Sendcloud does, so Schemathesis'
positive_data_acceptance and negative_data_rejection checks are excluded (as in
tests/test_fuzz.py). Half of the generated reads use identifiers that exist (a listed
return id, the configured brand), so answers with real data are judged too.
"""

from __future__ import annotations

from typing import Any

import requests
import schemathesis
from hypothesis import given
from hypothesis import strategies as st
from schemathesis.core.failures import FailureGroup

from .api import items, list_page
from .bodies import tame
from .context import Context, ContractFailure
from .hypo import run_settings, seeded
from .transport import READ_METHODS, WriteRefused

EXCLUDED_CHECKS = [schemathesis.checks.positive_data_acceptance, schemathesis.checks.negative_data_rejection]
READ_ONLY_EXCLUDED = [*EXCLUDED_CHECKS, schemathesis.checks.unsupported_method]
ID_READS = {"returns_v3_retrieve", "returns_v2_retrieve"}


def api_document(ctx: Context) -> dict[str, Any]:
    """Our bundled OpenAPI document without the fake's /__admin operations."""
    doc = ctx.spec.bundled_openapi()
    doc["paths"] = {path: item for path, item in doc["paths"].items() if not path.startswith("/__admin")}
    return doc


def known_values(ctx: Context) -> dict[str, list[Any]]:
    """Identifiers that exist on the target, to mix into generated reads."""
    ids: list[Any] = [ctx.identifiers.return_id] if ctx.identifiers.return_id else []
    try:
        ids += [item["id"] for item in items(list_page(ctx, 3, page_size=5)) if "id" in item]
    except ContractFailure:
        pass  # the list itself is judged by the generated cases
    brands = [ctx.identifiers.brand_domain] if ctx.identifiers.brand_domain else []
    return {"id": list(dict.fromkeys(ids)), "brand_domain": brands}


def openapi_conformance(ctx: Context) -> None:
    """Every operation (only reads unless writes are allowed) answers as documented."""
    schema = ctx.transport.prepare_schema(schemathesis.openapi.from_dict(api_document(ctx)))
    known = known_values(ctx)
    failures: dict[str, str] = {}
    checked = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.method.upper() not in READ_METHODS and not ctx.allow_writes:
            continue
        _fuzz(ctx, operation, known, failures)
        checked += 1
    ctx.log(f"openapi_conformance: {checked} operations, up to {ctx.max_examples} cases each")
    if failures:
        lines = [f"{label}\n    {detail}" for label, detail in failures.items()]
        raise ContractFailure(f"{len(failures)} check(s) failed:\n" + "\n".join(lines))


def _fuzz(ctx: Context, operation: Any, known: dict[str, list[Any]], failures: dict[str, str]) -> None:
    basic = any("basicAuth" in requirement for requirement in operation.definition.raw.get("security", []))
    headers = ctx.transport.basic_headers() if basic else {}
    excluded = READ_ONLY_EXCLUDED if ctx.transport.read_only else EXCLUDED_CHECKS
    reads = operation.method.upper() in READ_METHODS
    op_id = operation.definition.raw.get("operationId", "")

    @given(case=operation.as_strategy(), data=st.data())
    @run_settings(ctx)
    def run(case: Any, data: st.DataObject) -> None:
        if reads and data.draw(st.booleans(), label="use known identifiers"):
            _use_known(case, op_id, known, data)
        if not reads:
            tame(case.body)
        try:
            ctx.transport.call_case(case, headers=headers, excluded_checks=excluded)
        except FailureGroup as group:
            for failure in group.exceptions:
                key = f"{operation.label}: {failure.title}"
                failures.setdefault(key, ctx.transport.redact(_first_lines(str(failure))))
        except requests.RequestException as exc:
            failures.setdefault(f"{operation.label}: network error", ctx.transport.redact(exc))

    try:
        seeded(ctx, run)()
    except WriteRefused:
        raise
    except Exception as exc:  # noqa: BLE001 - a generation or transport error is this operation's failure
        failures.setdefault(f"{operation.label}: {type(exc).__name__}", ctx.transport.redact(_first_lines(str(exc))))


def _use_known(case: Any, op_id: str, known: dict[str, list[Any]], data: st.DataObject) -> None:
    path = case.path_parameters if case.path_parameters is not None else {}
    if op_id in ID_READS and known["id"] and "id" in path:
        path["id"] = data.draw(st.sampled_from(known["id"]), label="known id")
    if known["brand_domain"] and "brand_domain" in path:
        path["brand_domain"] = known["brand_domain"][0]


def _first_lines(text: str, limit: int = 12) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    out = "\n    ".join(lines[:limit])
    return out + ("\n    ..." if len(lines) > limit else "")
