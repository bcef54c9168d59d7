"""The return portal: lookup -> create -> poll -> download, and which token opens which door."""

from __future__ import annotations

from typing import Any

from ..transport import Answer
from .api import expect, incoming_body, lookup, portal, portal_settings, service_point_query
from .context import Context, ContractFailure, ContractSkipped

SERVICE_POINTS = "/api/v2/service-points/"
PORTAL_IDS = ("brand_domain", "tracking_number", "postal_code")


def portal_flow(ctx: Context) -> None:
    """Lookup, create with the access token (201), poll (202 until ready, then 200), download the PDF."""
    ctx.require_writes("creates a return through the portal")
    ctx.require(*PORTAL_IDS)
    settings = portal_settings(ctx)
    found = lookup(ctx)
    answer = ctx.transport.request("POST", portal(ctx) + "/incoming", json=incoming_body(found, settings),
                                   auth=None, bearer=found["access_token"])
    created = expect(ctx, "portal_incoming", answer, [201], "creating a return through the portal")
    ctx.created_returns.append(created["return"])
    poller = created["poller_url"]

    def fetch() -> Answer:
        return ctx.transport.get(poller, auth=None)

    step = float(ctx.fake_settings.get("label_delay", 10)) + 1 if ctx.transport.is_fake else None
    seen = ctx.poll(fetch, lambda a: a.status != 202, step=step)
    for earlier in seen[:-1]:
        body = expect(ctx, "portal_polling", earlier, [202], "polling the label")
        if body.get("status") in ("awaiting_payment", "payment_failed"):
            raise ContractSkipped("the brand's portal charges for returns; use a brand with free returns")
    ready = expect(ctx, "portal_polling", seen[-1], [200, 202], "polling the label")
    if seen[-1].status == 202:
        raise ContractFailure(f"the label was not ready after {len(seen)} polls: {ready}")
    if ready["return"] != created["return"]:
        raise ContractFailure(f"the poller answered return {ready['return']}, created {created['return']}")
    if float(ctx.fake_settings.get("label_delay", 0)) > 0 and len(seen) < 2:
        raise ContractFailure("the first poll was already 200; a new return should answer 202 while announcing")
    pdf = ctx.transport.get(ready["download_url"], auth=None)
    expect(ctx, "portal_download", pdf, [200], "downloading the label")
    if not pdf.content.startswith(b"%PDF"):
        raise ContractFailure(f"the label is not a PDF: {pdf.content[:20]!r}")


def token_rules(ctx: Context) -> None:
    """Tokens work only for their purpose and brand (the POST checks only when writes are allowed)."""
    ctx.require(*PORTAL_IDS)
    found = lookup(ctx)
    access, points = found["access_token"], found["service_points_token"]
    query = service_point_query(found)
    problems: list[str] = []

    def check(what: str, answer: Answer, status: int, operation_id: str) -> None:
        if answer.status != status:
            problems.append(f"{what}: expected {status}, got {answer.status} {answer.excerpt(200)}")
            return
        try:
            expect(ctx, operation_id, answer, [status], what)
        except ContractFailure as failure:
            problems.append(str(failure))

    get = ctx.transport.get
    check("service points with the service-points token", get(SERVICE_POINTS, params={**query, "access_token": points},
                                                               auth=None), 200, "service_points_search")
    check("service points with the access token", get(SERVICE_POINTS, params={**query, "access_token": access},
                                                       auth=None), 403, "service_points_search")
    check("service points without a token", get(SERVICE_POINTS, params=query, auth=None), 401, "service_points_search")
    check("label polling with the access token", get(portal(ctx) + "/label/polling", params={"token": access},
                                                     auth=None), 403, "portal_polling")
    check("label download with the service-points token", get(portal(ctx) + "/label/download",
                                                              params={"token": points}, auth=None),
          403, "portal_download")
    check("label polling with a malformed token", get(portal(ctx) + "/label/polling", params={"token": "not.a.jwt"},
                                                      auth=None), 401, "portal_polling")
    if ctx.allow_writes:
        _writing_rules(ctx, found, check)
    else:
        ctx.log("token_rules: POST checks (service-points token and another brand's token on /incoming) "
                "not run without writes")
    if problems:
        raise ContractFailure(f"{len(problems)} token rule(s) broken:\n" + "\n".join(problems))


def _writing_rules(ctx: Context, found: dict[str, Any], check: Any) -> None:
    """Refusals that need a POST: if the rule were broken, the request would create a return."""
    body = incoming_body(found, portal_settings(ctx))
    answer = ctx.transport.request("POST", portal(ctx) + "/incoming", json=body, auth=None,
                                   bearer=found["service_points_token"])
    _forget_if_created(ctx, answer)
    check("portal create with the service-points token", answer, 403, "portal_incoming")
    other = ctx.identifiers.other_brand_domain
    if not other:
        ctx.log("token_rules: no --other-brand-domain, the cross-brand check was not run")
        return
    answer = ctx.transport.request("POST", portal(ctx, other) + "/incoming", json=body, auth=None,
                                   bearer=found["access_token"])
    _forget_if_created(ctx, answer)
    check(f"brand {other}'s portal with an access token of {ctx.identifiers.brand_domain}", answer, 403,
          "portal_incoming")


def _forget_if_created(ctx: Context, answer: Answer) -> None:
    body = answer.json_or_none()
    if answer.status == 201 and isinstance(body, dict) and "return" in body:
        ctx.created_returns.append(body["return"])
