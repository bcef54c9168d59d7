"""Several instances, one fake: two `sendcloud-mock serve` processes on two ports sharing one
PostgreSQL database agree on everything (skipped with its reason where PostgreSQL cannot run)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from conftest import DEFAULT_KEY, DEFAULT_SECRET, RETURN_BODY
from postgres_support import PostgresServer, free_port
from test_portal import BRAND, PORTAL, POSTAL, TRACKING, portal_body

AUTH = (DEFAULT_KEY, DEFAULT_SECRET)
LIST = "/api/v3/returns"
WINDOW = {"from_date": "2000-01-01 00:00:00", "to_date": "2100-01-01 00:00:00"}


class Instance:
    """One `serve` process (its own session, so kill -9 takes its workers too)."""

    def __init__(self, db: str, *args: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the instance; closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mock_server", "serve", "--port", str(self.port), "--db", db, "--workers", "2",
             *args], stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "SENDCLOUD_MOCK_LABEL_DELAY": "5"})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(self.log.read().decode(errors="replace")[-3000:])
            try:
                if requests.get(self.url + "/__admin/health", timeout=5).ok:
                    return
            except requests.RequestException:
                time.sleep(0.1)
        raise TimeoutError("instance did not become healthy")

    def kill(self) -> None:
        """kill -9 of the instance: its master and its workers at once."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


@pytest.fixture
def pair(postgres_server: PostgresServer) -> Iterator[tuple[Instance, Instance]]:
    db = postgres_server.new_database()
    one = Instance(db)
    try:
        two = Instance(db)
    except BaseException:
        one.stop()
        raise
    yield one, two
    one.stop()
    two.stop()


def on(instance: Instance, url: str) -> str:
    """An absolute URL one instance answered with, sent to another instance instead."""
    parts = urllib.parse.urlsplit(url)
    return instance.url + parts.path + (f"?{parts.query}" if parts.query else "")


def test_portal_flow_with_each_step_on_another_instance(pair: tuple[Instance, Instance]) -> None:
    one, two = pair
    found = requests.get(f"{one.url}{PORTAL}/outgoing", params={"postal_code": POSTAL, "identifier": TRACKING},
                         timeout=10)
    assert found.status_code == 200, found.text
    # The access token issued by one instance is accepted by the other (one signing key, one store).
    created = requests.post(f"{two.url}{PORTAL}/incoming", json=portal_body(found.json()),
                            headers={"Authorization": f"Bearer {found.json()['access_token']}"}, timeout=10)
    assert created.status_code == 201, created.text
    poller = created.json()["poller_url"]
    first = requests.get(on(one, poller), timeout=10)
    assert first.status_code == 202 and first.json()["status"] == "announcing"
    assert requests.post(two.url + "/__admin/clock/advance", json={"seconds": 10}, timeout=10).ok
    ready = requests.get(on(one, poller), timeout=10)
    assert ready.status_code == 200, ready.text
    pdf = requests.get(on(two, ready.json()["download_url"]), timeout=10)
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    v3 = requests.get(f"{one.url}{LIST}/{created.json()['return']}", auth=AUTH, timeout=10)
    assert v3.status_code == 200 and v3.json()["brand_id"] is not None
    assert BRAND


def _walk(instance: Instance) -> list[int]:
    """Every page of the list through one instance, following `next`."""
    ids: list[int] = []
    url: str | None = instance.url + LIST + "?" + urllib.parse.urlencode({**WINDOW, "page_size": 7})
    while url:
        page = requests.get(on(instance, url), auth=AUTH, timeout=10)
        assert page.status_code == 200, page.text
        ids.extend(item["id"] for item in page.json()["data"])
        url = page.json()["next"]
    return ids


def test_creates_spread_over_both_read_through_the_other_without_repeats_or_skips(
        pair: tuple[Instance, Instance]) -> None:
    one, two = pair
    created: list[int] = []
    lock = threading.Lock()

    def create(instance: Instance, count: int) -> None:
        with requests.Session() as session:
            for _ in range(count):
                answer = session.post(instance.url + LIST, json=RETURN_BODY, auth=AUTH, timeout=30)
                assert answer.status_code == 201, answer.text
                with lock:
                    created.append(answer.json()["return_id"])

    threads = [threading.Thread(target=create, args=(instance, 20)) for instance in (one, two, one, two)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(created) == len(set(created)) == 80
    before = set(created)
    # Pages walked through each instance while both keep creating: newest first, no id twice,
    # every return that existed before the walk began is on some page.
    during = [threading.Thread(target=create, args=(instance, 10)) for instance in (one, two)]
    for thread in during:
        thread.start()
    walked = {name: _walk(instance) for name, instance in (("one", one), ("two", two))}
    for thread in during:
        thread.join()
    for ids in walked.values():
        assert len(ids) == len(set(ids))
        assert ids == sorted(ids, reverse=True)
        assert before <= set(ids)
    assert set(_walk(two)) == set(_walk(one)) == set(created)


def test_clock_faults_rate_limits_and_reset_made_on_one_are_seen_by_the_other(pair: tuple[Instance, Instance]) -> None:
    one, two = pair
    before = requests.get(two.url + "/__admin/clock", timeout=10).json()["now"]
    assert requests.post(one.url + "/__admin/clock/freeze", json={"frozen": True}, timeout=10).ok
    assert requests.post(one.url + "/__admin/clock/advance", json={"seconds": 86400}, timeout=10).ok
    seen = requests.get(two.url + "/__admin/clock", timeout=10).json()
    assert seen["frozen"] is True and seen["now"] > before
    assert seen["now"] == requests.get(one.url + "/__admin/clock", timeout=10).json()["now"]

    rule = requests.post(one.url + "/__admin/faults", json={"path": "/api/v3/returns/42", "status": 503}, timeout=10)
    assert rule.status_code == 201
    assert requests.get(two.url + "/api/v3/returns/42", auth=AUTH, timeout=10).status_code == 503
    # A rate limit counts requests on every instance together.
    requests.post(two.url + "/__admin/faults", json={"path": "/api/v3/returns/7", "rate_limit": {
        "requests": 3, "per_seconds": 600}}, timeout=10).raise_for_status()
    statuses = [requests.get((one, two)[n % 2].url + "/api/v3/returns/7", auth=AUTH, timeout=10).status_code
                for n in range(5)]
    assert statuses[:3] == [404, 404, 404] and statuses[3:] == [429, 429]

    created = requests.post(one.url + LIST, json=RETURN_BODY, auth=AUTH, timeout=10)
    assert created.status_code == 201
    assert requests.post(two.url + "/__admin/reset", timeout=10).ok
    assert requests.get(f"{one.url}{LIST}/{created.json()['return_id']}", auth=AUTH, timeout=10).status_code == 404
    assert requests.get(one.url + "/__admin/faults", timeout=10).json()["faults"] == []
    assert requests.get(one.url + "/__admin/clock", timeout=10).json()["frozen"] is False
    # The journal is shared too: a request to one instance is listed by the other.
    assert requests.get(two.url + "/api/v3/returns/1234", auth=AUTH, timeout=10).status_code == 404
    journal = requests.get(one.url + "/__admin/requests", params={"path": "/api/v3/returns/1234"}, timeout=10).json()
    assert [entry["status"] for entry in journal["requests"]] == [404], journal


def test_kill_9_of_one_instance_mid_burst_loses_nothing_acknowledged(pair: tuple[Instance, Instance]) -> None:
    one, two = pair
    acknowledged: list[int] = []
    lock = threading.Lock()
    stop = threading.Event()

    def burst(instance: Instance) -> None:
        with requests.Session() as session:
            while not stop.is_set():
                try:
                    answer = session.post(instance.url + LIST, json=RETURN_BODY, auth=AUTH, timeout=10)
                except requests.RequestException:
                    continue
                if answer.status_code == 201:
                    with lock:
                        acknowledged.append(answer.json()["return_id"])

    threads = [threading.Thread(target=burst, args=(instance,)) for instance in (one, one, two)]
    for thread in threads:
        thread.start()
    time.sleep(2)
    one.kill()
    time.sleep(1)
    stop.set()
    for thread in threads:
        thread.join()
    assert len(acknowledged) > 20
    kept: list[Any] = [requests.get(f"{two.url}{LIST}/{rid}", auth=AUTH, timeout=10).status_code
                       for rid in acknowledged]
    assert kept == [200] * len(acknowledged)
    assert requests.get(two.url + "/__admin/health", timeout=10).json()["status"] == "ok"
