"""Live drift: read every GET endpoint the identifiers reach and judge each answer against our schemas.

Only GET requests are sent (the transport is read-only). The report lists findings as
`{"endpoint", "path", "kind", "severity", "detail", "count"}`; the same drift in every item
of a list is one finding with a count. Undocumented fields are info; everything our
schemas forbid, and unexpected statuses, are errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import requests

from .checks import ERROR, INFO, Finding, check_answer, merge
from .contracts.api import items, portal, service_point_query
from .contracts.context import LIST_WINDOW, Context
from .transport import Answer

RETRIEVE_LIMIT = 3


@dataclass
class DriftReport:
    target: str
    findings: list[Finding] = field(default_factory=list)
    endpoints: list[dict[str, Any]] = field(default_factory=list)
    source: str = "live"

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    def exit_code(self) -> int:
        return 1 if self.errors else 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "source": self.source,
            "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "summary": {"errors": len(self.errors), "info": sum(1 for f in self.findings if f.severity == INFO),
                        "endpoints": len(self.endpoints)},
            "findings": [f.to_dict() for f in self.findings],
            "endpoints": self.endpoints,
        }


class _Visitor:
    """Sends the GETs and collects what each answer shows."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.findings: list[Finding] = []
        self.endpoints: list[dict[str, Any]] = []

    def visit(self, operation_id: str, url: str, *, params: dict[str, Any] | None = None, auth: str | None = "basic",
              bearer: str | None = None) -> Any:
        """GET and judge; the JSON body when the answer was a 200, else None."""
        op = self.ctx.spec.operations[operation_id]
        endpoint = f"{op.method} {op.path}"
        try:
            answer = self.ctx.transport.get(url, params=params, auth=auth, bearer=bearer)
        except requests.RequestException as exc:
            self.findings.append(Finding(endpoint, "", "unreachable", ERROR, self.ctx.transport.redact(exc)))
            self.endpoints.append({"endpoint": endpoint, "status": None, "findings": 1})
            return None
        found = check_answer(self.ctx.spec, operation_id, answer, expected=[200], endpoint=endpoint)
        self.findings.extend(found)
        self.endpoints.append({"endpoint": endpoint, "status": answer.status, "findings": len(found)})
        return _body(answer) if answer.status == 200 else None


def live_drift(ctx: Context) -> DriftReport:
    """Read-only calls to every GET endpoint reachable with the context's identifiers."""
    visitor = _Visitor(ctx)
    ids: list[int] = [ctx.identifiers.return_id] if ctx.identifiers.return_id else []
    page = visitor.visit("returns_v3_list", "/api/v3/returns", params={**LIST_WINDOW, "page_size": 10})
    ids += [item["id"] for item in items(page or {}) if isinstance(item, dict) and isinstance(item.get("id"), int)]
    page = visitor.visit("returns_v2_list", "/api/v2/returns", params={"page_size": 10})
    ids += [item["id"] for item in items(page or {}) if isinstance(item, dict) and isinstance(item.get("id"), int)]
    label_url = None
    for return_id in list(dict.fromkeys(ids))[:RETRIEVE_LIMIT]:
        found = visitor.visit("returns_v3_retrieve", f"/api/v3/returns/{return_id}")
        visitor.visit("returns_v2_retrieve", f"/api/v2/returns/{return_id}")
        label = (found or {}).get("label") if isinstance(found, dict) else None
        if label_url is None and isinstance(label, dict) and isinstance(label.get("label_printer"), str):
            label_url = label["label_printer"]
    if label_url:
        visitor.visit("parcels_v3_label", label_url)
    if ctx.identifiers.brand_domain:
        _portal(ctx, visitor)
    report = DriftReport(ctx.transport.describe(), merge(visitor.findings), visitor.endpoints)
    return report


def _portal(ctx: Context, visitor: _Visitor) -> None:
    visitor.visit("portal_settings", portal(ctx), auth=None)
    ids = ctx.identifiers
    if not (ids.tracking_number and ids.postal_code):
        return
    found = visitor.visit("portal_outgoing", portal(ctx) + "/outgoing", auth=None,
                          params={"postal_code": ids.postal_code, "identifier": ids.tracking_number})
    if not isinstance(found, dict) or not isinstance(found.get("service_points_token"), str):
        return
    token = found["service_points_token"]
    try:
        query = service_point_query(found)
    except (KeyError, TypeError, AttributeError):
        return
    visitor.visit("service_points_search", "/api/v2/service-points/", params={**query, "access_token": token},
                  auth=None)
    point = found.get("service_point")
    if isinstance(point, dict) and point.get("id") is not None:
        visitor.visit("service_points_retrieve", f"/api/v2/service-points/{point['id']}",
                      params={"access_token": token}, auth=None)


def _body(answer: Answer) -> Any:
    return answer.json_or_none() if answer.is_json else None
