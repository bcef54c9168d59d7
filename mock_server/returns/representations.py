"""A stored return, seen as the v3 Return object and as the v2 return object.

These build plain dicts of what the domain knows from a typed record (`record.ReturnData`),
when the return is read; the response schemas decide the final layout (which properties
appear, nulls, defaults) when the reply is sent. A v3 Return member that is not computed
here is the record field, else the create-request member, of the same name: adding a field
to the Return schema and to the record is the whole change (tests/test_return_record.py).
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timezone
from typing import Any

from ..carriers import CARRIERS, tracking_url
from ..clock import iso
from .lifecycle import DELIVERED, State
from .models import CM_PER_UNIT, ReturnRecord, shipping_codes, weight_in_kg
from .reasons import EU_COUNTRIES, RETURN_REASONS
from .record import PortalLink, Refund, ReturnData, to_json

LABEL_PRICE_EUR = {"postnl": 6.95, "dhl": 6.45, "dpd": 5.95, "ups": 9.5, "gls_eu": 5.75, "colissimo": 7.1,
                   "bpost": 6.2, "hermes_de": 4.99, "dhl_de": 5.49, "mondial_relay": 4.4, "chronopost": 8.9}


def label_urls(base_url: str, parcel_id: int) -> tuple[str, dict[str, Any]]:
    single = f"{base_url}api/v3/parcels/{parcel_id}/documents/label"
    return single, {"label_printer": single, "normal_printer": [single + "?paper_size=a4"] * 4}


def _tracking(record: ReturnRecord, state: State) -> tuple[str | None, str | None]:
    if not state.announced or not record.parcels:
        return None, None
    request = record.request
    number = record.parcels[0].tracking_number
    url = tracking_url(
        record.data.carrier, number,
        postal_code=request["from_address"]["postal_code"],
        destination_country=request["to_address"]["country_code"],
        source_country=request["from_address"]["country_code"],
        created=day_of(record.created_at),
    )
    return number, url


def day_of(ts: float) -> date:
    """The UTC calendar day of a timestamp (a label's and a tracking link's date)."""
    return datetime.fromtimestamp(ts, tz=timezone.utc).date()


def status_history(record: ReturnRecord, state: State) -> list[dict[str, Any]]:
    first_parcel = record.parcels[0].id if record.parcels else record.id
    return [
        {
            "carrier_update_timestamp": iso(event.at),
            "parcel_status_history_id": str(first_parcel * 10 + index),
            "parent_status": event.step.slug,
            "carrier_code": record.data.carrier,
            "carrier_message": event.step.message,
        }
        for index, event in enumerate(state.events)
    ]


def _items(request: dict[str, Any]) -> list[dict[str, Any]]:
    items = []
    for item in request.get("parcel_items") or []:
        shown = dict(item)
        reason = item.get("return_reason_id")
        if reason is not None and reason.isdigit() and int(reason) in RETURN_REASONS:
            shown["return_reason"] = {"id": int(reason), "description": RETURN_REASONS[int(reason)]}
        items.append(shown)
    return items


# Record fields the v3 Return does not show under their own name: the representation reads them.
READ_NOT_SHOWN = frozenset({"request", "carrier", "schedule", "payment", "refund", "images"})


def v3_return(record: ReturnRecord, now: float, base_url: str) -> dict[str, Any]:
    """The v3 Return. Members it does not compute come by name from the request, then the record:
    the Return schema then picks the ones it names (a new record field needs no code here)."""
    data = record.data
    request = data.request
    state = record.state(now)
    product, option = shipping_codes(request["ship_with"])
    number, url = _tracking(record, state)
    delivered = state.reached(DELIVERED)
    insured = request.get("total_insured_value") or {}
    view: dict[str, Any] = dict(request)
    view.update(_shown_fields(data))
    view.update({
        "id": record.id,
        "shipping_product": {"code": product},
        "shipping_option": {"code": option},
        "collo_count": request.get("collo_count", 1),
        "parcel_items": _items(request),
        "send_tracking_emails": request.get("send_tracking_emails", False),
        "label_cost": {"value": LABEL_PRICE_EUR.get(data.carrier, 6.15), "currency": "EUR"},
        "insurance": float(insured.get("value") or 0) > 0,
        "tracking_number": number,
        "tracking_url": url,
        "is_cancellable": state.is_cancellable,
        "status_history": status_history(record, state),
        "created_at": iso(record.created_at),
        "delivered_at": int(delivered.at * 1000) if delivered else None,
        "delivered_at_iso": iso(delivered.at) if delivered else None,
        "refund": {"refund_type": data.refund.code, "message": data.refund.message} if data.refund else None,
        "return_fee": to_json(data.payment.fee),
        "images": image_views(record, base_url),
        "status": data.status,
        "errors": _announcement_errors(record, state),
        "contract": request["ship_with"].get("contract"),
        "customs_shipment_type": None if _from_eu(request) else 4,  # 4: returned goods
        "label_url": None,
    })
    if state.label_ready and record.parcels:
        view["label_url"], view["label"] = label_urls(base_url, record.parcels[0].id)
    return view


def _shown_fields(data: ReturnData) -> dict[str, Any]:
    return {f.name: to_json(getattr(data, f.name)) for f in dataclasses.fields(data)
            if f.name not in READ_NOT_SHOWN and getattr(data, f.name) is not None}


def _from_eu(request: dict[str, Any]) -> bool:
    return request["from_address"]["country_code"].upper() in EU_COUNTRIES


def _announcement_errors(record: ReturnRecord, state: State) -> list[dict[str, Any]]:
    failure = record.schedule.failure
    if failure is None or state.current.slug != "announcement-failed":
        return []
    return [{"status": "400", "code": "parcel_announcement_error", "title": "Parcel announcement failed",
             "detail": failure}]


def _parcel_data(record: ReturnRecord, state: State, brand_name: str | None) -> dict[str, Any]:
    request = record.request
    number, url = _tracking(record, state)
    return {
        "tracking_url": url,
        "tracking_number": number,
        "parcel_status": state.current.parcel_status,
        "global_status_slug": state.current.slug,
        "brand_name": brand_name,
        "order_number": request.get("order_number"),
        "from_email": request["from_address"].get("email"),
        "deleted": False,
        "collo_count": request.get("collo_count", 1),
        "from_country": request["from_address"]["country_code"],
        "from_name": request["from_address"]["name"],
        "shipping_method": record.data.shipping_method,
        "extra_data": {},
        "rules": [],
    }


def image_views(record: ReturnRecord, base_url: str) -> list[dict[str, Any]]:
    """The pictures the customer attached in the portal, at the fake's own media URLs."""
    return [{"product_id": image.product_id,
             "uploaded_image": f"{base_url}media/returns/{record.id}/images/{index}.png",
             "thumbnail_image": f"{base_url}media/returns/{record.id}/images/{index}_thumbnail.png",
             "description": image.description}
            for index, image in enumerate(record.data.images, start=1)]


def v2_return(record: ReturnRecord, now: float, brand_name: str | None, base_url: str) -> dict[str, Any]:
    request = record.request
    state = record.state(now)
    delivered = state.reached(DELIVERED)
    items = request.get("parcel_items") or []
    values = [float((item.get("price") or item.get("value") or {}).get("value", 0)) * item.get("quantity", 1)
              for item in items]
    data = record.data
    fee = data.payment.fee
    return {
        "id": record.id,
        "created_at": iso(record.created_at),
        "reason": data.reason.id if data.reason else None,
        "outgoing_parcel": data.portal.outgoing_parcel if data.portal else None,
        "incoming_parcel": record.parcels[0].id if record.parcels else None,
        "message": data.message,
        "refund": _v2_refund(data.refund),
        "is_cancellable": state.is_cancellable,
        "return_fee": float(fee.value) if fee else None,
        "return_fee_currency": fee.currency if fee else None,
        "label_cost": LABEL_PRICE_EUR.get(data.carrier, 6.15),
        "label_currency": "EUR",
        "items_cost": round(sum(values), 2) if items else None,
        "delivered_at": iso(delivered.at) if delivered else None,
        "delivery_option": request.get("delivery_option"),
        "store_location": None,
        "images": image_views(record, base_url),
        "rule_modifications": [],
        "outgoing_parcel_data": _v2_outgoing_parcel_data(data.portal),
        "incoming_parcel_data": _parcel_data(record, state, brand_name),
        "incoming_parcel_status": {
            "id": state.current.parcel_status,
            "message": state.current.message,
            "global_status_slug": state.current.slug,
        },
    }


def _v2_refund(refund: Refund | None) -> dict[str, Any] | None:
    if refund is None:
        return None
    return {"total_refund": None, "refunded_at": None, "message": refund.message,
            "refund_type": {"code": refund.code, "label": refund.label, "require_message": refund.require_message}}


def _v2_outgoing_parcel_data(link: PortalLink | None) -> dict[str, Any] | None:
    """The outgoing parcel a portal return answers, as the v2 parcel data (it was delivered)."""
    if link is None:
        return None
    return {
        "tracking_url": None,
        "tracking_number": link.tracking_number,
        "parcel_status": 11,
        "global_status_slug": "delivered",
        "brand_name": link.brand_name,
        "order_number": link.order_number,
        "from_email": link.customer_email,
        "deleted": False,
        "collo_count": 1,
        "from_country": link.customer_country,
        "from_name": link.customer_name,
        "shipping_method": link.shipping_method,
        "extra_data": {},
    }


def validation_view(request: dict[str, Any]) -> dict[str, Any]:
    """What POST /returns/validate answers: the request, normalised the way Sendcloud reports it."""
    view = {key: value for key, value in request.items() if key not in ("weight", "dimensions")}
    view["weight"] = round(weight_in_kg(request["weight"]), 3)
    if "dimensions" in request:
        factor = CM_PER_UNIT[request["dimensions"]["unit"]]
        view["dimensions"] = {k: round(float(request["dimensions"][k]) * factor, 2)
                              for k in ("height", "width", "length")}
    if request["from_address"]["country_code"].upper() not in EU_COUNTRIES:
        view["customs_shipment_type"] = 4
    return view


def carrier_name(code: str) -> str:
    carrier = CARRIERS.get(code)
    return carrier.name if carrier else code
