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

from ..transport import READ_METHODS, WriteRefused
from .api import items, list_page
from .bodies import tame
from .context import Context, ContractFailure
from .hypo import run_settings, seeded

EXCLUDED_CHECKS = [schemathesis.checks.positive_data_acceptance, schemathesis.checks.negative_data_rejection]
READ_ONLY_EXCLUDED = [*EXCLUDED_CHECKS, schemathesis.checks.unsupported_method]
# On a fake started with --open-accounts, unknown credentials become a new account by design, so Schemathesis'
# "invalid credentials are refused" check does not apply (and would leave accounts behind); requests with no
# or malformed credentials must still be refused, which `auth_still_required` checks instead.
OPEN_ACCOUNTS_EXCLUDED = [schemathesis.checks.ignored_auth]
MALFORMED_AUTHORIZATION = ("", "Basic", "Basic !!!not-base64!!!", "Bearer not-a-token", "Digest x")
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
    if open_accounts(ctx):
        auth_still_required(ctx, failures)
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


def open_accounts(ctx: Context) -> bool:
    """Whether the target is a fake that turns unknown credentials into new accounts."""
    return bool(ctx.fake_settings.get("open_accounts"))


def own_client_id(body: Any, api_key: str | None) -> None:
    """On an open fake, a generated OAuth2 token request names the run's own account: a made-up
    `client_id` with any secret would become a new account there and outlive the run."""
    if isinstance(body, dict) and "client_id" in body and api_key:
        body["client_id"] = api_key


def auth_still_required(ctx: Context, failures: dict[str, str]) -> None:
    """With open accounts: no credentials, or credentials that are not a key/secret pair, still answer 401."""
    for header in (None, *MALFORMED_AUTHORIZATION):
        headers = {} if header is None else {"Authorization": header}
        answer = ctx.transport.get("/api/v3/returns", auth=None, headers=headers, params={"page_size": 1})
        if answer.status != 401:
            what = "no Authorization header" if header is None else f"Authorization: {header!r}"
            failures.setdefault(f"GET /api/v3/returns with {what}",
                                f"expected 401 (open accounts need a key/secret pair), got {answer.status}")


def _fuzz(ctx: Context, operation: Any, known: dict[str, list[Any]], failures: dict[str, str]) -> None:
    basic = any("basicAuth" in requirement for requirement in operation.definition.raw.get("security", []))
    headers = ctx.transport.basic_headers() if basic else {}
    excluded = READ_ONLY_EXCLUDED if ctx.transport.read_only else EXCLUDED_CHECKS
    if open_accounts(ctx):
        excluded = [*excluded, *OPEN_ACCOUNTS_EXCLUDED]
    reads = operation.method.upper() in READ_METHODS
    op_id = operation.definition.raw.get("operationId", "")

    @given(case=operation.as_strategy(), data=st.data())
    @run_settings(ctx)
    def run(case: Any, data: st.DataObject) -> None:
        ctx.count_case()
        if reads and data.draw(st.booleans(), label="use known identifiers"):
            _use_known(case, op_id, known, data)
        if not reads:
            tame(case.body)
            if open_accounts(ctx):
                own_client_id(case.body, ctx.transport.api_key)
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
