"""Webhooks as Sendcloud sends them: configured per account, signed, on the fake's clock, retried, logged."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import DEFAULT_KEY, DEFAULT_SECRET, LIST_URL, OTHER_KEY, UPSTREAM, basic
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from webhook_receiver import Receiver

from mock_server import Settings, create_app
from mock_server.config import resource_dir

SCHEMAS = resource_dir("schemas") / "webhooks"
WEBHOOK = f"/__admin/accounts/{DEFAULT_KEY}/webhook"
DELIVERIES = "/__admin/webhooks/deliveries"


def ours(name: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads((SCHEMAS / name).read_text()), format_checker=FormatChecker())


def upstream(version: str, component: str) -> Draft202012Validator:
    """A component of Sendcloud's published webhooks spec, its internal $refs resolvable."""
    doc = yaml.safe_load((UPSTREAM / f"sendcloud-{version}-webhooks-openapi.yml").read_text())
    registry = Registry().with_resource("urn:webhooks", Resource.from_contents(doc, default_specification=DRAFT202012))
    schema = {"$ref": f"urn:webhooks#/components/schemas/{component}"}
    return Draft202012Validator(schema, registry=registry)


def assert_valid(body: dict[str, Any]) -> None:
    """Valid against our schema and against both upstream specs' schema for its action."""
    name, component = {"return_created": ("return-created.json", "ReturnCreatedWebhook"),
                        "parcel_status_changed": ("parcel-status-changed.json", "ParcelStatusChangedWebhook"),
                        "test_webhook": ("test-webhook.json", None)}[body["action"]]
    errors = [e.message for e in ours(name).iter_errors(body)]
    if component:
        for version in ("v2", "v3"):
            errors += [f"{version}: {e.message}" for e in upstream(version, component).iter_errors(body)]
    assert errors == []


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.die()


@pytest.fixture
def hooked(app: Flask) -> Iterator[Flask]:
    yield app
    app.extensions["sendcloud_mock_webhooks"].dispatcher.stop()


@pytest.fixture
def configured(hooked: Flask, client: FlaskClient, receiver: Receiver) -> Receiver:
    assert client.put(WEBHOOK, json={"url": receiver.url}).status_code == 200
    return receiver


def statuses(bodies: list[dict[str, Any]]) -> list[int]:
    return [b["parcel"]["status"]["id"] for b in bodies if b["action"] == "parcel_status_changed"]


# -- configuration --------------------------------------------------------------------------


def test_configuration_round_trip(hooked: Flask, client: FlaskClient) -> None:
    """PUT stores the webhook, GET shows it (not the key), DELETE removes it; then GET is a 404."""
    assert client.get(WEBHOOK).status_code == 404
    put = client.put(WEBHOOK, json={"url": "http://127.0.0.1:9/hook", "signature_key": "whsec-1",
                                    "events": ["parcel_status_changed"]})
    assert put.status_code == 200
    assert put.json == {"account": DEFAULT_KEY, "url": "http://127.0.0.1:9/hook", "events": ["parcel_status_changed"],
                        "signature_key_source": "signature_key", "from_fixtures": False}
    assert client.get(WEBHOOK).json == put.json
    assert client.delete(WEBHOOK).json == {"deleted": 0}
    assert client.get(WEBHOOK).status_code == 404
    assert client.delete(WEBHOOK).status_code == 404


def test_configuration_errors_name_the_field(hooked: Flask, client: FlaskClient) -> None:
    """A bad URL or event is a 400 naming the field; an unknown account a 404."""
    bad_url = client.put(WEBHOOK, json={"url": "ftp://example.org/x"})
    assert bad_url.status_code == 400 and bad_url.json["error"]["message"].startswith("url:")
    bad_event = client.put(WEBHOOK, json={"url": "http://127.0.0.1:9/", "events": ["parcel_deleted"]})
    assert bad_event.status_code == 400 and bad_event.json["error"]["message"].startswith("events.0:")
    unknown = client.put("/__admin/accounts/nobody/webhook", json={"url": "http://127.0.0.1:9/"})
    assert unknown.status_code == 404


# -- events ----------------------------------------------------------------------------------


def test_v3_create_reaches_the_receiver_signed_within_a_second(configured: Receiver, create_return) -> None:
    """return_created arrives within 1 s, signed with the API secret over the exact body, shaped as upstream says."""
    started = time.monotonic()
    created = create_return()
    body = configured.wait_for(1, "return_created", timeout=1.0)[0]
    received = configured.received[0]
    assert received.at - started < 1.0
    assert received.signed_with(DEFAULT_SECRET) and not received.signed_with("another key")
    assert received.headers["Content-Type"] == "application/json"
    assert body["data"]["id"] == created["return_id"]
    assert body["data"]["order_number"] == "SW-2026-10452" and body["data"]["brand_id"] == 101
    assert body["data"]["items"][0]["quantity"] == 2 and body["data"]["items"][0]["return_reason_id"] == 26
    assert_valid(body)


def test_clock_advance_delivers_every_status_in_order_before_answering(configured: Receiver, client: FlaskClient,
                                                                       create_return) -> None:
    """One advance past delivery brings Ready to send, En route, Delivered, in due order, before it answers."""
    created = create_return()
    configured.wait_for(1, "return_created")
    assert client.post("/__admin/clock/advance", json={"seconds": 200_000}).status_code == 200
    bodies = configured.bodies()
    assert statuses(bodies) == [1000, 3, 11]
    changed = [b for b in bodies if b["action"] == "parcel_status_changed"]
    assert [b["parcel"]["status"]["message"] for b in changed] == ["Ready to send", "En route to sorting center",
                                                                    "Delivered"]
    assert all(b["parcel"]["id"] == created["parcel_id"] for b in changed)
    assert [b["timestamp"] for b in changed] == sorted(b["timestamp"] for b in changed)
    for body in bodies:
        assert_valid(body)
    label_printer = changed[0]["parcel"]["label"]["label_printer"]
    assert label_printer.endswith(f"/api/v3/parcels/{created['parcel_id']}/documents/label")
    assert all(r.signed_with(DEFAULT_SECRET) for r in configured.received)


def test_a_frozen_clock_still_delivers_what_is_due(configured: Receiver, client: FlaskClient, create_return) -> None:
    """With the clock frozen, a create is due at once and is sent within 1 s; later steps wait for an advance."""
    client.post("/__admin/clock/freeze", json={"frozen": True})
    create_return()
    configured.wait_for(1, "return_created", timeout=1.0)
    time.sleep(0.5)
    assert statuses(configured.bodies()) == []
    client.post("/__admin/clock/advance", json={"seconds": 10})
    assert statuses(configured.bodies()) == [1000]


def test_a_running_clock_delivers_without_any_request(tmp_path: Path, receiver: Receiver) -> None:
    """Events that fall due as wall time passes go out within 1 s of their time, with no request to trigger them."""
    app = create_app(Settings(db=str(tmp_path / "db"), label_delay=1.0))
    app.testing = True
    client = app.test_client()
    try:
        client.put(WEBHOOK, json={"url": receiver.url})
        client.post("/api/v3/returns", json=_body(), headers=basic(DEFAULT_KEY, DEFAULT_SECRET))
        created_at = time.monotonic()
        receiver.wait_for(1, "parcel_status_changed", timeout=2.5)
        ready = next(r for r in receiver.received if r.json["action"] == "parcel_status_changed")
        assert 0.9 <= ready.at - created_at < 2.0
    finally:
        app.extensions["sendcloud_mock_webhooks"].dispatcher.stop()


def _body(**changes: Any) -> dict[str, Any]:
    from conftest import RETURN_BODY

    body = {**json.loads(json.dumps(RETURN_BODY)), **changes}
    return {key: value for key, value in body.items() if value is not None}


def test_cancelling_an_announced_return_requests_then_cancels(configured: Receiver, client: FlaskClient,
                                                              create_return, auth) -> None:
    """Cancelling after announcement sends 1999 Cancellation requested then 2000 Cancelled; before it, only 2000."""
    announced = create_return()
    early = create_return()
    client.post("/__admin/clock/advance", json={"seconds": 10})
    assert client.patch(f"/api/v3/returns/{announced['return_id']}/cancel", headers=auth).status_code == 202
    client.post("/__admin/clock/advance", json={"seconds": 1})
    by_parcel = {}
    for body in configured.bodies("parcel_status_changed"):
        by_parcel.setdefault(body["parcel"]["id"], []).append(body["parcel"]["status"]["id"])
        assert_valid(body)
    assert by_parcel[announced["parcel_id"]] == [1000, 1999, 2000]
    assert by_parcel[early["parcel_id"]] == [1000]


def test_cancelling_before_announcement_sends_only_cancelled(configured: Receiver, client: FlaskClient,
                                                             create_return, auth) -> None:
    created = create_return()
    assert client.patch(f"/api/v3/returns/{created['return_id']}/cancel", headers=auth).status_code == 202
    client.post("/__admin/clock/advance", json={"seconds": 100_000})
    assert statuses(configured.bodies()) == [2000]


def test_failed_announcement_is_a_status_change(configured: Receiver, client: FlaskClient, create_return) -> None:
    """A parcel the carrier refuses goes to 1002 Announcement failed, and nothing after."""
    create_return(weight={"value": 80, "unit": "kg"})
    client.post("/__admin/clock/advance", json={"seconds": 200_000})
    changed = configured.bodies("parcel_status_changed")
    assert statuses(changed) == [1002]
    assert changed[0]["parcel"]["status"] == {"id": 1002, "message": "Announcement failed"}
    assert_valid(changed[0])


def test_announce_synchronously_is_created_and_ready_at_once(configured: Receiver, client: FlaskClient,
                                                             return_body, auth) -> None:
    created = client.post("/api/v3/returns/announce-synchronously", json=return_body(), headers=auth)
    assert created.status_code == 201
    configured.wait_for(1, "parcel_status_changed")
    assert [b["action"] for b in configured.bodies()] == ["return_created", "parcel_status_changed"]


def test_multi_collo_returns_send_one_status_per_parcel(configured: Receiver, client: FlaskClient,
                                                        create_return) -> None:
    created = create_return(collo_count=3)
    client.post("/__admin/clock/advance", json={"seconds": 10})
    changed = configured.bodies("parcel_status_changed")
    assert sorted(b["parcel"]["id"] for b in changed) == sorted(created["multi_collo_ids"])
    assert sorted(b["parcel"]["collo_nr"] for b in changed) == [0, 1, 2]


def test_events_filter_and_signature_key(hooked: Flask, client: FlaskClient, receiver: Receiver,
                                         create_return) -> None:
    """Only the configured events go out, signed with the configured signature key instead of the secret."""
    client.put(WEBHOOK, json={"url": receiver.url, "signature_key": "whsec_test", "events": ["parcel_status_changed"]})
    create_return()
    client.post("/__admin/clock/advance", json={"seconds": 10})
    assert [b["action"] for b in receiver.bodies()] == ["parcel_status_changed"]
    assert receiver.received[0].signed_with("whsec_test") and not receiver.received[0].signed_with(DEFAULT_SECRET)


def test_other_accounts_events_stay_out(configured: Receiver, client: FlaskClient, create_return,
                                        other_auth) -> None:
    """Webhooks are scoped to their account."""
    create_return(headers=other_auth, brand_id=None)
    client.post("/__admin/clock/advance", json={"seconds": 100})
    time.sleep(0.3)
    assert configured.bodies() == []


def test_events_before_configuration_are_not_sent(hooked: Flask, client: FlaskClient, receiver: Receiver,
                                                  create_return) -> None:
    create_return()
    client.post("/__admin/clock/advance", json={"seconds": 10})
    client.put(WEBHOOK, json={"url": receiver.url})
    client.post("/__admin/clock/advance", json={"seconds": 3600})
    assert statuses(receiver.bodies()) == [3]
    assert receiver.bodies("return_created") == []


# -- retries and failures ----------------------------------------------------------------------


def test_a_failing_receiver_gets_ten_retries_on_the_server_clock(configured: Receiver, client: FlaskClient,
                                                                 create_return) -> None:
    """A 500 is retried 5, 10, 20, 40 minutes later, then hourly, 10 retries in all, each driven by the clock."""
    configured.status = 500
    client.put(WEBHOOK, json={"url": configured.url, "events": ["return_created"]})
    client.post("/__admin/clock/freeze", json={"frozen": True})
    create_return()
    configured.wait_for(1)
    client.post("/__admin/clock/advance", json={"seconds": 299})
    assert len(configured.received) == 1
    client.post("/__admin/clock/advance", json={"seconds": 1})
    assert len(configured.received) == 2
    client.post("/__admin/clock/advance", json={"seconds": 599})
    assert len(configured.received) == 2
    client.post("/__admin/clock/advance", json={"seconds": 1})
    assert len(configured.received) == 3
    [delivery] = client.get(DELIVERIES, query_string={"event": "return_created"}).json["deliveries"]
    assert delivery["status"] == "pending" and delivery["attempts"] == 3
    assert [h["status_code"] for h in delivery["history"]] == [500, 500, 500]
    assert "500" in delivery["history"][0]["error"]
    client.post("/__admin/clock/advance", json={"seconds": 30 * 3600})
    [delivery] = client.get(DELIVERIES, query_string={"event": "return_created"}).json["deliveries"]
    assert delivery["status"] == "failed" and delivery["attempts"] == 11 and delivery["next_attempt_at"] is None
    assert len(configured.bodies("return_created")) == 11
    # Gaps on the server clock between attempts, in minutes.
    from datetime import datetime

    times = [datetime.fromisoformat(h["scheduled_at"]).timestamp() for h in delivery["history"]]
    assert [round((b - a) / 60) for a, b in itertools.pairwise(times)] == [5, 10, 20, 40, 60, 60, 60, 60, 60, 60]


def test_a_receiver_that_comes_back_gets_the_retry(configured: Receiver, client: FlaskClient, create_return) -> None:
    """A refused connection is retried; once the receiver answers 200, the delivery is delivered, once."""
    client.post("/__admin/clock/freeze", json={"frozen": True})
    configured.die()
    create_return()
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        found = client.get(DELIVERIES).json["deliveries"]
        if found and found[0]["attempts"]:
            break
        time.sleep(0.02)
    assert found[0]["history"][0]["status_code"] is None and found[0]["history"][0]["error"]
    configured.revive()
    client.post("/__admin/clock/advance", json={"seconds": 300})
    assert len(configured.bodies("return_created")) == 1
    [delivery] = client.get(DELIVERIES, query_string={"event": "return_created"}).json["deliveries"]
    assert delivery["status"] == "delivered" and delivery["attempts"] == 2


def test_redirects_are_not_followed(configured: Receiver, client: FlaskClient, create_return) -> None:
    """A 302 is a failed attempt; the fake does not go where it points."""
    target = Receiver()
    try:
        def redirect(handler: Any) -> None:
            handler.send_response(302)
            handler.send_header("Location", target.url)
            handler.send_header("Content-Length", "0")
            handler.end_headers()

        configured.respond = redirect
        client.post("/__admin/clock/freeze", json={"frozen": True})
        create_return()
        configured.wait_for(1)
        time.sleep(0.3)
        [delivery] = client.get(DELIVERIES).json["deliveries"]
        first = delivery["history"][0]
        assert first["status_code"] == 302 and "Redirect not followed" in first["error"]
        assert delivery["status"] == "pending" and target.received == []
    finally:
        target.die()


def test_huge_answers_are_cut_short(configured: Receiver, client: FlaskClient, create_return) -> None:
    """A receiver streaming an endless body does not hold the fake: it reads a bounded amount and moves on."""
    sent = []

    def endless(handler: Any) -> None:
        handler.send_response(200)
        handler.end_headers()
        try:
            for _ in range(20_000):
                handler.wfile.write(b"x" * 65536)
                sent.append(1)
        except OSError:
            pass

    configured.respond = endless
    client.post("/__admin/clock/freeze", json={"frozen": True})
    create_return()
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        found = client.get(DELIVERIES).json["deliveries"]
        if found and found[0]["status"] == "delivered":
            break
        time.sleep(0.02)
    assert found[0]["status"] == "delivered"
    assert len(sent) < 1000  # it stopped reading far before the 1.3 GB the receiver had to give


def test_a_slow_receiver_times_out_and_api_requests_do_not_wait(tmp_path: Path, receiver: Receiver) -> None:
    """A receiver slower than the timeout is a failed attempt; meanwhile the API answers at once."""
    app = create_app(Settings(db=str(tmp_path / "db"), webhook_timeout=1.0))
    app.testing = True
    client = app.test_client()
    release = threading.Event()
    receiver.respond = lambda handler: release.wait(5)
    auth = basic(DEFAULT_KEY, DEFAULT_SECRET)
    try:
        client.put(WEBHOOK, json={"url": receiver.url})
        client.post("/__admin/clock/freeze", json={"frozen": True})
        client.post("/api/v3/returns", json=_body(), headers=auth)
        receiver.wait_for(1)
        started = time.monotonic()
        assert client.get(LIST_URL, headers=auth).status_code == 200
        assert time.monotonic() - started < 0.5
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            found = client.get(DELIVERIES).json["deliveries"]
            if found and found[0]["attempts"]:
                break
            time.sleep(0.05)
        assert "Timed out" in found[0]["history"][0]["error"] and found[0]["status"] == "pending"
    finally:
        release.set()
        app.extensions["sendcloud_mock_webhooks"].dispatcher.stop()


# -- the log, redelivery, test, reset -----------------------------------------------------------


def test_delivery_log_filters_and_order(configured: Receiver, client: FlaskClient, create_return) -> None:
    """Newest first; filtered by account, event and status; every entry shaped as documented."""
    create_return()
    client.post("/__admin/clock/advance", json={"seconds": 4000})
    found = client.get(DELIVERIES).json["deliveries"]
    assert [d["id"] for d in found] == sorted((d["id"] for d in found), reverse=True)
    assert [d["event"] for d in found] == ["parcel_status_changed", "parcel_status_changed", "return_created"]
    assert all(d["status"] == "delivered" and d["attempts"] == 1 and d["account"] == DEFAULT_KEY for d in found)
    assert all(d["url"] == configured.url and len(d["signature"]) == 64 for d in found)
    assert len(client.get(DELIVERIES, query_string={"event": "return_created"}).json["deliveries"]) == 1
    assert client.get(DELIVERIES, query_string={"status": "failed"}).json["deliveries"] == []
    assert client.get(DELIVERIES, query_string={"account": OTHER_KEY}).json["deliveries"] == []
    assert client.get(DELIVERIES, query_string={"status": "bogus"}).status_code == 400
    body = found[-1]["body"]
    assert configured.received[0].json == body


def test_redeliver_sends_the_same_body_again(configured: Receiver, client: FlaskClient, create_return) -> None:
    create_return()
    configured.wait_for(1)
    [original] = client.get(DELIVERIES).json["deliveries"]
    again = client.post(f"{DELIVERIES}/{original['id']}/redeliver")
    assert again.status_code == 201
    assert again.json["redelivery_of"] == original["id"] and again.json["status"] == "delivered"
    assert configured.received[1].body == configured.received[0].body
    assert client.post(f"{DELIVERIES}/999999/redeliver").status_code == 404


def test_test_delivery(configured: Receiver, client: FlaskClient) -> None:
    answer = client.post(f"{WEBHOOK}/test")
    assert answer.status_code == 200 and answer.json["status"] == "delivered"
    assert configured.received[0].signed_with(DEFAULT_SECRET)
    assert_valid(configured.received[0].json)


def test_account_reset_clears_its_deliveries(configured: Receiver, client: FlaskClient, create_return) -> None:
    create_return()
    configured.wait_for(1)
    assert client.post("/__admin/reset", json={"account": DEFAULT_KEY}).status_code == 200
    assert client.get(DELIVERIES).json["deliveries"] == []
    assert client.get(WEBHOOK).status_code == 200


# -- fixtures and open accounts -------------------------------------------------------------------


def test_webhook_from_the_fixtures_file(tmp_path: Path, receiver: Receiver) -> None:
    """`webhook` on a fixture account configures it; DELETE overrides it until a full reset."""
    folder = tmp_path / "fixtures"
    folder.mkdir()
    accounts = json.loads((resource_dir("fixtures") / "accounts.json").read_text())
    accounts["accounts"][0]["webhook"] = {"url": receiver.url, "signature_key": "from-fixtures"}
    (folder / "accounts.json").write_text(json.dumps(accounts))
    app = create_app(Settings(db=str(tmp_path / "db"), fixtures=str(folder)))
    app.testing = True
    client = app.test_client()
    key = accounts["accounts"][0]["api_key"]
    auth = basic(key, accounts["accounts"][0]["api_secret"])
    try:
        assert client.get(f"/__admin/accounts/{key}/webhook").json["from_fixtures"] is True
        brand = accounts["accounts"][0]["brands"][0]["id"] if accounts["accounts"][0].get("brands") else None
        client.post("/api/v3/returns", json=_body(brand_id=brand) if brand else _body(), headers=auth)
        receiver.wait_for(1, "return_created")
        assert receiver.received[0].signed_with("from-fixtures")
        client.delete(f"/__admin/accounts/{key}/webhook")
        assert client.get(f"/__admin/accounts/{key}/webhook").status_code == 404
        client.post("/__admin/reset", json={})
        assert client.get(f"/__admin/accounts/{key}/webhook").status_code == 200
    finally:
        app.extensions["sendcloud_mock_webhooks"].dispatcher.stop()


def test_open_accounts_can_be_configured_before_first_use(tmp_path: Path, receiver: Receiver) -> None:
    app = create_app(Settings(db=str(tmp_path / "db"), open_accounts=True))
    app.testing = True
    client = app.test_client()
    try:
        assert client.put("/__admin/accounts/fresh_key/webhook", json={"url": receiver.url}).status_code == 200
        client.post("/api/v3/returns", json=_body(brand_id=None), headers=basic("fresh_key", "fresh_secret"))
        receiver.wait_for(1, "return_created")
        assert receiver.received[0].signed_with("fresh_secret")
    finally:
        app.extensions["sendcloud_mock_webhooks"].dispatcher.stop()


def test_an_advance_waits_at_most_the_settle_bound(tmp_path: Path, receiver: Receiver) -> None:
    """A receiver stuck on a delivery holds a clock advance no longer than the bound; the rest follows after."""
    app = create_app(Settings(db=str(tmp_path / "db"), webhook_settle=1.0, webhook_timeout=5.0))
    app.testing = True
    client = app.test_client()
    release = threading.Event()

    def stuck_once(handler: Any) -> None:
        if len(receiver.received) == 1:
            release.wait(4)
        handler.send_response(200)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    receiver.respond = stuck_once
    try:
        client.put(WEBHOOK, json={"url": receiver.url})
        client.post("/__admin/clock/freeze", json={"frozen": True})
        client.post("/api/v3/returns", json=_body(), headers=basic(DEFAULT_KEY, DEFAULT_SECRET))
        receiver.wait_for(1)
        started = time.monotonic()
        assert client.post("/__admin/clock/advance", json={"seconds": 10}).status_code == 200
        assert 0.9 <= time.monotonic() - started < 2.5
        assert statuses(receiver.bodies()) == []
        release.set()
        receiver.wait_for(1, "parcel_status_changed", timeout=5)
    finally:
        release.set()
        app.extensions["sendcloud_mock_webhooks"].dispatcher.stop()


def test_portal_returns_are_announced_too(configured: Receiver, client: FlaskClient) -> None:
    """A portal return sends return_created with its reason, delivery choice and refund type."""
    from test_portal import PORTAL, bearer, lookup, portal_body

    found = lookup(client).json
    created = client.post(f"{PORTAL}/incoming", json=portal_body(found), headers=bearer(found["access_token"]))
    assert created.status_code == 201, created.json
    [body] = configured.wait_for(1, "return_created")
    assert body["data"]["id"] == created.json["return"]
    assert body["data"]["return_reason_id"] == 26 and body["data"]["paid_return"] is False
    assert body["data"]["delivery_choice"] == "drop_off_point" and body["data"]["refund_type"] == "money"
    assert_valid(body)


def test_paid_portal_returns_change_status_once_paid(hooked: Flask, client: FlaskClient, receiver: Receiver) -> None:
    """Waiting for payment is no parcel status; once paid, Ready to send follows after the label delay."""
    from test_portal import bearer, lookup, portal_body

    key = "test_api_key_stroopwafel"
    assert client.put(f"/__admin/accounts/{key}/webhook", json={"url": receiver.url}).status_code == 200
    found = lookup(client, "3SDDLV20817364", "75001", "dutch-design-living").json
    body = portal_body(found, reason=11, delivery_option="drop_off_point",
                       service_point={"id": found["service_point"]["id"]},
                       products=[{"product_id": "DDL-VASE-03", "quantity": 1}])
    created = client.post("/api/v2/brand/dutch-design-living/return-portal/incoming", json=body,
                          headers=bearer(found["access_token"]))
    assert created.status_code == 201, created.json
    [announced] = receiver.wait_for(1, "return_created")
    assert announced["data"]["paid_return"] is True
    client.post("/__admin/clock/advance", json={"seconds": 3600})
    assert statuses(receiver.bodies()) == []
    client.post(f"/__admin/returns/{created.json['return']}/payment", json={"paid": True})
    client.post("/__admin/clock/advance", json={"seconds": 10})
    assert statuses(receiver.bodies()) == [1000]


def test_webhook_admin_calls_sit_behind_the_admin_token(tmp_path: Path) -> None:
    """With an admin token, webhook configuration and the delivery log need it like every admin call."""
    app = create_app(Settings(db=str(tmp_path / "db"), admin_token="s3cret-admin"))
    client = app.test_client()
    for method, path in (("put", WEBHOOK), ("get", WEBHOOK), ("delete", WEBHOOK), ("post", f"{WEBHOOK}/test"),
                         ("get", DELIVERIES), ("post", f"{DELIVERIES}/1/redeliver")):
        answer = getattr(client, method)(path, json={"url": "http://127.0.0.1:9/"} if method == "put" else None)
        assert answer.status_code == 401, (method, path)
    bearer = {"Authorization": "Bearer s3cret-admin"}
    try:
        assert client.put(WEBHOOK, json={"url": "http://127.0.0.1:9/"}, headers=bearer).status_code == 200
        assert client.get(DELIVERIES, headers=bearer).status_code == 200
    finally:
        app.extensions["sendcloud_mock_webhooks"].dispatcher.stop()


def test_an_account_advance_delivers_that_accounts_events_only(configured: Receiver, client: FlaskClient,
                                                                create_return) -> None:
    """Deliveries follow each account's own clock: another account's advance sends nothing, ours sends the steps."""
    create_return()
    configured.wait_for(1, "return_created")
    assert client.post("/__admin/clock/advance", json={"seconds": 200_000, "account": OTHER_KEY}).status_code == 200
    time.sleep(0.5)
    assert statuses(configured.bodies()) == []
    assert client.post("/__admin/clock/advance", json={"seconds": 200_000, "account": DEFAULT_KEY}).status_code == 200
    assert statuses(configured.bodies()) == [1000, 3, 11]
