"""The return portal's rules: settings, outgoing lookup, creating returns, label polling.

A return made through the portal is an ordinary return (the Returns API lists it); the
portal adds its reason, refund, delivery option, items and the outgoing parcel it came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from ..accounts import Account, normalise_postal_code
from ..carriers import CARRIERS
from ..errors import ApiError, Problem
from ..returns.models import ReturnRecord, ReturnsBackend
from ..service_points import ServicePointIndex, shop_distances
from ..store import Store, loads

LANGUAGES = ("en-GB", "de-DE", "es-ES", "fr-FR", "nl-NL", "it-IT", "en-US")
# Sendcloud shipping method ids of each carrier's return product, as the lookup lists them.
RETURN_SHIPPING_METHODS = {"postnl": 2406, "dhl": 1163, "dpd": 4417, "ups": 5321, "gls_eu": 4630, "colissimo": 3021,
                           "bpost": 2920, "hermes_de": 3865, "dhl_de": 3650, "mondial_relay": 4105,
                           "chronopost": 3307, "sendcloud": 8}
ISO3 = {"NL": ("NLD", "Netherlands"), "BE": ("BEL", "Belgium"), "DE": ("DEU", "Germany"), "FR": ("FRA", "France"),
        "LU": ("LUX", "Luxembourg"), "AT": ("AUT", "Austria"), "ES": ("ESP", "Spain"), "IT": ("ITA", "Italy"),
        "GB": ("GBR", "United Kingdom"), "CH": ("CHE", "Switzerland"), "US": ("USA", "United States")}


@dataclass(frozen=True)
class Brand:
    id: int
    account: Account
    domain: str
    name: str
    data: dict[str, Any]

    @property
    def portal(self) -> dict[str, Any]:
        return self.data.get("portal") or {}

    @property
    def carriers(self) -> list[str]:
        return list(self.portal.get("carriers") or [])


@dataclass(frozen=True)
class OutgoingParcel:
    id: int
    brand_id: int
    data: dict[str, Any]


class PortalBackend:
    def __init__(self, store: Store, returns: ReturnsBackend, points: ServicePointIndex) -> None:
        self._store = store
        self._returns = returns
        self._points = points

    # -- brands and settings -------------------------------------------------------------

    def brand(self, domain: str) -> Brand:
        row = self._store.query_one(
            "SELECT b.id, b.domain, b.data, a.id AS account_id, a.api_key, a.name AS account_name"
            " FROM brands b JOIN accounts a ON a.id = b.account_id WHERE b.domain = ?", (domain,))
        if row is None or not loads(row["data"]).get("portal"):
            raise ApiError.one(404, "not_found", "No return portal is configured for this brand.")
        data = loads(row["data"])
        return Brand(row["id"], Account(row["account_id"], row["api_key"], row["account_name"]), row["domain"],
                     data.get("name", row["domain"]), data)

    def settings(self, brand: Brand, language: str) -> dict[str, Any]:
        portal = brand.portal
        return {"portal": {
            "reasons": [{"id": r["id"], "description": _translated(r["description"], language)}
                        for r in portal.get("reasons", [])],
            "refund_options": portal.get("refund_options", []),
            "delivery_options": portal.get("delivery_options", []),
            "carriers": [_carrier(code) for code in brand.carriers],
            "enable_labelless": bool(portal.get("enable_labelless")),
            "enable_paid_returns": bool(portal.get("enable_paid_returns")),
            "return_fee": portal.get("return_fee"),
            "language": language,
            "support_url": portal.get("support_url"),
            "return_policy_url": portal.get("return_policy_url"),
            "brand": {"id": brand.id, "name": brand.name, "domain": brand.domain,
                      "color": portal.get("color"), "website": portal.get("website")},
        }}

    # -- outgoing lookup -----------------------------------------------------------------

    def find_outgoing(self, brand: Brand, *, postal_code: str, identifier: str) -> OutgoingParcel:
        """The brand's outgoing parcel with this tracking or order number, if the postal code matches."""
        rows = self._store.query(
            "SELECT id, brand_id, postal_code, data FROM outgoing_parcels"
            " WHERE brand_id = ? AND (tracking_number = ? OR order_number = ?) ORDER BY id",
            (brand.id, identifier.strip(), identifier.strip()))
        if not rows:
            raise ApiError.one(404, "not_found", "No parcel was found for this identifier.")
        wanted = normalise_postal_code(postal_code)
        for row in rows:
            if row["postal_code"] == wanted:
                return OutgoingParcel(row["id"], row["brand_id"], loads(row["data"]))
        raise ApiError.one(400, "invalid_postal_code", "The postal code you provided is invalid.",
                           parameter="postal_code")

    def outgoing(self, brand: Brand, parcel: OutgoingParcel, *, now: float) -> dict[str, Any]:
        """The lookup answer, without its tokens."""
        address = parcel.data["to_address"]
        where = self._points.locate(address["country_code"], address.get("postal_code"), address.get("city"))
        moment = datetime.fromtimestamp(now, tz=timezone.utc)
        nearest = labelless = None
        if where is not None:
            nearest = self._points.nearest(*where, carriers=brand.carriers, now=moment)
            if brand.portal.get("enable_labelless") and any(CARRIERS[c].labelless for c in brand.carriers
                                                           if c in CARRIERS):
                labelless = self._points.nearest(*where, carriers=brand.carriers, labelless=True, now=moment)
        return {
            "parcel": _parcel_view(parcel, where),
            "products": [_product_view(item) for item in parcel.data.get("items", [])],
            "carriers": [_carrier(code) for code in brand.carriers],
            "shipping_method_ids": [RETURN_SHIPPING_METHODS[c] for c in brand.carriers if c in RETURN_SHIPPING_METHODS],
            "service_point": nearest,
            "labelless_service_point": labelless,
            "shop_distances": shop_distances(*where, ((s["id"], s["latitude"], s["longitude"])
                                                      for s in brand.portal.get("stores", []))) if where else [],
        }

    def outgoing_by_id(self, brand: Brand, parcel_id: int) -> OutgoingParcel:
        row = self._store.query_one("SELECT id, brand_id, data FROM outgoing_parcels WHERE id = ? AND brand_id = ?",
                                    (parcel_id, brand.id))
        if row is None:
            raise ApiError.one(404, "not_found", "No parcel was found.")
        return OutgoingParcel(row["id"], row["brand_id"], loads(row["data"]))

    # -- creating a return ---------------------------------------------------------------

    def create(self, brand: Brand, parcel: OutgoingParcel, body: dict[str, Any]) -> ReturnRecord:
        """Check the customer's choices against the portal's setup and store the return."""
        portal = brand.portal
        problems: list[Problem] = []
        if body["outgoing_parcel"] != parcel.id:
            raise ApiError.one(403, "forbidden", "The access token was issued for another outgoing parcel.",
                               pointer="/outgoing_parcel")
        reasons = {r["id"]: r for r in portal.get("reasons", [])}
        if body["reason"] not in reasons:
            problems.append(Problem("invalid_choice", "Not one of this portal's return reasons.", pointer="/reason"))
        option = body["delivery_option"]
        if option not in portal.get("delivery_options", []):
            problems.append(Problem("invalid_choice", "This portal does not offer this delivery option.",
                                    pointer="/delivery_option"))
        refund = body.get("refund")
        refund_options = {r["code"]: r for r in portal.get("refund_options", [])}
        if refund is not None:
            chosen = refund_options.get(refund["refund_type"]["code"])
            if chosen is None:
                problems.append(Problem("invalid_choice", "This portal does not offer this refund option.",
                                        pointer="/refund/refund_type/code"))
            elif chosen["require_message"] and not refund.get("message"):
                problems.append(Problem("required", "This refund option needs a message.", pointer="/refund/message"))
        carrier = body.get("selected_carrier_code") or (brand.carriers[0] if brand.carriers else "sendcloud")
        if carrier not in brand.carriers:
            problems.append(Problem("invalid_choice", "This carrier is not enabled in the portal.",
                                    pointer="/selected_carrier_code"))
        point = None
        if body.get("service_point"):
            point = self._points.get(body["service_point"]["id"],
                                     now=datetime.fromtimestamp(self._returns.now(), tz=timezone.utc))
            if point is None or point["carrier"] not in brand.carriers:
                problems.append(Problem("invalid", "Unknown service point, or one of a carrier the portal does not use.",
                                        pointer="/service_point/id"))
            elif body.get("selected_carrier_code") is None:
                carrier = point["carrier"]
        elif option in ("drop_off_point", "drop_off_labelless"):
            problems.append(Problem("required", "A service point is required for this delivery option.",
                                    pointer="/service_point"))
        items = {item["product_id"]: item for item in parcel.data.get("items", [])}
        for index, product in enumerate(body["products"]):
            shipped = items.get(product["product_id"])
            if shipped is None:
                problems.append(Problem("invalid", "This product was not in the outgoing parcel.",
                                        pointer=f"/products/{index}/product_id"))
            elif product["quantity"] > shipped["quantity"]:
                problems.append(Problem("invalid", f"At most {shipped['quantity']} can be returned.",
                                        pointer=f"/products/{index}/quantity"))
            if product.get("return_reason") is not None and product["return_reason"] not in reasons:
                problems.append(Problem("invalid_choice", "Not one of this portal's return reasons.",
                                        pointer=f"/products/{index}/return_reason"))
        if problems:
            raise ApiError(400, problems)
        request = self._returns_request(brand, parcel, body, carrier, items)
        reason = reasons[body["reason"]]
        paid = bool(portal.get("enable_paid_returns"))
        extra = {
            "source": "portal",
            "reason": {"id": reason["id"], "description": _translated(reason["description"], "en-GB")},
            "refund": ({"refund_type": refund["refund_type"]["code"], "message": refund.get("message")}
                       if refund else None),
            "return_fee": portal.get("return_fee") if paid else None,
            "status": "awaiting_payment" if paid else "open",
            "payment": {"required": paid, "paid_at": None},
            "service_point": point["id"] if point else None,
            "portal": {
                "brand": brand.domain,
                "outgoing_parcel": parcel.id,
                "message": body.get("message"),
                "refund": _v2_refund(refund, refund_options),
                "outgoing_parcel_data": _v2_outgoing_data(brand, parcel),
            },
        }
        failure = "The carrier refused the announcement of this parcel." if parcel.data.get("announcement_fails") else None
        created = self._returns.create(brand.account, request, extra=extra, failure=failure, await_payment=paid)
        return self._returns.get(brand.account, created.return_id)

    def _returns_request(self, brand: Brand, parcel: OutgoingParcel, body: dict[str, Any], carrier: str,
                         items: dict[str, dict[str, Any]]) -> dict[str, Any]:
        """The same return as a v3 create body, so both APIs share one store and one lifecycle."""
        incoming = body["incoming_parcel"]
        from_address = {
            "name": incoming["from_name"], "address_line_1": incoming["from_address_1"],
            "postal_code": incoming["from_postal_code"], "city": incoming["from_city"],
            "country_code": incoming["from_country"],
        }
        for source, target in (("from_company_name", "company_name"), ("from_address_2", "address_line_2"),
                               ("from_house_number", "house_number"), ("from_email", "email"),
                               ("from_telephone", "phone_number"), ("from_country_state", "state_province_code")):
            if incoming.get(source):
                from_address[target] = incoming[source]
        weight = 0.0
        parcel_items = []
        for product in body["products"]:
            shipped = items[product["product_id"]]
            weight += float(shipped.get("weight_kg") or 0.5) * product["quantity"]
            value = product.get("value", shipped.get("value", 0))
            item = {
                "description": product.get("description") or shipped["description"],
                "quantity": product["quantity"],
                "weight": {"value": float(shipped.get("weight_kg") or 0.5), "unit": "kg"},
                "price": {"value": value, "currency": shipped.get("currency", "EUR")},
                "product_id": product["product_id"],
                "return_reason_id": str(product.get("return_reason") or body["reason"]),
            }
            if shipped.get("sku"):
                item["sku"] = shipped["sku"]
            if body.get("message"):
                item["return_message"] = body["message"]
            parcel_items.append(item)
        return {
            "from_address": from_address,
            "to_address": brand.data["return_address"],
            "ship_with": {"type": "shipping_option_code", "shipping_option_code": f"{carrier}:return/return"},
            "weight": {"value": round(weight, 3), "unit": "kg"},
            "collo_count": incoming.get("collo_count", 1),
            "parcel_items": parcel_items,
            "brand_id": brand.id,
            "order_number": parcel.data.get("order_number") or "",
            "delivery_option": body["delivery_option"],
            "send_tracking_emails": True,
        }


def _translated(description: Any, language: str) -> str:
    if isinstance(description, str):
        return description
    base = {"en-US": "en-GB"}.get(language, language)
    return description.get(base) or description.get("en-GB") or next(iter(description.values()))


def _carrier(code: str) -> dict[str, Any]:
    carrier = CARRIERS.get(code)
    return {"code": code, "name": carrier.name if carrier else code, "labelless": bool(carrier and carrier.labelless)}


def _parcel_view(parcel: OutgoingParcel, where: tuple[float, float] | None) -> dict[str, Any]:
    address = parcel.data["to_address"]
    country = address["country_code"].upper()
    iso3, name = ISO3.get(country, (country + "X", country))
    weight = sum(float(i.get("weight_kg") or 0) * i.get("quantity", 1) for i in parcel.data.get("items", []))
    return {
        "id": parcel.id,
        "name": address["name"],
        "company_name": address.get("company_name"),
        "address": f"{address['address_line_1']} {address.get('house_number', '')}".strip(),
        "address_2": address.get("address_line_2"),
        "address_divided": {"street": address["address_line_1"], "house_number": address.get("house_number", "")},
        "house_number": address.get("house_number", ""),
        "city": address["city"],
        "postal_code": address["postal_code"],
        "to_state": address.get("state_province_code"),
        "country": {"iso_2": country, "iso_3": iso3, "name": name},
        "email": address.get("email"),
        "telephone": address.get("phone_number"),
        "tracking_number": parcel.data["tracking_number"],
        "order_number": parcel.data.get("order_number"),
        "to_coordinates": {"latitude": where[0], "longitude": where[1]} if where else None,
        "collo_count": 1,
        "weight": f"{weight:.3f}",
        "carrier": {"code": parcel.data.get("carrier", "sendcloud")},
        "shipped_at": parcel.data.get("shipped_at"),
    }


def _product_view(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": item["product_id"],
        "name": item["description"],
        "price": f"{float(item.get('value', 0)):.2f}",
        "currency": item.get("currency", "EUR"),
        "image_url": None,
        "quantity": item["quantity"],
        "returnable": True,
        "sku": item.get("sku"),
    }


def _v2_refund(refund: dict[str, Any] | None, options: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    if refund is None:
        return None
    option = options[refund["refund_type"]["code"]]
    return {"total_refund": None, "refunded_at": None, "message": refund.get("message"),
            "refund_type": {"code": option["code"], "label": option["label"],
                            "require_message": option["require_message"]}}


def _v2_outgoing_data(brand: Brand, parcel: OutgoingParcel) -> dict[str, Any]:
    address = parcel.data["to_address"]
    return {
        "tracking_url": None,
        "tracking_number": parcel.data["tracking_number"],
        "parcel_status": 11,
        "global_status_slug": "delivered",
        "brand_name": brand.name,
        "order_number": parcel.data.get("order_number"),
        "from_email": address.get("email"),
        "deleted": False,
        "collo_count": 1,
        "from_country": address["country_code"],
        "from_name": address["name"],
        "shipping_method": parcel.data.get("shipping_method"),
        "extra_data": {},
    }
