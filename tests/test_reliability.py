"""Concurrency and durability over the production server: nothing duplicated, nothing lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from conftest import DEFAULT_KEY, DEFAULT_SECRET, RETURN_BODY
from test_server import Server, free_port

pytestmark = pytest.mark.slow
AUTH = (DEFAULT_KEY, DEFAULT_SECRET)
LIST = "/api/v3/returns?from_date=2000-01-01 00:00:00&to_date=2100-01-01 00:00:00&page_size=40"
CLIENTS, PER_CLIENT = 8, 500


def _walk(base: str, session: requests.Session) -> list[int]:
    seen, url = [], base + LIST
    while url:
        page = session.get(url, auth=AUTH, timeout=30).json()
        seen += [item["id"] for item in page["data"]]
        url = page["next"]
    return seen


def test_eight_clients_create_four_thousand_returns(tmp_path: Path) -> None:
    """8 clients x 500 creates on 2 workers: unique ids, all readable, and paging during creation never repeats."""
    server = Server("--workers", "2")
    try:
        def create_many(_: int) -> list[int]:
            with requests.Session() as session:
                return [session.post(server.url + "/api/v3/returns", json=RETURN_BODY, auth=AUTH, timeout=30
                                     ).json()["return_id"] for _ in range(PER_CLIENT)]

        walks: list[list[int]] = []
        stop = threading.Event()

        def page_while_creating() -> None:
            with requests.Session() as session:
                while not stop.is_set():
                    walks.append(_walk(server.url, session))

        walker = threading.Thread(target=page_while_creating)
        walker.start()
        with ThreadPoolExecutor(CLIENTS) as pool:
            created = [rid for ids in pool.map(create_many, range(CLIENTS)) for rid in ids]
        stop.set()
        walker.join(timeout=120)
        assert len(created) == CLIENTS * PER_CLIENT == len(set(created))
        for walk in walks:
            assert len(walk) == len(set(walk)), "a page walk saw a return twice"
            assert walk == sorted(walk, reverse=True)
        with requests.Session() as session:
            final = _walk(server.url, session)
            assert sorted(final) == sorted(created)
            for rid in created[::97]:
                assert session.get(f"{server.url}/api/v3/returns/{rid}", auth=AUTH, timeout=30).status_code == 200
        assert walks, "the list was never walked during creation"
        print(f"\nconcurrency: {len(created)} returns created, {len(set(created))} unique, "
              f"{len(walks)} full list walks during creation, none repeated a return")
    finally:
        server.stop()


def test_kill_minus_nine_loses_no_acknowledged_return(tmp_path: Path) -> None:
    """kill -9 in the middle of a creation burst: after a restart every return answered 201 is there, intact."""
    db = str(tmp_path / "durable.sqlite3")
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "mock_server", "serve", "--port", str(port), "--db", db,
                                "--workers", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            requests.get(url + "/__admin/health", timeout=5)
            break
        except requests.RequestException:  # not listening yet, or workers still booting on a busy host
            time.sleep(0.05)
    acknowledged: dict[int, str] = {}  # return id -> the external reference sent
    lock = threading.Lock()

    def burst(worker: int) -> None:
        with requests.Session() as session:
            for index in range(10_000):
                reference = f"burst-{worker}-{index}"
                try:
                    answer = session.post(url + "/api/v3/returns",
                                          json={**RETURN_BODY, "external_reference": reference},
                                          auth=AUTH, timeout=5)
                except requests.RequestException:
                    return
                if answer.status_code == 201:
                    with lock:
                        acknowledged[answer.json()["return_id"]] = reference

    threads = [threading.Thread(target=burst, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    time.sleep(3)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    for thread in threads:
        thread.join(timeout=30)
    assert len(acknowledged) > 100
    print(f"\ndurability: {len(acknowledged)} returns answered 201 before kill -9")
    restarted = Server("--db", db)
    try:
        with requests.Session() as session:
            for rid in acknowledged:
                answer = session.get(f"{restarted.url}/api/v3/returns/{rid}", auth=AUTH, timeout=10)
                assert answer.status_code == 200, rid
                assert answer.json()["from_address"] == {**RETURN_BODY["from_address"], "po_box": None}
            listed = {r["id"] for r in _iter_all(restarted.url, session)}
            assert set(acknowledged) <= listed
            print(f"durability: all {len(acknowledged)} there after the restart, intact; "
                  f"{len(listed) - len(acknowledged)} more were stored but not yet answered")
    finally:
        restarted.stop()


def _iter_all(base: str, session: requests.Session) -> list[dict]:
    items, url = [], base + LIST
    while url:
        page = session.get(url, auth=AUTH, timeout=30).json()
        items += page["data"]
        url = page["next"]
    return items
