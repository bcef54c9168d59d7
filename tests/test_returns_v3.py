"""The Returns API v3 through Flask's test client; every response is checked against its schema."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from conftest import LIST_URL, basic, sources

LIST = LIST_URL


def test_create_answers_ids(client, auth, return_body) -> None:
    """A create answers 201 with the return id, the parcel id and no multi-collo ids."""
    response = client.post("/api/v3/returns", json=return_body(), headers=auth)
    assert response.status_code == 201
    assert set(response.json) == {"return_id", "parcel_id", "multi_collo_ids"}
    assert response.json["multi_collo_ids"] == []


def test_retrieve_before_announcement(client, auth, create_return) -> None:
    """A new return is announcing: no label, tracking number or tracking URL yet, cancellable."""
    created = create_return()
    body = client.get(f"/api/v3/returns/{created['return_id']}", headers=auth).json
    assert body["id"] == created["return_id"]
    assert body["label_url"] is None and body["tracking_number"] is None and body["tracking_url"] is None
    assert "label" not in body
    assert body["is_cancellable"] is True
    assert [s["parent_status"] for s in body["status_history"]] == ["announcing"]
    assert body["parcel_items"][0]["return_reason"] == {"id": 26, "description": "Wrong size ordered"}
    assert body["delivered_at"] is None and body["delivered_at_iso"] is None
    assert body["shipping_option"] == {"code": "postnl:standard/return"}


def test_lifecycle_follows_the_clock(client, auth, create_return, advance) -> None:
    """Announced after the label delay, in transit later, then delivered with ms and ISO times."""
    rid = create_return()["return_id"]
    url = f"/api/v3/returns/{rid}"
    advance(10)
    announced = client.get(url, headers=auth).json
    assert announced["tracking_number"].startswith("3S")
    assert announced["tracking_url"].startswith("https://tracking.")
    parcel_id = announced["label"]["label_printer"].split("/")[-3]
    assert announced["label_url"].endswith(f"/api/v3/parcels/{parcel_id}/documents/label")
    assert announced["label"]["normal_printer"] == [announced["label_url"] + "?paper_size=a4"] * 4
    assert [s["parent_status"] for s in announced["status_history"]] == ["announcing", "ready-to-send"]
    advance(3600)
    assert client.get(url, headers=auth).json["status_history"][-1]["parent_status"] == "to-sorting"
    advance(86400)
    delivered = client.get(url, headers=auth).json
    assert delivered["status_history"][-1]["parent_status"] == "delivered"
    assert len(delivered["status_history"]) == 4
    assert delivered["is_cancellable"] is False
    assert isinstance(delivered["delivered_at"], int) and delivered["delivered_at"] > 1_600_000_000_000
    assert delivered["delivered_at_iso"].endswith("+00:00")
    assert client.patch(url + "/cancel", headers=auth).status_code == 409


def test_cancel_then_cancel_again(client, auth, create_return) -> None:
    """The first cancel answers 202 and cancels; the second answers Sendcloud's 409 body."""
    rid = create_return()["return_id"]
    first = client.patch(f"/api/v3/returns/{rid}/cancel", headers=auth)
    assert first.status_code == 202 and first.json == {"message": "Cancellation requested successfully"}
    shown = client.get(f"/api/v3/returns/{rid}", headers=auth).json
    assert shown["is_cancellable"] is False
    assert shown["status_history"][-1]["parent_status"] == "cancelled"
    second = client.patch(f"/api/v3/returns/{rid}/cancel", headers=auth)
    assert second.status_code == 409
    assert second.json == {"errors": [{"field": "returns", "code": 409, "message": "Return is not cancellable."}]}


def test_cancelled_before_announcement_never_gets_a_label(client, auth, create_return, advance) -> None:
    """A return cancelled while announcing stays without label after the delay passes."""
    rid = create_return()["return_id"]
    client.patch(f"/api/v3/returns/{rid}/cancel", headers=auth)
    advance(100_000)
    body = client.get(f"/api/v3/returns/{rid}", headers=auth).json
    assert body["label_url"] is None
    assert [s["parent_status"] for s in body["status_history"]] == ["announcing", "cancelled"]


def test_unknown_return_is_404_everywhere(client, auth) -> None:
    """Retrieve and cancel of an id nobody has answer 404 in the v3 format."""
    for response in (client.get("/api/v3/returns/999", headers=auth),
                     client.patch("/api/v3/returns/999/cancel", headers=auth),
                     client.get("/api/v3/returns/abc", headers=auth),
                     client.get("/api/v3/returns/99999999999999999999999", headers=auth)):
        assert response.status_code == 404
        assert response.json["errors"][0]["code"] == "not_found"


def test_missing_field_is_named(client, auth, return_body) -> None:
    """A body without weight, and with an address lacking its city, names both fields."""
    body = return_body(weight=None)
    del body["from_address"]["city"]
    response = client.post("/api/v3/returns", json=body, headers=auth)
    assert response.status_code == 400
    assert {"pointer": "/weight"} in sources(response)
    assert {"pointer": "/from_address/city"} in sources(response)
    assert {e["code"] for e in response.json["errors"]} == {"required"}


@pytest.mark.parametrize("change, pointer, code", [
    ({"weight": {"value": -1, "unit": "kg"}}, "/weight/value", "min_value"),
    ({"weight": {"value": 1, "unit": "stone"}}, "/weight/unit", "invalid_choice"),
    ({"collo_count": 0}, "/collo_count", "min_value"),
    ({"collo_count": "two"}, "/collo_count", "invalid"),
    ({"delivery_option": "by_pigeon"}, "/delivery_option", "invalid_choice"),
    ({"brand_id": 999}, "/brand_id", "invalid"),
    ({"ship_with": {"type": "shipping_option_code"}}, "/ship_with/shipping_option_code", "required"),
    ({"ship_with": {"shipping_option_code": "postnl:standard/return"}}, "/ship_with/shipping_product_code", "required"),
])
def test_invalid_fields_are_named(client, auth, return_body, change, pointer, code) -> None:
    """Each kind of invalid value answers 400 naming the field with Sendcloud's code."""
    response = client.post("/api/v3/returns", json=return_body(**change), headers=auth)
    assert response.status_code == 400
    errors = response.json["errors"]
    assert any(e["source"] == {"pointer": pointer} and e["code"] == code for e in errors), errors


def test_multi_collo_creates_a_parcel_per_collo(client, auth, create_return, advance) -> None:
    """collo_count 3 creates three parcels, each with its own tracking number and label."""
    created = create_return(collo_count=3)
    assert len(created["multi_collo_ids"]) == 3 and created["parcel_id"] == created["multi_collo_ids"][0]
    advance(10)
    numbers = set()
    for parcel_id in created["multi_collo_ids"]:
        label = client.get(f"/api/v3/parcels/{parcel_id}/documents/label", headers=auth)
        assert label.status_code == 200 and label.mimetype == "application/pdf"
        numbers.add(label.data)
    assert len(numbers) == 3


def test_customs_needs_items_outside_the_eu(client, auth, return_body) -> None:
    """A return from Switzerland without parcel_items is refused; with items and HS codes it is accepted."""
    swiss = {"name": "Lea Meier", "address_line_1": "Bahnhofstrasse", "house_number": "1", "postal_code": "8001",
             "city": "Zürich", "country_code": "CH"}
    refused = client.post("/api/v3/returns", json=return_body(from_address=swiss, parcel_items=None), headers=auth)
    assert refused.status_code == 400 and {"pointer": "/parcel_items"} in sources(refused)
    items = [{"description": "Watch strap", "quantity": 1, "hs_code": "9113.90", "origin_country": "CH",
              "price": {"value": 40, "currency": "EUR"}}]
    missing_hs = [{"description": "Watch strap", "quantity": 1}]
    refused = client.post("/api/v3/returns", json=return_body(from_address=swiss, parcel_items=missing_hs),
                          headers=auth)
    assert {"pointer": "/parcel_items/0/hs_code"} in sources(refused)
    accepted = client.post("/api/v3/returns", json=return_body(from_address=swiss, parcel_items=items), headers=auth)
    assert accepted.status_code == 201
    shown = client.get(f"/api/v3/returns/{accepted.json['return_id']}", headers=auth).json
    assert shown["customs_shipment_type"] == 4


def test_external_reference_is_unique_per_account(client, auth, other_auth, return_body, create_return) -> None:
    """A reused external_reference is refused with Sendcloud's message; another account may use it."""
    create_return(external_reference="RET-1")
    again = client.post("/api/v3/returns", json=return_body(external_reference="RET-1"), headers=auth)
    assert again.status_code == 400
    assert again.json["errors"][0]["source"] == {"pointer": "/external_reference"}
    assert "already been used" in again.json["errors"][0]["detail"]
    elsewhere = client.post("/api/v3/returns", json=return_body(external_reference="RET-1", brand_id=None),
                            headers=other_auth)
    assert elsewhere.status_code == 201


@pytest.mark.parametrize("value", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_bad_partner_header_is_400(client, auth, return_body, value) -> None:
    """A malformed or unknown Sendcloud-Partner-Id answers 400 naming the header."""
    response = client.post("/api/v3/returns", json=return_body(),
                           headers={**auth, "Sendcloud-Partner-Id": value})
    assert response.status_code == 400
    assert sources(response) == [{"header": "Sendcloud-Partner-Id"}]


def test_known_partner_header_is_accepted(client, auth, return_body) -> None:
    """A partner id from the fixtures is accepted."""
    partner = client.get("/__admin/fixtures").json["partner_ids"][0]
    response = client.post("/api/v3/returns", json=return_body(), headers={**auth, "Sendcloud-Partner-Id": partner})
    assert response.status_code == 201


@pytest.mark.parametrize("headers", [{}, basic("test_api_key_stroopwafel", "wrong"), basic("nobody", "x"),
                                     {"Authorization": "Bearer abc"}, {"Authorization": "Basic !!!"}])
def test_bad_credentials_are_401(client, headers) -> None:
    """Missing, wrong or malformed credentials answer 401 with WWW-Authenticate."""
    response = client.get(LIST, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert response.json["errors"][0]["code"] == "authentication_failed"


def test_accounts_are_isolated(client, auth, other_auth, create_return) -> None:
    """What one account creates, another can neither read, list nor cancel."""
    rid = create_return()["return_id"]
    assert client.get(f"/api/v3/returns/{rid}", headers=other_auth).status_code == 404
    assert client.patch(f"/api/v3/returns/{rid}/cancel", headers=other_auth).status_code == 404
    assert client.get(LIST, headers=other_auth).json["data"] == []
    assert client.get(f"/api/v2/returns/{rid}", headers=other_auth).status_code == 404


def _ids(client, url: str, auth: dict[str, str], key: str = "data") -> tuple[list[int], Any]:
    body = client.get(url, headers=auth).json
    return [item["id"] for item in body[key]], body


def test_pagination_two_at_a_time(client, auth, create_return) -> None:
    """Five returns paged two at a time come newest first, each once; previous walks back."""
    created = [create_return()["return_id"] for _ in range(5)]
    seen, url, pages = [], LIST + "&page_size=2", []
    while url:
        ids, body = _ids(client, url, auth)
        seen += ids
        pages.append((url, body))
        url = body["next"]
    assert seen == sorted(created, reverse=True)
    assert [len(body["data"]) for _, body in pages] == [2, 2, 1]
    assert pages[0][1]["previous"] is None
    assert pages[-1][1]["next"] is None
    back_ids, _ = _ids(client, pages[-1][1]["previous"], auth)
    assert back_ids == [item["id"] for item in pages[1][1]["data"]]
    assert pages[1][1]["next"].startswith("http://localhost/api/v3/returns?")
    assert "page_size=2" in pages[1][1]["next"] and "from_date=" in pages[1][1]["next"]


def test_pages_neither_repeat_nor_skip_while_creating(client, auth, create_return) -> None:
    """Returns created between page requests do not shift the pages being walked."""
    before = [create_return()["return_id"] for _ in range(6)]
    ids, body = _ids(client, LIST + "&page_size=2", auth)
    seen = list(ids)
    while body["next"]:
        create_return()
        ids, body = _ids(client, body["next"], auth)
        seen += ids
    assert seen == sorted(before, reverse=True)


@pytest.mark.parametrize("cursor", ["garbage!!", base64.b64encode(b"p=abc").decode(),
                                    base64.b64encode(b"o=99999999").decode(), "%00"])
def test_forged_cursor_is_400(client, auth, cursor) -> None:
    """A forged or garbled cursor answers 400 naming the cursor parameter."""
    response = client.get(LIST + "&cursor=" + cursor, headers=auth)
    assert response.status_code == 400
    assert sources(response) == [{"parameter": "cursor"}]


@pytest.mark.parametrize("query, parameter", [
    ("", "from_date"), ("from_date=2020-01-01 00:00:00", "to_date"),
    ("from_date=yesterday&to_date=2100-01-01", "from_date"),
    ("from_date=2020-01-01&to_date=2100-01-01&page_size=41", "page_size"),
    ("from_date=2020-01-01&to_date=2100-01-01&page_size=0", "page_size"),
    ("from_date=2020-01-01&to_date=2100-01-01&page_size=ten", "page_size"),
    ("from_date=2020-01-01&to_date=2100-01-01&parent_parcel_status=lost", "parent_parcel_status"),
    ("from_date=2020-01-01&from_date=2020-01-02&to_date=2100-01-01", "from_date"),
])
def test_list_parameters_are_checked(client, auth, query, parameter) -> None:
    """Missing, malformed, out-of-range and duplicated list parameters answer 400 naming them."""
    response = client.get("/api/v3/returns?" + query, headers=auth)
    assert response.status_code == 400
    assert {"parameter": parameter} in sources(response)


def test_list_filters_by_date_and_status(client, auth, create_return, advance) -> None:
    """from_date/to_date bound creation times; parent_parcel_status filters on the current status."""
    first = create_return()["return_id"]
    advance(10)
    second = create_return()["return_id"]
    announced, _ = _ids(client, LIST + "&parent_parcel_status=ready-to-send", auth)
    announcing, _ = _ids(client, LIST + "&parent_parcel_status=announcing", auth)
    assert announced == [first] and announcing == [second]
    assert _ids(client, "/api/v3/returns?from_date=2000-01-01 00:00:00&to_date=2000-01-02 00:00:00", auth)[0] == []


def test_validate_normalises_without_creating(client, auth, return_body) -> None:
    """validate answers the return in kilograms and centimetres and stores nothing."""
    body = return_body(weight={"value": 1500, "unit": "g"},
                       dimensions={"length": 300, "width": 200, "height": 100, "unit": "mm"})
    response = client.post("/api/v3/returns/validate", json=body, headers=auth)
    assert response.status_code == 200
    assert response.json["weight"] == 1.5
    assert response.json["dimensions"] == {"length": 30.0, "width": 20.0, "height": 10.0}
    assert client.get(LIST, headers=auth).json["data"] == []
    refused = client.post("/api/v3/returns/validate", json=return_body(weight=None), headers=auth)
    assert refused.status_code == 400 and {"pointer": "/weight"} in sources(refused)


def test_announce_synchronously_is_announced_at_once(client, auth, return_body) -> None:
    """A synchronous announcement answers 201 and the label is there immediately."""
    response = client.post("/api/v3/returns/announce-synchronously", json=return_body(), headers=auth)
    assert response.status_code == 201
    shown = client.get(f"/api/v3/returns/{response.json['return_id']}", headers=auth).json
    assert shown["tracking_number"] and shown["label_url"]


def test_announce_synchronously_reports_carrier_error(client, auth, return_body) -> None:
    """A parcel the carrier refuses (too heavy for PostNL) answers 400 with the announcement error."""
    response = client.post("/api/v3/returns/announce-synchronously",
                           json=return_body(weight={"value": 40, "unit": "kg"}), headers=auth)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "parcel_announcement_error"
    assert "23 kg" in response.json["error"]["message"]


def test_async_announcement_failure_shows_in_errors(client, auth, create_return, advance) -> None:
    """Created asynchronously, a refused parcel ends announcement-failed with the error listed."""
    rid = create_return(weight={"value": 40, "unit": "kg"})["return_id"]
    advance(10)
    shown = client.get(f"/api/v3/returns/{rid}", headers=auth).json
    assert shown["status_history"][-1]["parent_status"] == "announcement-failed"
    assert shown["errors"][0]["code"] == "parcel_announcement_error"
    assert shown["label_url"] is None


def test_label_pdf_before_and_after_announcement(client, auth, create_return, advance) -> None:
    """The label 404s until announced, then is a PDF in A6 or A4; other sizes are refused."""
    parcel = create_return()["parcel_id"]
    url = f"/api/v3/parcels/{parcel}/documents/label"
    assert client.get(url, headers=auth).status_code == 404
    advance(10)
    a6 = client.get(url, headers=auth)
    a4 = client.get(url + "?paper_size=a4", headers=auth)
    assert a6.status_code == a4.status_code == 200
    assert a6.data.startswith(b"%PDF") and a6.data != a4.data
    assert client.get(url + "?paper_size=letter", headers=auth).status_code == 400
    assert client.get(url, headers=basic("test_api_key_lumiere", "test_api_secret_lumiere")).status_code == 404


def test_collo_count_is_bounded(client, auth, return_body) -> None:
    """More than 20 colli is refused (multi-collo limit), so no request can make a million parcels."""
    response = client.post("/api/v3/returns", json=return_body(collo_count=900_000), headers=auth)
    assert response.status_code == 400
    assert sources(response) == [{"pointer": "/collo_count"}]


def test_remembered_views_follow_time_and_writes(tmp_path, return_body) -> None:
    """Without response validation (the production path), a remembered Return still changes when it should."""
    from mock_server import Settings, create_app

    client = create_app(Settings(db=str(tmp_path / "db"))).test_client()
    headers = basic("test_api_key_stroopwafel", "test_api_secret_stroopwafel")
    rid = client.post("/api/v3/returns", json=return_body(), headers=headers).json["return_id"]
    url = f"/api/v3/returns/{rid}"
    first, again = client.get(url, headers=headers).json, client.get(url, headers=headers).json
    assert first == again and first["tracking_number"] is None
    client.post("/__admin/clock/advance", json={"seconds": 10})
    announced = client.get(url, headers=headers).json
    assert announced["tracking_number"] is not None
    assert client.get(f"/api/v2/returns/{rid}", headers=headers).json["is_cancellable"] is True
    client.patch(url + "/cancel", headers=headers)
    assert client.get(url, headers=headers).json["is_cancellable"] is False
    assert client.get(f"/api/v2/returns/{rid}", headers=headers).json["is_cancellable"] is False
    other = basic("test_api_key_lumiere", "test_api_secret_lumiere")
    assert client.get(url, headers=other).status_code == 404
