"""Webhooks from the production server: two gunicorn workers, one store, each event sent once."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from conftest import DEFAULT_KEY, DEFAULT_SECRET, RETURN_BODY
from test_server import Server
from webhook_receiver import Receiver

pytestmark = pytest.mark.slow
AUTH = (DEFAULT_KEY, DEFAULT_SECRET)


@pytest.fixture
def server() -> Iterator[Server]:
    running = Server("--workers", "2", env={"SENDCLOUD_MOCK_LABEL_DELAY": "5"})
    yield running
    running.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.die()


def keys(receiver: Receiver) -> list[tuple[str, int, int]]:
    """(action, return or parcel id, status) of every request received."""
    found = []
    for body in receiver.bodies():
        if body["action"] == "return_created":
            found.append(("return_created", body["data"]["id"], 0))
        else:
            found.append((body["action"], body["parcel"]["id"], body["parcel"]["status"]["id"]))
    return found


def create_many(server: Server, count: int) -> list[dict]:
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: requests.post(server.url + "/api/v3/returns", json=RETURN_BODY, auth=AUTH,
                                                         timeout=10), range(count)))
    assert all(a.status_code == 201 for a in answers)
    return [a.json() for a in answers]


def test_two_workers_send_each_event_exactly_once(server: Server, receiver: Receiver) -> None:
    """30 creates over 2 workers, then one advance: 30 return_created and 90 status changes, none twice, all signed."""
    admin = server.url + "/__admin"
    assert requests.put(f"{admin}/accounts/{DEFAULT_KEY}/webhook", json={"url": receiver.url}, timeout=5).ok
    assert requests.post(f"{admin}/clock/freeze", json={"frozen": True}, timeout=5).ok
    created = create_many(server, 30)
    receiver.wait_for(30, "return_created", timeout=10)
    assert requests.post(f"{admin}/clock/advance", json={"seconds": 200_000}, timeout=30).ok
    # The advance answered after delivering what it made due.
    assert len(receiver.bodies("parcel_status_changed")) == 90
    received = keys(receiver)
    assert not [key for key, seen in Counter(received).items() if seen > 1]
    assert {key[1] for key in received if key[0] == "return_created"} == {c["return_id"] for c in created}
    assert all(r.signed_with(DEFAULT_SECRET) for r in receiver.received)
    per_parcel: dict[int, list[int]] = {}
    for action, parcel, status in received:
        if action == "parcel_status_changed":
            per_parcel.setdefault(parcel, []).append(status)
    assert set(map(tuple, per_parcel.values())) == {(1000, 3, 11)}
    log = requests.get(f"{admin}/webhooks/deliveries", params={"limit": 1000}, timeout=5).json()["deliveries"]
    assert len(log) == 120 and all(d["status"] == "delivered" and d["attempts"] == 1 for d in log)


def test_a_receiver_dying_mid_run_loses_nothing(server: Server, receiver: Receiver) -> None:
    """Deliveries that find the receiver gone are retried when the clock passes 5 minutes; each arrives once."""
    admin = server.url + "/__admin"
    requests.put(f"{admin}/accounts/{DEFAULT_KEY}/webhook", json={"url": receiver.url, "events": ["return_created"]},
                 timeout=5)
    requests.post(f"{admin}/clock/freeze", json={"frozen": True}, timeout=5)
    first = create_many(server, 10)
    receiver.wait_for(10, "return_created", timeout=10)
    receiver.die()
    second = create_many(server, 10)
    # Every delivery of the second batch is attempted (refused) and scheduled for a retry.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        pending = requests.get(f"{admin}/webhooks/deliveries", params={"status": "pending"}, timeout=5).json()
        if len(pending["deliveries"]) == 10 and all(d["attempts"] == 1 for d in pending["deliveries"]):
            break
        time.sleep(0.05)
    assert len(pending["deliveries"]) == 10 and all(d["attempts"] == 1 for d in pending["deliveries"])
    receiver.revive()
    assert requests.post(f"{admin}/clock/advance", json={"seconds": 300}, timeout=30).ok
    ids = [key[1] for key in keys(receiver)]
    assert sorted(ids) == sorted(c["return_id"] for c in first + second)
    log = requests.get(f"{admin}/webhooks/deliveries", params={"limit": 100}, timeout=5).json()["deliveries"]
    assert sorted(d["attempts"] for d in log) == [1] * 10 + [2] * 10
