"""Webhook bodies, shaped by Sendcloud's webhook specs (v2 and v3 send the same payloads).

`parcel_status_changed` carries the incoming parcel as the v2 Parcel object describes it;
`return_created` the return's id and what the return knows of brand, order, reason and items.
Timestamps are Unix milliseconds, as Sendcloud sends them.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from typing import Any

from ..carriers import CARRIERS
from ..returns.lifecycle import Step
from ..returns.models import Parcel, ReturnRecord, weight_in_kg
from ..returns.representations import label_urls
from .events import PARCEL_STATUS_CHANGED, RETURN_CREATED, TEST_WEBHOOK

# ISO 3166 alpha-3 codes and English names of the countries returns come from most.
COUNTRIES = {
    "NL": ("NLD", "Netherlands"), "BE": ("BEL", "Belgium"), "DE": ("DEU", "Germany"), "FR": ("FRA", "France"),
    "LU": ("LUX", "Luxembourg"), "AT": ("AUT", "Austria"), "ES": ("ESP", "Spain"), "IT": ("ITA", "Italy"),
    "GB": ("GBR", "United Kingdom"), "CH": ("CHE", "Switzerland"), "US": ("USA", "United States"),
    "DK": ("DNK", "Denmark"), "SE": ("SWE", "Sweden"), "PL": ("POL", "Poland"), "PT": ("PRT", "Portugal"),
    "IE": ("IRL", "Ireland"), "FI": ("FIN", "Finland"), "CZ": ("CZE", "Czechia"), "NO": ("NOR", "Norway"),
}
# Sendcloud shipping method ids of each carrier's return product.
SHIPPING_METHODS = {"postnl": 2406, "dhl": 1163, "dpd": 4417, "ups": 5321, "gls_eu": 4630, "colissimo": 3021,
                    "bpost": 2920, "hermes_de": 3865, "dhl_de": 3650, "mondial_relay": 4105, "chronopost": 3307,
                    "sendcloud": 8}
SHIPMENT_NAMESPACE = uuid.UUID("5e4dc10d-6a5b-4f4e-9d43-3c1f0a7b2e61")


def encode(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent (and signed): compact JSON, UTF-8."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def millis(ts: float) -> int:
    return round(ts * 1000)


def return_created(record: ReturnRecord, at: float) -> dict[str, Any]:
    request = record.request
    data: dict[str, Any] = {"id": record.id}
    if request.get("brand_id") is not None:
        data["brand_id"] = request["brand_id"]
    if request.get("order_number"):
        data["order_number"] = request["order_number"]
    reason = _reason_id(record)
    if reason is not None:
        data["return_reason_id"] = reason
    data["paid_return"] = record.data.payment.required
    option = request.get("delivery_option")
    if option:
        data["delivery_choice"] = option
    if record.data.refund is not None:
        data["refund_type"] = record.data.refund.code
    data["items"] = [_item(item) for item in request.get("parcel_items") or []]
    return {"action": RETURN_CREATED, "timestamp": millis(at), "data": data}


def _reason_id(record: ReturnRecord) -> int | None:
    if record.data.reason is not None:
        return record.data.reason.id
    for item in record.request.get("parcel_items") or []:
        value = item.get("return_reason_id")
        if isinstance(value, str) and value.isdigit():
            return int(value)
    return None


def _item(item: dict[str, Any]) -> dict[str, Any]:
    shown: dict[str, Any] = {"quantity": int(item.get("quantity", 1))}
    for source, name in (("item_id", "item_id"), ("product_id", "item_id"), ("description", "description"),
                         ("sku", "sku"), ("hs_code", "hs_code")):
        value = item.get(source)
        if isinstance(value, str) and value and name not in shown:
            shown[name] = value
    reason = item.get("return_reason_id")
    if isinstance(reason, str) and reason.isdigit():
        shown["return_reason_id"] = int(reason)
    return shown


def parcel_status_changed(record: ReturnRecord, parcel: Parcel, step: Step, at: float, *, announced: bool,
                          base_url: str) -> dict[str, Any]:
    return {
        "action": PARCEL_STATUS_CHANGED,
        "timestamp": millis(at),
        "carrier_status_change_timestamp": millis(at),
        "parcel": parcel_object(record, parcel, step, announced=announced, base_url=base_url),
    }


def parcel_object(record: ReturnRecord, parcel: Parcel, step: Step, *, announced: bool,
                  base_url: str) -> dict[str, Any]:
    """The incoming parcel as Sendcloud's v2 Parcel: the customer sending it back is its address."""
    request = record.request
    sender = request["from_address"]
    street = sender.get("address_line_1") or ""
    number = str(sender.get("house_number") or "")
    iso2 = str(sender.get("country_code", "")).upper()
    iso3, country_name = COUNTRIES.get(iso2, (iso2, iso2))
    carrier = record.data.carrier
    product = (request.get("ship_with") or {})
    product_code = product.get(product.get("type", "shipping_product_code")) or product.get("shipping_option_code") \
        or product.get("shipping_product_code") or carrier
    shown: dict[str, Any] = {
        "id": parcel.id,
        "name": sender.get("name") or "",
        "company_name": sender.get("company_name") or "",
        "address": f"{street} {number}".strip(),
        "address_divided": {"street": street, "house_number": int(number) if number.isdigit() else number},
        "city": sender.get("city") or "",
        "postal_code": sender.get("postal_code") or "",
        "telephone": sender.get("phone_number") or "",
        "date_created": datetime.fromtimestamp(record.created_at, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"),
        "tracking_number": parcel.tracking_number,
        "weight": f"{weight_in_kg(request['weight']):.3f}",
        "label": {},
        "customs_declaration": {},
        "status": {"id": step.parcel_status, "message": step.message},
        "data": {},
        "country": {"iso_3": iso3, "iso_2": iso2, "name": country_name},
        "shipment": {"id": SHIPPING_METHODS.get(carrier, 8),
                     "name": f"{CARRIERS[carrier].name if carrier in CARRIERS else carrier} {product_code}".strip()},
        "order_number": request.get("order_number") or "",
        "shipment_uuid": str(uuid.uuid5(SHIPMENT_NAMESPACE, f"{record.id}:{parcel.id}")),
        "external_order_id": request.get("order_number") or str(record.id),
        "external_shipment_id": request.get("external_reference") or str(parcel.id),
        "is_return": True,
        "collo_nr": parcel.collo_index - 1,
        "collo_count": int(request.get("collo_count", 1)),
    }
    if sender.get("email"):
        shown["email"] = sender["email"]
    if announced:
        _, shown["label"] = label_urls(base_url, parcel.id)
    return shown


def test_webhook(at: float) -> dict[str, Any]:
    return {"action": TEST_WEBHOOK, "timestamp": millis(at)}
