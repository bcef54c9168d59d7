"""The return portal's rules: settings, outgoing lookup, creating returns, label polling.

A return made through the portal is an ordinary return (the Returns API lists it); the
portal adds its reason, refund, delivery option, items and the outgoing parcel it came from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from ..accounts import Account, normalise_postal_code
from ..carriers import CARRIERS
from ..errors import ApiError, Problem
from ..returns.lifecycle import Progress
from ..returns.models import ReturnRecord, ReturnsBackend
from ..returns.record import Image, Money, Payment, PortalLink, Reason, Refund, ReturnData
from ..service_points import ServicePointIndex, shop_distances
from ..store import Store, loads

LANGUAGES = ("en-GB", "de-DE", "es-ES", "fr-FR", "nl-NL", "it-IT", "en-US")
LOGO_KINDS = ("screen", "print", "overlay")
FEATURES = ("tracking_page", "tracking_email", "tracking_sms", "tracking_whatsapp", "returns_portal")
DEFAULT_FEATURES = ("tracking_page", "tracking_email", "returns_portal")
# The national postal carrier of a customer's country: (carrier, drop-off finder, customer service page).
NATIONAL_CARRIERS = {
    "NL": ("postnl", "https://www.postnl.nl/locatiewijzer/", "https://www.postnl.nl/klantenservice/"),
    "BE": ("bpost", "https://www.bpost.be/nl/postpunten-en-brievenbussen", "https://www.bpost.be/nl/contact"),
    "DE": ("dhl_de", "https://www.dhl.de/de/privatkunden/dhl-standorte-finden.html",
           "https://www.dhl.de/de/privatkunden/kundenservice.html"),
    "FR": ("colissimo", "https://www.laposte.fr/particulier/outils/trouver-un-bureau-de-poste",
           "https://www.colissimo.fr/contact"),
}
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
        row = self._store.brand_by_domain(domain)
        if row is None or not loads(row["data"]).get("portal"):
            raise ApiError.one(404, "not_found", "No return portal is configured for this brand.")
        data = loads(row["data"])
        return Brand(row["id"], Account(row["account_id"], row["api_key"], row["account_name"]), row["domain"],
                     data.get("name", row["domain"]), data)

    def settings(self, brand: Brand, language: str, *, media_url: str) -> dict[str, Any]:
        """The portal as the merchant set it up, in `language` (already matched); logos live under media_url."""
        portal = brand.portal
        return {"portal": {
            "reasons": [{"id": r["id"], "description": _translated(r["description"], language)}
                        for r in portal.get("reasons", [])],
            "refund_options": portal.get("refund_options", []),
            "delivery_options": portal.get("delivery_options", []),
            "carriers": [carrier_view(code, media_url) for code in brand.carriers],
            "enable_labelless": bool(portal.get("enable_labelless")),
            "enable_paid_returns": bool(portal.get("enable_paid_returns")),
            "enable_branded_header": bool(portal.get("enable_branded_header")),
            "enable_branded_footer": bool(portal.get("enable_branded_footer")),
            "layout": _layout(brand, media_url),
            "return_fee": portal.get("return_fee"),
            "language": language,
            "support_url": portal.get("support_url"),
            "return_policy_url": portal.get("return_policy_url"),
            "brand": _brand_view(brand, media_url),
        }}

    def languages(self, brand: Brand) -> tuple[str, ...]:
        return tuple(brand.portal.get("languages") or LANGUAGES)

    def match_language(self, brand: Brand, requested: str | None) -> str:
        """The portal's language closest to what the client asked for: exact (any case), else same language."""
        configured = self.languages(brand)
        if requested is None:
            return "en-GB" if "en-GB" in configured else configured[0]
        wanted = requested.strip().replace("_", "-").lower()
        for tag in configured:
            if tag.lower() == wanted:
                return tag
        primary = wanted.split("-")[0]
        for tag in configured:
            if tag.split("-")[0].lower() == primary:
                return tag
        choices = ", ".join(json.dumps(tag) for tag in configured)
        raise ApiError.one(400, "invalid_choice",
                           f"{json.dumps(requested[:40])} is not a valid choice. Valid choices: {choices}.",
                           parameter="language")

    # -- outgoing lookup -----------------------------------------------------------------

    def find_outgoing(self, brand: Brand, *, postal_code: str, identifier: str) -> OutgoingParcel:
        """The brand's outgoing parcel with this tracking or order number, if the postal code matches."""
        rows = self._store.outgoing_by_identifier(brand.id, identifier.strip())
        if not rows:
            raise ApiError.one(404, "not_found", "No parcel was found for this identifier.")
        wanted = normalise_postal_code(postal_code)
        for row in rows:
            if row["postal_code"] == wanted:
                return OutgoingParcel(row["id"], row["brand_id"], loads(row["data"]))
        raise ApiError.one(400, "invalid_postal_code", "The postal code you provided is invalid.",
                           parameter="postal_code")

    def outgoing(self, brand: Brand, parcel: OutgoingParcel, *, now: float, media_url: str,
                 omit_service_points: bool = False) -> dict[str, Any]:
        """The lookup answer, without its tokens; omit_service_points leaves out the drop-off suggestions."""
        address = parcel.data["to_address"]
        where = self._points.locate(address["country_code"], address.get("postal_code"), address.get("city"))
        national, contact = national_carrier(address["country_code"], media_url)
        found: dict[str, Any] = {
            "parcel": _parcel_view(parcel, where),
            "products": [_product_view(item) for item in parcel.data.get("items", [])],
            "carriers": [carrier_view(code, media_url) for code in brand.carriers],
            "shipping_method_ids": [RETURN_SHIPPING_METHODS[c] for c in brand.carriers if c in RETURN_SHIPPING_METHODS],
            "national_carrier": national,
            "national_carrier_contact": contact,
        }
        if omit_service_points:
            return found
        moment = datetime.fromtimestamp(now, tz=timezone.utc)
        nearest = labelless = None
        if where is not None:
            nearest = self._points.nearest(*where, carriers=brand.carriers, now=moment)
            if brand.portal.get("enable_labelless") and any(CARRIERS[c].labelless for c in brand.carriers
                                                           if c in CARRIERS):
                labelless = self._points.nearest(*where, carriers=brand.carriers, labelless=True, now=moment)
        found["service_point"] = nearest
        found["labelless_service_point"] = labelless
        found["shop_distances"] = shop_distances(*where, ((s["id"], s["latitude"], s["longitude"])
                                                          for s in brand.portal.get("stores", []))) if where else []
        return found

    def outgoing_by_id(self, brand: Brand, parcel_id: int) -> OutgoingParcel:
        row = self._store.outgoing_by_id(brand.id, parcel_id)
        if row is None:
            raise ApiError.one(404, "not_found", "No parcel was found.")
        return OutgoingParcel(row["id"], row["brand_id"], loads(row["data"]))

    def attached_images(self, return_id: int) -> int:
        """How many pictures the customer attached to this return (0 for none, or no such return)."""
        stored = self._store.stored_return(return_id)
        return len(ReturnData.from_json(stored.data).images) if stored is not None else 0

    # -- a return's label -----------------------------------------------------------------

    def tracked_return(self, brand: Brand, subject: int, *, named: int | None = None) -> ReturnRecord:
        """The return a (verified) poller or label token names; `named` is the return the client says."""
        if named is not None and named != subject:
            raise ApiError.one(403, "forbidden", "This token belongs to another return.", parameter="return")
        return self._returns.get(brand.account, subject)

    def poll(self, brand: Brand, subject: int, *, named: int | None = None) -> tuple[ReturnRecord, Progress]:
        """How far the return has come towards its label (see lifecycle.progress)."""
        record = self.tracked_return(brand, subject, named=named)
        return record, record.progress(self._returns.now(brand.account))

    def labelled_return(self, brand: Brand, subject: int, *, named: int | None = None) -> ReturnRecord:
        """The return, once its label exists."""
        record = self.tracked_return(brand, subject, named=named)
        if not record.state(self._returns.now(brand.account)).label_ready:
            raise ApiError.one(404, "not_found", "The label is not ready.")
        return record

    # -- creating a return ---------------------------------------------------------------

    def create(self, brand: Brand, parcel: OutgoingParcel, body: dict[str, Any]) -> ReturnRecord:
        """Check the customer's choices against the portal's setup and store the return."""
        portal = brand.portal
        problems: list[Problem] = []
        if body["outgoing_parcel"] != parcel.id:
            raise ApiError.one(403, "forbidden", "The access token was issued for another outgoing parcel.",
                               pointer="/outgoing_parcel")
        reasons = {r["id"]: r for r in portal.get("reasons", [])}
        if body.get("reason") is None:
            # Production's reason defaults to null when every product names its own return_reason.
            if any(product.get("return_reason") is None for product in body["products"]):
                problems.append(Problem("required", "A reason is required unless every product has a return_reason.",
                                        pointer="/reason"))
        elif body["reason"] not in reasons:
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
                                     now=datetime.fromtimestamp(self._returns.now(brand.account), tz=timezone.utc))
            if point is None or point["carrier"] not in brand.carriers:
                problems.append(Problem("invalid",
                                        "Unknown service point, or one of a carrier the portal does not use.",
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
        customs = body.get("customs_information")
        if customs is not None and not (customs.get("invoice_number") or customs.get("customs_invoice_nr")):
            problems.append(Problem("required", "This field is required.",
                                    pointer="/customs_information/customs_invoice_nr"))
        for index, image in enumerate(body.get("images") or []):
            if image.get("product_id") is not None and image["product_id"] not in items:
                problems.append(Problem("invalid", "This product was not in the outgoing parcel.",
                                        pointer=f"/images/{index}/product_id"))
        if problems:
            raise ApiError(400, problems)
        request = self._returns_request(brand, parcel, body, carrier, items)
        reason = reasons.get(body.get("reason"))
        paid = bool(portal.get("enable_paid_returns"))
        fee = portal.get("return_fee") if paid else None
        chosen_refund = refund_options[refund["refund_type"]["code"]] if refund else None  # checked above
        failure = ("The carrier refused the announcement of this parcel." if parcel.data.get("announcement_fails")
                   else None)
        created = self._returns.create(
            brand.account, request, failure=failure,
            origin="portal",
            payment=Payment(required=paid, fee=Money(fee["value"], fee["currency"]) if fee else None),
            reason=Reason(reason["id"], _translated(reason["description"], "en-GB")) if reason else None,
            refund=(Refund(chosen_refund["code"], chosen_refund["label"], chosen_refund["require_message"],
                           refund.get("message")) if refund and chosen_refund else None),
            message=body.get("message"),
            images=tuple(Image(image["filename"], image.get("product_id"), image.get("description"))
                         for image in body.get("images") or []),
            shipping_method=RETURN_SHIPPING_METHODS.get(carrier),
            service_point=point["id"] if point else None,
            portal=_link(brand, parcel),
        )
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
            }
            reason = product.get("return_reason") or body.get("reason")
            if reason is not None:
                item["return_reason_id"] = str(reason)
            if shipped.get("sku"):
                item["sku"] = shipped["sku"]
            if body.get("message"):
                item["return_message"] = body["message"]
            parcel_items.append(item)
        request: dict[str, Any] = {
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
        customs = body.get("customs_information")
        if customs:
            customs = dict(customs)
            # The portal names the invoice number as the v2 parcel does; the Return shows both forms.
            invoice = customs.pop("customs_invoice_nr", None)
            if invoice and not customs.get("invoice_number"):
                customs["invoice_number"] = invoice
            customs.setdefault("export_reason", "returned_goods")
            request["customs_invoice_nr"] = customs["invoice_number"]
            request["customs_information"] = customs
        return request


def _translated(description: Any, language: str) -> str:
    if isinstance(description, str):
        return description
    base = {"en-US": "en-GB"}.get(language, language)
    return description.get(base) or description.get("en-GB") or next(iter(description.values()))


def carrier_view(code: str, media_url: str) -> dict[str, Any]:
    carrier = CARRIERS.get(code)
    return {"code": code, "name": carrier.name if carrier else code, "labelless": bool(carrier and carrier.labelless),
            "logo": carrier_logo(code, media_url)}


def carrier_logo(code: str, media_url: str) -> dict[str, str]:
    return {"full": f"{media_url}carriers/{code}/full.png", "icon": f"{media_url}carriers/{code}/icon.png"}


def national_carrier(country: str, media_url: str) -> tuple[dict[str, Any] | None, str | None]:
    """The postal carrier of the customer's country (its drop-off finder, logo) and its contact page."""
    known = NATIONAL_CARRIERS.get(country.upper())
    if known is None:
        return None, None
    code, finder, contact = known
    return ({"code": code, "name": CARRIERS[code].name, "drop_off_finder": finder,
             "logo": carrier_logo(code, media_url)}, contact)


def _logo_url(brand: Brand, name: str, media_url: str) -> str:
    return f"{media_url}brands/{brand.domain}/{name}.png"


def brand_logos(brand: Brand) -> tuple[str, ...]:
    """The logo kinds (screen, print, overlay) the brand has uploaded."""
    return tuple(kind for kind in (brand.portal.get("brand") or {}).get("logos", []) if kind in LOGO_KINDS)


def _brand_view(brand: Brand, media_url: str) -> dict[str, Any]:
    portal = brand.portal
    extra = portal.get("brand") or {}
    view: dict[str, Any] = {
        "id": brand.id, "name": brand.name, "domain": brand.domain,
        "color": portal.get("color"), "secondary_color": extra.get("secondary_color"), "website": portal.get("website"),
        "notify_reply_to_email": extra.get("notify_reply_to_email"),
        "notify_bcc_email": extra.get("notify_bcc_email"),
        "hide_powered_by": bool(extra.get("hide_powered_by")),
        "google_analytics_id": extra.get("google_analytics_id"),
        "features": {name: bool((extra.get("features") or {}).get(name, name in DEFAULT_FEATURES))
                     for name in FEATURES},
        "customization_settings": {part: (extra.get("customization_settings") or {}).get(part)
                                   for part in ("header", "footer")},
    }
    uploaded = brand_logos(brand)
    for kind in LOGO_KINDS:
        present = kind in uploaded
        view[f"{kind}_logo"] = {"url": _logo_url(brand, f"{kind}_logo", media_url)} if present else {}
        # Sendcloud shows a missing thumbnail as an empty object, a present one as its URL.
        view[f"{kind}_thumb"] = _logo_url(brand, f"{kind}_thumb", media_url) if present else {}
    return view


def _layout(brand: Brand, media_url: str) -> dict[str, Any]:
    layout = brand.portal.get("layout") or {}
    background = layout.get("background_image")
    if background == "background":
        background = _logo_url(brand, "background", media_url)
    return {"type": layout.get("type", "standard"), "helper_text": layout.get("helper_text"),
            "background_image": background}


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


def _link(brand: Brand, parcel: OutgoingParcel) -> PortalLink:
    address = parcel.data["to_address"]
    return PortalLink(
        brand=brand.domain, brand_name=brand.name, outgoing_parcel=parcel.id,
        tracking_number=parcel.data["tracking_number"], order_number=parcel.data.get("order_number"),
        customer_name=address["name"], customer_email=address.get("email"), customer_country=address["country_code"],
        shipping_method=parcel.data.get("shipping_method"),
    )
