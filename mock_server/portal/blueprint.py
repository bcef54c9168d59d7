"""Blueprint: the Return portal API (/api/v2/brand/{brand_domain}/return-portal), public and JWT-protected."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, current_app, g

from ..errors import ApiError
from ..guards import base_url
from ..operations import Reply, check_response, json_response, operation
from ..returns.documents import render_return_label
from ..returns.lifecycle import Progress
from .models import Brand, PortalBackend
from .payments import PAYMENT_TOKEN_TTL, payment_url

# The lookup members omit_service_points=true leaves out.
OMITTED_BY_LOOKUP = ("service_point", "labelless_service_point", "shop_distances")

bp = Blueprint("return_portal", __name__, url_prefix="/api/v2/brand/<brand_domain>/return-portal")


def _mock():
    return current_app.extensions["sendcloud_mock"]


def _portal() -> PortalBackend:
    return _mock().portal


def _url(brand: Brand, path: str, token: str) -> str:
    return f"{base_url()}api/v2/brand/{brand.domain}/return-portal/{path}?{urlencode({'token': token})}"


def media_url() -> str:
    return f"{base_url()}media/"


@bp.get("")
@operation("portal_settings")
def settings(params: dict[str, Any], body: None) -> Reply:
    portal = _portal()
    brand = portal.brand(params["brand_domain"])
    language = portal.match_language(brand, params.get("language"))
    return Reply(200, portal.settings(brand, language, media_url=media_url()))


@bp.get("/outgoing")
@operation("portal_outgoing")
def outgoing(params: dict[str, Any], body: None) -> Reply:
    portal, mock = _portal(), _mock()
    brand = portal.brand(params["brand_domain"])
    parcel = portal.find_outgoing(brand, postal_code=params["postal_code"], identifier=params["identifier"])
    omit = bool(params.get("omit_service_points"))
    found = portal.outgoing(brand, parcel, now=mock.clock.now(brand.account), media_url=media_url(),
                            omit_service_points=omit)
    found["access_token"] = mock.tokens.issue(purpose="access", brand=brand.domain, subject=parcel.id)
    found["service_points_token"] = mock.tokens.issue(purpose="service_points", brand=brand.domain, subject=parcel.id)
    reply = Reply(200, {**found, "data": dict(found)})
    if omit:
        # The schema would fill the left-out suggestions with null; production leaves them out.
        return without_members(reply, OMITTED_BY_LOOKUP)
    return reply


@bp.post("/incoming")
@operation("portal_incoming")
def incoming(params: dict[str, Any], body: dict[str, Any]) -> Reply:
    portal, mock, brand = _portal(), _mock(), g.brand
    record = portal.create(brand, portal.outgoing_by_id(brand, g.claims.subject), body)
    poller = mock.tokens.issue(purpose="poller", brand=brand.domain, subject=record.id,
                               ttl=max(mock.settings.token_ttl, 7 * 86400))
    parcel_ids = [p.id for p in record.parcels]
    answer = {"poller_url": _url(brand, "label/polling", poller), "return": record.id,
              "incoming_parcel": parcel_ids[0], "incoming_parcels": parcel_ids}
    if record.data.payment.awaiting:
        answer["payment_url"] = payment_url(mock.tokens.issue(purpose="payment", brand=brand.domain,
                                                              subject=record.id, ttl=PAYMENT_TOKEN_TTL))
    return Reply(201, answer)


# What polling answers while the label is not there yet: 202 with a status, or a refusal.
WAITING = {
    Progress.AWAITING_PAYMENT: "The return is waiting for the customer's payment.",
    Progress.ANNOUNCING: "The label is not ready yet; poll again shortly.",
}
REFUSED = {
    Progress.PAYMENT_FAILED: (402, "payment_failed", "The payment for this return failed."),
    Progress.CANCELLED: (404, "not_found", "This return was cancelled before its label was made."),
}


@bp.get("/label/polling")
@operation("portal_polling")
def polling(params: dict[str, Any], body: None) -> Reply:
    mock, brand = _mock(), g.brand
    record, progress = _portal().poll(brand, g.claims.subject, named=params.get("return"))
    if progress in WAITING:
        return Reply(202, {"status": progress.value, "return": record.id, "message": WAITING[progress]})
    if progress in REFUSED:
        raise ApiError.one(*REFUSED[progress])
    if progress is Progress.FAILED:
        raise ApiError.one(500, "announcement_failed", record.schedule.failure or "The label announcement failed.")
    label = mock.tokens.issue(purpose="label", brand=brand.domain, subject=record.id,
                              ttl=max(mock.settings.token_ttl, 7 * 86400))
    return Reply(200, {"download_url": _url(brand, "label/download", label), "return": record.id,
                       "parcels": [p.id for p in record.parcels],
                       "tracking_numbers": [p.tracking_number for p in record.parcels]})


@bp.get("/label/download")
@operation("portal_download")
def download(params: dict[str, Any], body: None) -> Reply:
    record = _portal().labelled_return(g.brand, g.claims.subject, named=params.get("return"))
    pdf = render_return_label(record, record.parcels[0].id, params.get("paper_size", "a6"))
    return Reply(200, raw=pdf, mimetype="application/pdf",
                 headers={"Content-Disposition": f'attachment; filename="return-label-{record.id}.pdf"'})


def without_members(reply: Reply, names: tuple[str, ...]) -> Any:
    """The reply laid out by its schema, then with `names` removed from the top and from `data`."""
    mock = _mock()
    op = mock.spec.operations[g.operation_id]
    body = op.shapes[reply.status](reply.data)
    for holder in (body, body.get("data") or {}):
        for name in names:
            holder.pop(name, None)
    if mock.settings.validate_responses:
        check_response(op, reply.status, body)
    return Reply(reply.status, raw=json_response(body).get_data(), mimetype="application/json")
