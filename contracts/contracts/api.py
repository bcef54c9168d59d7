"""The calls contracts share: each checks its answer against our schemas and fails loudly otherwise."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from ..checks import check_answer, describe, errors_of
from ..transport import Answer
from .context import LIST_WINDOW, Context, ContractFailure

V3_RETURNS = "/api/v3/returns"
V2_RETURNS = "/api/v2/returns"

DEFAULT_RETURN_BODY: dict[str, Any] = {
    "from_address": {"name": "Sanne de Vries", "address_line_1": "Oudegracht", "house_number": "158",
                     "postal_code": "3511 AZ", "city": "Utrecht", "country_code": "NL",
                     "email": "sanne.devries@example.nl"},
    "to_address": {"name": "Returns department", "address_line_1": "Kanaalstraat", "house_number": "12",
                   "postal_code": "5611 LX", "city": "Eindhoven", "country_code": "NL"},
    "ship_with": {"type": "shipping_option_code", "shipping_option_code": "postnl:standard/return"},
    "weight": {"value": 1.2, "unit": "kg"},
    "order_number": "CONTRACT-KIT-1",
}


def expect(ctx: Context, operation_id: str, answer: Answer, statuses: Iterable[int], what: str) -> Any:
    """The JSON body of an answer with one of `statuses` that matches its schema; else a failure."""
    findings = errors_of(check_answer(ctx.spec, operation_id, answer, expected=statuses))
    if findings:
        raise ContractFailure(f"{what}: {answer.method} {answer.url} -> {answer.status}\n{describe(findings)}")
    return answer.json_or_none()


def return_body(ctx: Context) -> dict[str, Any]:
    """A create body that the target should accept: --return-body, else the kit's default."""
    body = copy.deepcopy(ctx.return_body or DEFAULT_RETURN_BODY)
    if ctx.return_body is None and ctx.identifiers.brand_id is not None:
        body["brand_id"] = ctx.identifiers.brand_id
    return body


def create_return(ctx: Context, body: dict[str, Any] | None = None) -> int:
    """POST a return (201) and remember its id for clean-up."""
    answer = ctx.transport.request("POST", V3_RETURNS, json=body if body is not None else return_body(ctx))
    created = expect(ctx, "returns_v3_create", answer, [201], "creating a return")
    ctx.created_returns.append(created["return_id"])
    return int(created["return_id"])


def retrieve(ctx: Context, return_id: int, version: int = 3) -> dict[str, Any]:
    base = V3_RETURNS if version == 3 else V2_RETURNS
    answer = ctx.transport.get(f"{base}/{return_id}")
    return expect(ctx, f"returns_v{version}_retrieve", answer, [200], f"retrieving return {return_id}")


def cancel(ctx: Context, return_id: int) -> Answer:
    return ctx.transport.request("PATCH", f"{V3_RETURNS}/{return_id}/cancel")


def list_page(ctx: Context, version: int = 3, *, page_size: int | None = None, url: str | None = None
              ) -> dict[str, Any]:
    """One page of the v3 or v2 list (a `next`/`previous` URL when given)."""
    if url is None:
        params: dict[str, Any] = dict(LIST_WINDOW) if version == 3 else {}
        if page_size is not None:
            params["page_size"] = page_size
        answer = ctx.transport.get(V3_RETURNS if version == 3 else V2_RETURNS, params=params)
    else:
        answer = ctx.transport.get(url)
    return expect(ctx, f"returns_v{version}_list", answer, [200], f"listing returns (v{version})")


def items(page: dict[str, Any]) -> list[dict[str, Any]]:
    return page.get("data", page.get("returns", []))


def clean_up(ctx: Context) -> None:
    """Cancel what this run created (best effort: a return already cancelled answers 409)."""
    while ctx.created_returns:
        return_id = ctx.created_returns.pop()
        try:
            cancel(ctx, return_id)
        except Exception as exc:  # noqa: BLE001 - clean-up must not hide the contract's own result
            ctx.log(f"could not cancel return {return_id}: {ctx.transport.redact(exc)}")


# -- the return portal -------------------------------------------------------------------------


def portal(ctx: Context, brand: str | None = None) -> str:
    return f"/api/v2/brand/{quote(brand or ctx.identifiers.brand_domain or '', safe='')}/return-portal"


def portal_settings(ctx: Context) -> dict[str, Any]:
    answer = ctx.transport.get(portal(ctx), auth=None)
    return expect(ctx, "portal_settings", answer, [200], "reading the portal settings")["portal"]


def lookup(ctx: Context) -> dict[str, Any]:
    """The outgoing parcel lookup for the configured brand, tracking number and postal code."""
    ids = ctx.identifiers
    answer = ctx.transport.get(portal(ctx) + "/outgoing", auth=None,
                               params={"postal_code": ids.postal_code, "identifier": ids.tracking_number})
    return expect(ctx, "portal_outgoing", answer, [200], "looking up the outgoing parcel")


def incoming_body(found: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
    """A portal create body built from what the lookup and the settings offer."""
    parcel = found["parcel"]
    product = next((p for p in found.get("products", []) if p.get("returnable", True)), found["products"][0])
    reason = settings["reasons"][0]["id"]
    refund = next((r for r in settings.get("refund_options", []) if not r.get("require_message")), None)
    options = settings.get("delivery_options", [])
    point = found.get("service_point")
    body: dict[str, Any] = {
        "reason": reason,
        "message": "Created by sendcloud-contracts.",
        "outgoing_parcel": parcel["id"],
        "products": [{"product_id": product["id"], "quantity": 1, "return_reason": reason}],
        "incoming_parcel": {
            "collo_count": 1, "from_name": parcel.get("name") or "Contract Kit",
            "from_address_1": (parcel.get("address_divided") or {}).get("street") or parcel.get("address") or "-",
            "from_house_number": parcel.get("house_number") or "",
            "from_city": parcel.get("city") or "-", "from_postal_code": parcel.get("postal_code") or "",
            "from_country": (parcel.get("country") or {}).get("iso_2") or "NL",
            "from_email": parcel.get("email") or "contracts@example.com",
        },
    }
    if refund is not None:
        body["refund"] = {"refund_type": {"code": refund["code"]}, "message": None}
    if point is not None and "drop_off_point" in options:
        body["delivery_option"] = "drop_off_point"
        body["service_point"] = {"id": point["id"]}
        body["selected_functionalities"] = {"first_mile": "dropoff"}
    else:
        body["delivery_option"] = options[0] if options else "drop_off_point"
    return body


def service_point_query(found: dict[str, Any]) -> dict[str, Any]:
    parcel = found["parcel"]
    coordinates = parcel.get("to_coordinates") or {}
    return {"country": (parcel.get("country") or {}).get("iso_2") or "NL",
            "latitude": coordinates.get("latitude"), "longitude": coordinates.get("longitude"), "radius": 5000}
