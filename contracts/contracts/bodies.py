"""Create bodies generated from our schema: valid ones are accepted, broken ones refused naming the field."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from ..checks import check_answer, describe, errors_of
from ..transport import Answer
from .api import V3_RETURNS, expect, return_body
from .context import Context, ContractFailure
from .generation import body_strategy, mutations
from .hypo import run_settings, seeded

CREATE_SCHEMA = "returns-v3/create-return-request.json"
# What a generated body keeps from the known-good one when anchored: the parts that must
# name things the account really has (addresses it can ship between, a shipping option).
ANCHORED = ("from_address", "to_address", "ship_with", "weight", "brand_id")
# Our schema sets no maximum on collo_count, and every collo is a parcel with a label: a
# generated 900000 would create that many parcels on the target. Generated bodies keep it small.
MAX_COLLI = 2


def tame(body: Any) -> Any:
    """The body with an integer collo_count capped at MAX_COLLI (still valid: the minimum is 1)."""
    collo_count = body.get("collo_count") if isinstance(body, dict) else None
    if isinstance(collo_count, int) and not isinstance(collo_count, bool):
        body["collo_count"] = max(1, min(body["collo_count"], MAX_COLLI))
    return body


def create_bodies_round_trip(ctx: Context) -> None:
    """Valid generated bodies answer 201 (or a business-rule 400 naming a field); broken ones a 400 naming it."""
    ctx.require_writes("creates returns")
    base = return_body(ctx)
    problems: list[str] = []
    created = _post(ctx, base)
    if created.status != 201:
        raise ContractFailure(f"the known-good body was refused: {created.status} {created.excerpt()}")
    expect(ctx, "returns_v3_create", created, [201], "creating a return from the known-good body")
    ctx.created_returns.append(created.json()["return_id"])
    accepted = [1]

    @given(body=body_strategy(ctx.spec, CREATE_SCHEMA), anchor=st.integers(0, 3).map(bool))
    @run_settings(ctx)
    def valid(body: dict[str, Any], anchor: bool) -> None:
        ctx.count_case()
        if anchor:
            body = {**{k: v for k, v in body.items() if k not in ANCHORED},
                    **{k: base[k] for k in ANCHORED if k in base}}
        answer = _post(ctx, tame(body))
        findings = errors_of(check_answer(ctx.spec, "returns_v3_create", answer, expected=[201, 400]))
        if findings:
            problems.append(f"valid body -> {answer.status}:\n{describe(findings)}")
            return
        if answer.status == 201:
            accepted[0] += 1
            ctx.created_returns.append(answer.json()["return_id"])
        elif not all(_source(error) for error in answer.json()["errors"]):
            problems.append(f"business-rule 400 without a field: {answer.excerpt()}")

    candidates = mutations(ctx.spec, CREATE_SCHEMA, base)
    if not candidates:
        raise ContractFailure("the known-good body offers nothing to break (no required or typed field)")

    @given(mutation=st.sampled_from(candidates))
    @run_settings(ctx)
    def invalid(mutation: tuple[str, str, Any]) -> None:
        ctx.count_case()
        what, target, broken = mutation
        answer = _post(ctx, broken)
        if answer.status == 201 and isinstance(answer.json_or_none(), dict):
            ctx.created_returns.append(answer.json()["return_id"])  # accepted in error: clean it up too
        if answer.status != 400:
            problems.append(f"{what}: expected 400, got {answer.status} {answer.excerpt(200)}")
            return
        body = answer.json_or_none()
        if not names_field(body, target):
            problems.append(f"{what}: the 400 does not name {target}: {answer.excerpt(300)}")

    seeded(ctx, valid)()
    seeded(ctx, invalid)()
    ctx.log(f"create_bodies_round_trip: {accepted[0]} bodies accepted")
    if problems:
        unique = list(dict.fromkeys(problems))
        raise ContractFailure(f"{len(unique)} problem(s):\n" + "\n".join(unique[:15]))


def _post(ctx: Context, body: Any) -> Answer:
    return ctx.transport.request("POST", V3_RETURNS, json=body)


def _source(error: dict[str, Any]) -> str | None:
    source = error.get("source") or {}
    return source.get("pointer") or source.get("parameter") or source.get("header") or error.get("field")


def names_field(body: Any, target: str) -> bool:
    """Whether an error body names the field at JSON pointer `target` (v3 pointer, or v2/dotted text)."""
    dotted = target.strip("/").replace("/", ".")
    if isinstance(body, dict) and isinstance(body.get("errors"), list):
        for error in body["errors"]:
            if not isinstance(error, dict):
                continue
            source = _source(error)
            if source in (target, dotted):
                return True
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return dotted in str(body["error"].get("message", ""))
    return False
