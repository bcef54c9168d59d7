"""How a return's stored data (`returns.data`) changed between store versions, as plain functions.

Each step takes one row's data as an older version wrote it and answers it as the next version
reads it. Steps work on plain dicts, not on today's record classes, so a later change of the
record cannot change what an old step does.
"""

from __future__ import annotations

from typing import Any


def portal_fragments_to_record(old: dict[str, Any]) -> dict[str, Any]:
    """Until 0.2.0 a portal return kept v2-shaped fragments (its refund and outgoing parcel as the
    v2 return shows them) and its status beside its payment. Now it keeps what they were made of.

    A return made through the v3 API kept request, carrier and schedule only: it stays as it is.
    """
    if "origin" in old or (old.get("source") != "portal" and "portal" not in old):
        return old  # made through the v3 API, or already in the new form
    new: dict[str, Any] = {key: old[key] for key in ("request", "carrier", "schedule")}
    new["origin"] = "portal"
    payment = old.get("payment") or {}
    fee = old.get("return_fee")
    new["payment"] = {
        "required": bool(payment.get("required")),
        "fee": {"value": fee["value"], "currency": fee["currency"]} if fee else None,
        "paid_at": payment.get("paid_at"),
        "failed": old.get("status") == "payment_failed",
    }
    reason = old.get("reason")
    new["reason"] = {"id": reason["id"], "description": reason["description"]} if reason else None
    link = old.get("portal") or {}
    shown_refund = link.get("refund")
    chosen = old.get("refund")
    if shown_refund:
        option = shown_refund["refund_type"]
        new["refund"] = {"code": option["code"], "label": option["label"],
                         "require_message": option["require_message"], "message": shown_refund.get("message")}
    elif chosen:
        new["refund"] = {"code": chosen["refund_type"], "label": chosen["refund_type"], "require_message": False,
                         "message": chosen.get("message")}
    new["message"] = link.get("message")
    new["images"] = [{"filename": image.get("filename", ""), "product_id": image.get("product_id"),
                      "description": image.get("description")} for image in old.get("images") or []]
    new["shipping_method"] = old.get("shipping_method")
    new["service_point"] = old.get("service_point")
    parcel = link.get("outgoing_parcel_data") or {}
    if link:
        new["portal"] = {
            "brand": link.get("brand", ""),
            "brand_name": parcel.get("brand_name") or "",
            "outgoing_parcel": link.get("outgoing_parcel"),
            "tracking_number": parcel.get("tracking_number") or "",
            "order_number": parcel.get("order_number"),
            "customer_name": parcel.get("from_name") or "",
            "customer_email": parcel.get("from_email"),
            "customer_country": parcel.get("from_country") or "",
            "shipping_method": parcel.get("shipping_method"),
        }
    return new
