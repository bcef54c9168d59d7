"""The typed return record: what the store keeps, how the v3 Return is built from it, and old files."""

from __future__ import annotations

import copy
import dataclasses
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import DEFAULT_KEY, DEFAULT_SECRET, RETURN_BODY, basic

import mock_server.clock as clock
from mock_server import Settings, create_app
from mock_server.returns.lifecycle import Progress, Schedule
from mock_server.returns.migrations import portal_fragments_to_record
from mock_server.returns.models import Parcel, ReturnRecord
from mock_server.returns.record import Image, Money, Payment, PortalLink, Reason, Refund, ReturnData
from mock_server.returns.representations import v3_return
from mock_server.spec import ApiSpec
from mock_server.store import SCHEMA_VERSION

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"
DATA = Path(__file__).resolve().parent / "data"
NOW = 1_780_000_100.0


def full_data(**changes: Any) -> ReturnData:
    """A return with every record field set and a request with every member the create schema knows."""
    request = copy.deepcopy(RETURN_BODY)
    request.update(collo_count=2, dimensions={"length": 30, "width": 20, "height": 10, "unit": "cm"},
                   customs_invoice_nr="INV-1",
                   customs_information={"invoice_number": "INV-1", "export_reason": "returned_goods"},
                   delivery_option="drop_off_point", send_tracking_emails=True, external_reference="ref-1",
                   total_insured_value={"value": 20, "currency": "EUR"})
    request["ship_with"] = {"type": "shipping_product_code", "shipping_product_code": "postnl:standard", "contract": 7}
    request["from_address"] = dict(request["from_address"], country_code="CH")
    base = ReturnData(
        request=request, carrier="postnl",
        schedule=Schedule(created=NOW - 100, announced=NOW - 90, in_transit=NOW - 80, delivered=NOW - 70),
        origin="portal", payment=Payment(required=True, fee=Money(4.95, "EUR"), paid_at=NOW - 100),
        reason=Reason(26, "Wrong size ordered"), refund=Refund("exchange", "Exchange", True, "Size M"),
        message="Too small", images=(Image("a.png", "SW-1", "dent"),), shipping_method=2406, service_point=10000027,
        portal=PortalLink(brand="stroopwafel-co", brand_name="Stroopwafel & Co", outgoing_parcel=250000101,
                          tracking_number="3S1", order_number="SW-1", customer_name="Sanne", customer_email="s@x.nl",
                          customer_country="NL", shipping_method=8),
    )
    return dataclasses.replace(base, **changes)


def record_of(data: ReturnData) -> ReturnRecord:
    parcels = (Parcel(300000001, 1, "3SABC"), Parcel(300000002, 2, "3SABD"))
    return ReturnRecord.holding(data, id=1750001, account_id=1, created_at=NOW - 100, parcels=parcels)


def return_schema_properties() -> list[str]:
    return list(json.loads((SCHEMAS / "returns-v3" / "return.json").read_text())["properties"])


def test_every_property_of_the_v3_return_is_produced() -> None:
    """No member of the Return schema is left to chance: the representation gives each one a value."""
    view = v3_return(record_of(full_data()), NOW, "http://localhost/")
    missing = [name for name in return_schema_properties() if view.get(name) is None]
    assert missing == []


def test_a_record_field_named_in_the_return_schema_is_the_whole_change(tmp_path: Path) -> None:
    """A field added to the record and to the Return schema shows in the v3 Return, stored and read back
    through the store's JSON, with no other change."""

    @dataclass(frozen=True)
    class WithGiftNote(ReturnData):
        gift_note: str | None = None

    data = WithGiftNote(**{f.name: getattr(full_data(), f.name) for f in dataclasses.fields(ReturnData)},
                        gift_note="Wrapped in paper")
    stored = WithGiftNote.from_json(json.loads(json.dumps(data.to_json())))
    assert stored == data
    schemas = tmp_path / "schemas"
    shutil.copytree(SCHEMAS, schemas)
    schema_file = schemas / "returns-v3" / "return.json"
    schema = json.loads(schema_file.read_text())
    schema["properties"]["gift_note"] = {"type": "string"}
    schema_file.write_text(json.dumps(schema))
    spec = ApiSpec(schemas)
    shape = spec.operations["returns_v3_retrieve"].shapes[200]
    body = shape(v3_return(record_of(stored), NOW, "http://localhost/"))
    assert body["gift_note"] == "Wrapped in paper"
    errors = list(spec.operations["returns_v3_retrieve"].response_validators[200].iter_errors(body))
    assert errors == []
    # Without the schema property the member stays out: the schema decides what the Return shows.
    assert "gift_note" not in ApiSpec(SCHEMAS).operations["returns_v3_retrieve"].shapes[200](
        v3_return(record_of(stored), NOW, "http://localhost/"))


def test_record_round_trips_through_json_and_leaves_defaults_out() -> None:
    data = full_data()
    assert ReturnData.from_json(json.loads(json.dumps(data.to_json()))) == data
    plain = ReturnData(request={"a": 1}, carrier="ups", schedule=Schedule(1.0, 2.0, 3.0, 4.0))
    assert set(plain.to_json()) == {"request", "carrier", "schedule"}
    assert ReturnData.from_json(plain.to_json()) == plain


@pytest.mark.parametrize("payment, status", [
    (Payment(), "open"),
    (Payment(required=True), "awaiting_payment"),
    (Payment(required=True, failed=True), "payment_failed"),
    (Payment(required=True, paid_at=5.0), "open"),
])
def test_payment_says_the_status(payment: Payment, status: str) -> None:
    assert payment.status == status


def test_portal_return_stores_data_not_v2_fragments(client, auth) -> None:
    """A portal return keeps its refund option and outgoing parcel as data; the v2 shapes are built on reading."""
    portal = "/api/v2/brand/stroopwafel-co/return-portal"
    found = client.get(f"{portal}/outgoing",
                       query_string={"postal_code": "3511 AZ", "identifier": "3SSCRT10493821"}).json
    from test_portal import portal_body

    created = client.post(f"{portal}/incoming", headers={"Authorization": "Bearer " + found["access_token"]},
                          json=portal_body(found, refund={"refund_type": {"code": "exchange"}, "message": "M"}))
    assert created.status_code == 201, created.json
    store = client.application.extensions["sendcloud_mock"].store
    stored = store.stored_return(created.json["return"]).data
    assert stored["refund"] == {"code": "exchange", "label": "Exchange for another product", "require_message": True,
                                "message": "M"}
    assert "outgoing_parcel_data" not in json.dumps(stored) and "status" not in stored
    v2 = client.get(f"/api/v2/returns/{created.json['return']}", headers=auth).json
    assert v2["refund"]["refund_type"] == {"code": "exchange", "label": "Exchange for another product",
                                           "require_message": True}
    assert v2["outgoing_parcel_data"]["brand_name"] == "Stroopwafel & Co"


def test_a_0_2_store_serves_the_same_bodies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A --db file written by 0.2.0 (before the typed record; see data/make_store_0_2.py) answers
    the v3 and v2 bodies that version answered."""
    expected = json.loads((DATA / "store-0.2-bodies.json").read_text())
    monkeypatch.setattr(clock, "_wall", lambda: expected["wall_micros"])
    db = tmp_path / "store.sqlite3"
    shutil.copy(DATA / "store-0.2.sqlite3", db)
    app = create_app(Settings(db=str(db), validate_responses=True, **expected["settings"]))
    client = app.test_client()
    auth = basic(DEFAULT_KEY, DEFAULT_SECRET)
    store = app.extensions["sendcloud_mock"].store
    assert store.schema_version() == SCHEMA_VERSION
    assert "outgoing_parcel_data" not in json.dumps([store.stored_return(1750000 + n).data for n in range(2, 8)])
    assert len(expected["bodies"]) == 15
    for name, body in expected["bodies"].items():
        version, _, which = name.partition(" ")
        path = f"/api/{version}/returns" + ("" if which == "list" else f"/{which}")
        assert client.get(path, headers=auth).get_data(as_text=True) == body, name


def test_migration_step_turns_portal_fragments_into_data() -> None:
    old = {"request": {}, "carrier": "ups", "schedule": {"created": 1.0, "announced": None, "in_transit": None,
                                                         "delivered": None, "failure": None},
           "source": "portal", "shipping_method": 5321, "images": [], "refund": None,
           "return_fee": {"value": 4.95, "currency": "EUR"}, "status": "payment_failed",
           "payment": {"required": True, "paid_at": None}, "service_point": 7,
           "portal": {"brand": "b", "outgoing_parcel": 9, "message": None, "refund": None,
                      "outgoing_parcel_data": {"tracking_number": "T", "brand_name": "B", "order_number": None,
                                               "from_email": None, "from_country": "FR", "from_name": "M",
                                               "shipping_method": 8}}}
    data = ReturnData.from_json(portal_fragments_to_record(old))
    assert data.payment == Payment(required=True, fee=Money(4.95, "EUR"), failed=True)
    assert data.status == "payment_failed" and data.origin == "portal" and data.service_point == 7
    assert data.portal == PortalLink("b", "B", 9, "T", None, "M", None, "FR", 8)
    assert portal_fragments_to_record(data.to_json()) == data.to_json()
    v3_only = {"request": {}, "carrier": "ups", "schedule": old["schedule"]}
    assert portal_fragments_to_record(v3_only) is v3_only


@pytest.mark.parametrize("payment, schedule, cancelled_at, expected", [
    (Payment(required=True), Schedule(0.0, None, None, None), None, Progress.AWAITING_PAYMENT),
    (Payment(required=True, failed=True), Schedule(0.0, None, None, None), None, Progress.PAYMENT_FAILED),
    (Payment(), Schedule(0.0, 10.0, 20.0, 30.0), None, Progress.ANNOUNCING),
    (Payment(), Schedule(0.0, 1.0, 20.0, 30.0), None, Progress.READY),
    (Payment(), Schedule(0.0, 1.0, 20.0, 30.0, failure="Refused"), None, Progress.FAILED),
    (Payment(), Schedule(0.0, 10.0, 20.0, 30.0), 2.0, Progress.CANCELLED),
    (Payment(), Schedule(0.0, 1.0, 20.0, 30.0), 2.0, Progress.READY),  # its label was made before
    (Payment(required=True, paid_at=1.0), Schedule(0.0, 11.0, 20.0, 30.0), None, Progress.ANNOUNCING),
])
def test_progress_is_decided_by_the_lifecycle(payment: Payment, schedule: Schedule, cancelled_at: float | None,
                                              expected: Progress) -> None:
    """What the portal's polling answers comes from one rule (lifecycle.progress), read at time 5."""
    data = ReturnData(request={}, carrier="postnl", schedule=schedule, payment=payment)
    record = ReturnRecord.holding(data, id=1, account_id=1, created_at=0.0, cancelled_at=cancelled_at)
    assert record.progress(5.0) is expected
