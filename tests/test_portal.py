"""The Return portal API: settings, lookup, creation with the access token, polling, download."""

from __future__ import annotations

import io
from typing import Any

import pytest
from conftest import LIST_URL

BRAND = "stroopwafel-co"
PORTAL = f"/api/v2/brand/{BRAND}/return-portal"
TRACKING, ORDER, POSTAL = "3SSCRT10493821", "SW-2026-10452", "3511 AZ"


def lookup(client, identifier: str = TRACKING, postal_code: str = POSTAL, brand: str = BRAND):
    return client.get(f"/api/v2/brand/{brand}/return-portal/outgoing",
                      query_string={"postal_code": postal_code, "identifier": identifier})


def portal_body(found: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A valid portal create body for the looked-up parcel."""
    body = {
        "reason": 26,
        "message": "Ordered the wrong size of tin.",
        "outgoing_parcel": found["parcel"]["id"],
        "service_point": {"id": found["service_point"]["id"]},
        "refund": {"refund_type": {"code": "money"}, "message": None},
        "delivery_option": "drop_off_point",
        "products": [{"product_id": "SW-HONEY-12", "quantity": 1, "description": "Stroopwafels honey", "value": 9.95,
                      "return_reason": 26}],
        "incoming_parcel": {"collo_count": 1, "from_name": "Sanne de Vries", "from_address_1": "Oudegracht",
                            "from_house_number": "158", "from_city": "Utrecht", "from_postal_code": "3511 AZ",
                            "from_country": "NL", "from_email": "sanne.devries@example.nl"},
        "selected_functionalities": {"first_mile": "dropoff"},
    }
    body.update(changes)
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def found(client) -> dict[str, Any]:
    response = lookup(client)
    assert response.status_code == 200, response.json
    return response.json


def create(client, found: dict[str, Any], **changes: Any):
    return client.post(f"{PORTAL}/incoming", json=portal_body(found, **changes), headers=bearer(found["access_token"]))


def test_settings_in_languages(client) -> None:
    """Settings list reasons, refund and delivery options and carriers, translated on request."""
    english = client.get(PORTAL).json["portal"]
    dutch = client.get(PORTAL + "?language=nl-NL").json["portal"]
    assert {r["id"] for r in english["reasons"]} == {1, 11, 21, 24, 25, 26}
    assert english["reasons"][-1]["description"] == "Wrong size ordered"
    assert dutch["reasons"][-1]["description"] == "Verkeerde maat besteld"
    assert [c["code"] for c in english["carriers"]] == ["postnl", "dhl", "dpd"]
    assert english["brand"]["domain"] == BRAND
    assert client.get(PORTAL + "?language=xx-XX").status_code == 400
    assert client.get("/api/v2/brand/nobody/return-portal").status_code == 404


def test_lookup_by_tracking_and_by_order_number(client) -> None:
    """The identifier may be the tracking number or the order number; both find the same parcel."""
    by_tracking, by_order = lookup(client).json, lookup(client, ORDER).json
    assert by_tracking["parcel"]["id"] == by_order["parcel"]["id"]
    assert by_tracking["parcel"]["tracking_number"] == TRACKING
    assert by_tracking["access_token"] != by_tracking["service_points_token"]
    assert by_tracking["data"]["access_token"] == by_tracking["access_token"]
    assert {p["id"] for p in by_tracking["products"]} == {"SW-HONEY-12", "SW-TIN"}
    assert by_tracking["shipping_method_ids"]
    assert lookup(client, postal_code="3511az").status_code == 200


def test_lookup_answers_nearest_points_of_enabled_carriers(client, found) -> None:
    """The nearest service point is of an enabled carrier, and the labelless one accepts labelless returns."""
    point, labelless = found["service_point"], found["labelless_service_point"]
    assert point["carrier"] in {"postnl", "dhl", "dpd"} and point["city"]
    assert isinstance(point["latitude"], str) and isinstance(point["distance"], int)
    assert labelless is not None and labelless["carrier"] in {"postnl", "dhl"}
    assert labelless["distance"] >= point["distance"]
    shops = {shop["id"]: shop["distance"] for shop in found["shop_distances"]}
    assert set(shops) == {7, 8} and 30_000 < shops[8] < 40_000  # Utrecht to the Amsterdam shop, about 35 km


def test_lookup_refusals(client) -> None:
    """A wrong postal code is 400 invalid_postal_code; an unknown identifier 404; missing params 400."""
    wrong = lookup(client, postal_code="9999 ZZ")
    assert wrong.status_code == 400
    assert wrong.json["error"]["code"] == "invalid_postal_code"
    assert wrong.json["error"]["request"] == f"api/v2/brand/{BRAND}/return-portal/outgoing"
    assert lookup(client, identifier="NOPE").status_code == 404
    assert lookup(client, brand="dutch-design-living").status_code == 404
    missing = client.get(f"{PORTAL}/outgoing?identifier={TRACKING}")
    assert missing.status_code == 400 and "postal_code" in missing.json["error"]["message"]


def test_whole_flow_create_poll_download(client, found, advance) -> None:
    """Create with the access token, poll 202, advance the clock, poll 200, download a PDF with the tracking number."""
    created = create(client, found)
    assert created.status_code == 201, created.json
    poller = created.json["poller_url"]
    assert poller.startswith(f"http://localhost{PORTAL}/label/polling?token=")
    first = client.get(poller)
    assert first.status_code == 202 and first.json["status"] == "announcing"
    advance(10)
    ready = client.get(poller)
    assert ready.status_code == 200
    assert ready.json["return"] == created.json["return"]
    assert ready.json["parcels"] == created.json["incoming_parcels"]
    tracking = ready.json["tracking_numbers"][0]
    pdf = client.get(ready.json["download_url"])
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert tracking in text
    assert client.get(ready.json["download_url"]).data == pdf.data


def test_portal_return_is_an_ordinary_return(client, auth, found, advance) -> None:
    """The portal's return shows in v3 and v2 with its reason, refund, delivery option, items and history."""
    rid = create(client, found, refund={"refund_type": {"code": "exchange"}, "message": "Size M please"}).json["return"]
    advance(10)
    v3 = client.get(f"/api/v3/returns/{rid}", headers=auth).json
    assert v3["reason"] == {"id": 26, "description": "Wrong size ordered"}
    assert v3["refund"] == {"refund_type": "exchange", "message": "Size M please"}
    assert v3["delivery_option"] == "drop_off_point"
    assert v3["parcel_items"][0]["product_id"] == "SW-HONEY-12"
    assert v3["order_number"] == ORDER and v3["brand_id"] == 101
    assert [s["parent_status"] for s in v3["status_history"]] == ["announcing", "ready-to-send"]
    assert rid in [r["id"] for r in client.get(LIST_URL, headers=auth).json["data"]]
    v2 = client.get(f"/api/v2/returns/{rid}", headers=auth).json
    assert v2["reason"] == 26 and v2["outgoing_parcel"] == found["parcel"]["id"]
    assert v2["refund"]["refund_type"]["code"] == "exchange"
    assert v2["outgoing_parcel_data"]["tracking_number"] == TRACKING
    assert v2["message"] == "Ordered the wrong size of tin."
    assert client.patch(f"/api/v3/returns/{rid}/cancel", headers=auth).status_code == 202


@pytest.mark.parametrize("changes, pointer", [
    ({"reason": 3}, "reason"),
    ({"delivery_option": "pickup"}, "delivery_option"),
    ({"refund": {"refund_type": {"code": "exchange"}}}, "refund.message"),
    ({"products": [{"product_id": "NOT-SHIPPED", "quantity": 1}]}, "products.0.product_id"),
    ({"products": [{"product_id": "SW-TIN", "quantity": 5}]}, "products.0.quantity"),
    ({"service_point": None}, "service_point"),
    ({"service_point": {"id": 1}}, "service_point.id"),
    ({"selected_carrier_code": "ups"}, "selected_carrier_code"),
    ({"incoming_parcel": {"from_name": "x"}}, "incoming_parcel.from_address_1"),
])
def test_create_refusals_name_the_field(client, found, changes, pointer) -> None:
    """Choices the portal does not offer answer 400 naming the field."""
    response = create(client, found, **changes)
    assert response.status_code == 400, response.json
    assert pointer in response.json["error"]["message"]


def test_create_for_another_parcel_is_403(client, found) -> None:
    """An access token for one outgoing parcel cannot create a return for another."""
    response = create(client, found, outgoing_parcel=250000102)
    assert response.status_code == 403


def test_paid_returns_wait_for_payment(client) -> None:
    """A paid-returns portal answers 202 awaiting_payment until the payment is settled."""
    found = lookup(client, "3SDDLV20817364", "75001", "dutch-design-living").json
    body = portal_body(found, reason=11, delivery_option="drop_off_point",
                       service_point={"id": found["service_point"]["id"]},
                       products=[{"product_id": "DDL-VASE-03", "quantity": 1}])
    created = client.post("/api/v2/brand/dutch-design-living/return-portal/incoming", json=body,
                          headers=bearer(found["access_token"]))
    assert created.status_code == 201, created.json
    poll = client.get(created.json["poller_url"])
    assert poll.status_code == 202 and poll.json["status"] == "awaiting_payment"
    client.post("/__admin/clock/advance", json={"seconds": 3600})
    assert client.get(created.json["poller_url"]).status_code == 202
    paid = client.post(f"/__admin/returns/{created.json['return']}/payment", json={"paid": True})
    assert paid.status_code == 200 and paid.json["status"] == "open"
    assert client.get(created.json["poller_url"]).status_code == 202
    client.post("/__admin/clock/advance", json={"seconds": 10})
    assert client.get(created.json["poller_url"]).status_code == 200


def test_announcement_failure_from_fixture_answers_500(client, advance) -> None:
    """A parcel whose fixture says announcements fail polls 500 after the label delay."""
    found = lookup(client, "SW-2026-10499", "9712 CA").json
    body = portal_body(found, products=[{"product_id": "SW-CARAMEL-24", "quantity": 1}],
                       service_point={"id": found["service_point"]["id"]})
    created = client.post(f"{PORTAL}/incoming", json=body, headers=bearer(found["access_token"]))
    assert created.status_code == 201, created.json
    assert client.get(created.json["poller_url"]).status_code == 202
    advance(10)
    failed = client.get(created.json["poller_url"])
    assert failed.status_code == 500 and failed.json["error"]["code"] == "announcement_failed"


def test_announcement_fault_setting_answers_500(client, found, advance) -> None:
    """With the admin announcement fault on, polls answer 500; turned off, new returns succeed."""
    client.post("/__admin/faults/announcement", json={"enabled": True, "message": "PostNL is down"})
    failing = create(client, found).json["poller_url"]
    advance(10)
    answer = client.get(failing)
    assert answer.status_code == 500 and answer.json["error"]["message"] == "PostNL is down"
    client.post("/__admin/faults/announcement", json={"enabled": False})
    working = create(client, found).json["poller_url"]
    advance(10)
    assert client.get(working).status_code == 200
