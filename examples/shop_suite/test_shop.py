"""A shop's own test suite against the fake, written as a shop developer would.

Each test gets its own account from the `sendcloud_fake` fixture (no conftest.py needed), so
the tests move their clocks, set one-shot faults and count their own requests without seeing
each other, also under `pytest -n 4` and against one shared served fake.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest
from shop import ShopReturns

RETURN = {
    "from_address": {"name": "Sanne de Vries", "address_line_1": "Oudegracht", "house_number": "158",
                     "postal_code": "3511 AZ", "city": "Utrecht", "country_code": "NL",
                     "email": "sanne.devries@example.nl"},
    "to_address": {"name": "Returns department", "company_name": "Stroopwafel & Co B.V.",
                   "address_line_1": "Kanaalstraat", "house_number": "12", "postal_code": "5611 LX",
                   "city": "Eindhoven", "country_code": "NL"},
    "ship_with": {"type": "shipping_option_code", "shipping_option_code": "postnl:standard/return"},
    "weight": {"value": 1.2, "unit": "kg"},
    "order_number": "SHOP-1",
    "parcel_items": [{"description": "Stroopwafels honey, box of 12", "quantity": 2,
                      "weight": {"value": 0.45, "unit": "kg"}, "price": {"value": 9.95, "currency": "EUR"},
                      "sku": "SWH12", "return_reason_id": "26"}],
}


@pytest.fixture
def shop(sendcloud_fake) -> ShopReturns:
    return ShopReturns(sendcloud_fake.url, sendcloud_fake.auth)


@pytest.fixture
def body(sendcloud_fake):
    def build(**changes):
        return {**RETURN, "brand_id": sendcloud_fake.brand["id"], **changes}
    return build


def create(shop, body, **changes) -> dict:
    response = shop.create_return(body(**changes))
    assert response.status_code == 201, response.text
    return response.json()


def status_of(shop, return_id: int) -> str:
    return shop.get_return(return_id).json()["status_history"][-1]["parent_status"]


def test_new_return_is_announcing(sendcloud_fake, shop, body) -> None:
    sendcloud_fake.freeze()
    created = create(shop, body)
    assert status_of(shop, created["return_id"]) == "announcing"


@pytest.mark.parametrize("seconds", [10, 11, 60])
def test_label_is_ready_after_the_label_delay(sendcloud_fake, shop, body, seconds) -> None:
    sendcloud_fake.freeze()
    created = create(shop, body)
    sendcloud_fake.advance(seconds)
    shown = shop.get_return(created["return_id"]).json()
    assert status_of(shop, created["return_id"]) == "ready-to-send"
    assert shown["tracking_number"]


@pytest.mark.parametrize("seconds", [0, 5, 9.5])
def test_label_is_not_ready_before_the_delay(sendcloud_fake, shop, body, seconds) -> None:
    sendcloud_fake.freeze()
    created = create(shop, body)
    sendcloud_fake.advance(seconds)
    assert shop.label(created["parcel_id"]).status_code == 404


def test_label_downloads_as_pdf(sendcloud_fake, shop, body) -> None:
    created = create(shop, body)
    sendcloud_fake.advance(10)
    label = shop.label(created["parcel_id"])
    assert label.status_code == 200 and label.content.startswith(b"%PDF")


def test_in_transit_after_an_hour(sendcloud_fake, shop, body) -> None:
    created = create(shop, body)
    sendcloud_fake.advance(10 + 3600)
    assert status_of(shop, created["return_id"]) == "to-sorting"


def test_delivered_after_a_day(sendcloud_fake, shop, body) -> None:
    created = create(shop, body)
    sendcloud_fake.advance(10 + 3600 + 86400)
    assert status_of(shop, created["return_id"]) == "delivered"


def test_cancel_before_the_label(sendcloud_fake, shop, body) -> None:
    sendcloud_fake.freeze()
    created = create(shop, body)
    assert shop.cancel(created["return_id"]).status_code == 202
    assert status_of(shop, created["return_id"]) == "cancelled"


def test_cancel_after_delivery_is_refused(sendcloud_fake, shop, body) -> None:
    created = create(shop, body)
    sendcloud_fake.advance(2 * 86400)
    assert shop.cancel(created["return_id"]).status_code == 409


@pytest.mark.parametrize("count", [1, 2, 3, 5])
def test_only_my_returns_are_listed(sendcloud_fake, shop, body, count) -> None:
    ids = {create(shop, body, order_number=f"SHOP-{n}")["return_id"] for n in range(count)}
    assert {r["id"] for r in shop.list_returns()} == ids
    assert sendcloud_fake.count(method="POST", path="/api/v3/returns") == count


@pytest.mark.parametrize("status", [500, 502, 503])
def test_one_shot_fault_is_retried(sendcloud_fake, shop, body, status) -> None:
    sendcloud_fake.fault(method="POST", path="/api/v3/returns", status=status, times=1)
    create(shop, body)
    assert sendcloud_fake.count(status=status) == 1
    assert sendcloud_fake.count(status=201) == 1
    assert len(shop.list_returns()) == 1


def test_fault_applies_once_only(sendcloud_fake, shop, body) -> None:
    rule = sendcloud_fake.fault(method="GET", path="/api/v3/returns/*", status=503, times=1)
    created = create(shop, body)
    assert shop.get_return(created["return_id"]).status_code == 200
    assert [r["hits"] for r in sendcloud_fake.faults() if r["id"] == rule["id"]] == [1]


def test_rate_limit_lifts_after_its_window(sendcloud_fake, shop) -> None:
    sendcloud_fake.fault(path="/api/v3/*", rate_limit={"requests": 2, "per_seconds": 60})
    shop.retries = 0
    assert [shop.get_return(1).status_code for _ in range(3)] == [404, 404, 429]
    sendcloud_fake.advance(61)
    assert shop.get_return(1).status_code == 404


def test_rejected_body_says_why(sendcloud_fake, shop, body) -> None:
    invalid = body()
    del invalid["weight"]
    assert shop.create_return(invalid).status_code == 400
    refused = sendcloud_fake.requests(status=400)
    assert len(refused) == 1 and "weight" in refused[0]["why"]


@pytest.mark.parametrize("reads", [1, 3])
def test_journal_counts_my_requests_only(sendcloud_fake, shop, reads) -> None:
    for _ in range(reads):
        shop.get_return(1)
    assert sendcloud_fake.count() == reads
    assert [e["path"] for e in sendcloud_fake.requests()] == ["/api/v3/returns/1"] * reads


def test_my_clock_is_not_moved_by_other_tests(sendcloud_fake) -> None:
    drift = (sendcloud_fake.now() - datetime.now(timezone.utc)).total_seconds()
    assert abs(drift) < 30


def test_frozen_clock_stands_still(sendcloud_fake) -> None:
    frozen = sendcloud_fake.freeze()
    time.sleep(0.05)
    assert sendcloud_fake.now() == frozen
    assert sendcloud_fake.advance(5) == sendcloud_fake.now()


def test_reset_forgets_my_returns(sendcloud_fake, shop, body) -> None:
    create(shop, body)
    sendcloud_fake.reset()
    assert shop.list_returns() == []
    assert sendcloud_fake.count() == 1


def test_external_reference_is_used_once(shop, body) -> None:
    create(shop, body, external_reference="order-77")
    assert shop.create_return(body(external_reference="order-77")).status_code == 400


@pytest.mark.parametrize("kilograms,final", [(1.0, "ready-to-send"), (40.0, "announcement-failed")])
def test_carrier_weight_limit(sendcloud_fake, shop, body, kilograms, final) -> None:
    created = create(shop, body, weight={"value": kilograms, "unit": "kg"})
    sendcloud_fake.advance(10)
    assert status_of(shop, created["return_id"]) == final


def test_portal_lookup_on_my_brand(sendcloud_fake, shop) -> None:
    parcel = sendcloud_fake.outgoing_parcels[0]
    brand = next(b for b in sendcloud_fake.brands if b["id"] == parcel["brand_id"])
    found = shop.portal_lookup(brand["domain"], parcel["tracking_number"], parcel["to_address"]["postal_code"])
    assert found.status_code == 200 and found.json()["parcel"]["id"] == parcel["id"]


def test_my_parcel_is_not_under_the_default_brand(sendcloud_fake, shop) -> None:
    parcel = sendcloud_fake.outgoing_parcels[0]
    found = shop.portal_lookup("stroopwafel-co", parcel["tracking_number"], parcel["to_address"]["postal_code"])
    assert found.status_code == 404


def test_multi_collo_return(sendcloud_fake, shop, body) -> None:
    created = create(shop, body, collo_count=3)
    assert len(created["multi_collo_ids"]) == 3
    sendcloud_fake.advance(10)
    assert all(shop.label(parcel).status_code == 200 for parcel in created["multi_collo_ids"])


def test_wrong_secret_is_refused(sendcloud_fake) -> None:
    shop = ShopReturns(sendcloud_fake.url, (sendcloud_fake.api_key, "wrong"))
    assert shop.get_return(1).status_code == 401
