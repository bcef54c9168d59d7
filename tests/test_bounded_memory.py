"""Bounded memory: arrays, list pages, per-thread caches, open accounts and the fixtures listing all
have limits, and a worker stays small through the audit's body and cache attacks."""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import LIST_URL, basic
from test_portal import PORTAL, bearer, lookup, portal_body
from test_server import Server

from mock_server import Settings, create_app
from mock_server.operations import MAX_ARRAY_ITEMS
from mock_server.returns import models
from mock_server.store import CACHE_ENTRIES, SqliteStore

ROOT = Path(__file__).resolve().parents[1]


def test_request_arrays_are_capped(client, auth, return_body) -> None:
    """More than 1,000 elements in any array of a request body is a 400 naming the field."""
    item = return_body()["parcel_items"][0]
    answer = client.post("/api/v3/returns", json=return_body(parcel_items=[item] * 1001), headers=auth)
    assert answer.status_code == 400
    assert answer.json["errors"][0]["source"]["pointer"] == "/parcel_items"
    answer = client.post("/__admin/accounts", json={"api_key": "k", "api_secret": "s",
                                                    "brands": [{"name": "b", "domain": "d"}] * 1001})
    assert answer.status_code == 400
    nested = client.post("/api/v3/returns/validate", json={"a": [[0] * 1001]}, headers=auth)
    assert nested.status_code == 400


def _arrays(node: Any, where: str, base: str, schemas: Path, seen: set[str]) -> list[tuple[str, Any]]:
    """Every array schema reachable from `node` (following our relative $refs), with where it is."""
    found: list[tuple[str, Any]] = []
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and not ref.startswith("#"):
            target = (schemas / base).parent / ref.split("#")[0]
            rel = target.resolve().relative_to(schemas.resolve()).as_posix()
            if (rel, where) not in seen:
                seen.add((rel, where))
                found += _arrays(json.loads(target.read_text()), where, rel, schemas, seen)
        kinds = node.get("type")
        if kinds == "array" or (isinstance(kinds, list) and "array" in kinds):
            found.append((f"{base}: {where}", node))
        for key, value in node.items():
            if key == "properties":
                for name, sub in value.items():
                    found += _arrays(sub, f"{where}/{name}", base, schemas, seen)
            elif key in ("items", "additionalProperties"):
                found += _arrays(value, f"{where}/*", base, schemas, seen)
            elif key in ("anyOf", "oneOf", "allOf"):
                for sub in value:
                    found += _arrays(sub, where, base, schemas, seen)
    return found


def test_every_array_in_a_request_body_has_a_max_items() -> None:
    """Each array a request body may hold has its own bound (upstream's where it states one),
    well under the generic 1,000 that protects the parser."""
    schemas = ROOT / "schemas"
    openapi = json.loads((schemas / "openapi.json").read_text())
    arrays: list[tuple[str, Any]] = []
    for item in openapi["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and "requestBody" in operation:
                ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                arrays += _arrays({"$ref": ref}, "", "openapi.json", schemas, set())
    assert len(arrays) >= 20  # the walk reaches nested schemas (customs, portal settings)
    unbounded = sorted({where for where, schema in arrays if not 0 < schema.get("maxItems", 0) <= MAX_ARRAY_ITEMS})
    assert unbounded == []


@pytest.mark.parametrize("items, limit", [(100, True), (101, False)])
def test_v3_parcel_items_are_bounded(client, auth, return_body, items, limit) -> None:
    item = return_body()["parcel_items"][0]
    answer = client.post("/api/v3/returns/validate", json=return_body(parcel_items=[item] * items), headers=auth)
    if limit:
        assert answer.status_code == 200, answer.json
    else:
        assert answer.status_code == 400
        error = answer.json["errors"][0]
        assert error["source"]["pointer"] == "/parcel_items" and "no more than 100" in error["detail"]


def test_portal_products_are_bounded(client) -> None:
    found = lookup(client)
    assert found.status_code == 200
    product = portal_body(found.json)["products"][0]
    answer = client.post(f"{PORTAL}/incoming", json=portal_body(found.json, products=[product] * 101),
                         headers=bearer(found.json["access_token"]))
    assert answer.status_code == 400
    assert "products" in answer.json["error"]["message"] and "100" in answer.json["error"]["message"]


@pytest.mark.parametrize("body, field, limit", [
    ({"api_key": "k", "api_secret": "s", "brands": [{"name": "b", "domain": "d"}] * 101}, "brands", 100),
    ({"api_key": "k", "api_secret": "s", "brands": [{"name": "b", "domain": "d", "portal": {
        "delivery_options": ["in_store"] * 5}}]}, "delivery_options", 4),
])
def test_admin_arrays_are_bounded(client, body, field, limit) -> None:
    answer = client.post("/__admin/accounts", json=body)
    assert answer.status_code == 400
    assert field in json.dumps(answer.json) and str(limit) in json.dumps(answer.json)


def test_store_cache_is_a_bounded_lru(tmp_path) -> None:
    store = SqliteStore(tmp_path / "s.sqlite3")
    store.cached("hot", lambda: "hot value")
    for n in range(CACHE_ENTRIES * 3):
        store.cached(("cold", n), lambda: "x")
        if n % 100 == 0:
            assert store.cached("hot", lambda: "reloaded") == "hot value"  # used recently: kept
    assert len(store._cache()) <= CACHE_ENTRIES


def test_unknown_api_keys_are_not_remembered(app, client) -> None:
    """Thousands of made-up API keys leave nothing behind in the per-thread cache."""
    store = app.extensions["sendcloud_mock"].store
    # One unknown key first: what every request caches (rules, the clock) is there before counting.
    assert client.get("/api/v2/returns", headers=basic("warm-up", "x")).status_code == 401
    store.begin_request()
    before = len(store._cache())
    store.end_request()
    for n in range(2000):
        assert client.get("/api/v2/returns", headers=basic(f"made-up-{n}", "x")).status_code == 401
    store.begin_request()
    remembered = [key for key in store._cache() if isinstance(key, tuple) and key[0] == "account"]
    store.end_request()
    assert len(remembered) <= 2 and len(store._cache()) <= before + 2


def test_open_accounts_are_capped(tmp_path) -> None:
    """--max-open-accounts and a key length limit bound what first use may create."""
    app = create_app(Settings(db=str(tmp_path / "db"), open_accounts=True, max_open_accounts=3))
    app.testing = True
    client = app.test_client()
    for n in range(3):
        assert client.get("/api/v2/returns", headers=basic(f"ci-{n}", "secret")).status_code == 200
    refused = client.get("/api/v2/returns", headers=basic("ci-3", "secret"))
    assert refused.status_code == 401 and "max-open-accounts" in refused.json["error"]["message"]
    # Existing open accounts keep working.
    assert client.get("/api/v2/returns", headers=basic("ci-0", "secret")).status_code == 200
    client.post("/__admin/reset", json={})
    assert client.get("/api/v2/returns", headers=basic("k" * 129, "secret")).status_code == 401
    assert client.get("/api/v2/returns", headers=basic("k" * 128, "secret")).status_code == 200


def test_fixtures_listing_stays_small(client) -> None:
    """With many accounts, /__admin/fixtures lists the first 100 (fixtures first) and counts them all."""
    fixture_accounts = len(client.get("/__admin/fixtures").json["accounts"])
    for n in range(150):
        assert client.post("/__admin/accounts", json={"api_key": f"many-{n}", "api_secret": "s"}).status_code == 201
    listed = client.get("/__admin/fixtures").json
    assert len(listed["accounts"]) == 100 and listed["accounts_total"] == fixture_accounts + 150
    assert all(account["from_fixtures"] for account in listed["accounts"][:fixture_accounts])


def test_list_pages_have_a_byte_budget(client, auth, create_return, monkeypatch) -> None:
    """A page stops early when its returns pass the byte budget; following next still walks them all once."""
    ids = [create_return(order_number=f"B-{n}")["return_id"] for n in range(5)]
    monkeypatch.setattr(models, "PAGE_BYTE_BUDGET", 1)  # one return per page
    seen, url, pages = [], LIST_URL + "&page_size=40", 0
    while url:
        page = client.get(url, headers=auth).json
        seen.extend(r["id"] for r in page["data"])
        assert len(page["data"]) <= 1
        url = page["next"] and page["next"].replace("http://localhost", "")
        pages += 1
    assert sorted(seen) == sorted(ids) and pages == 5


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as handle:
        line = next(line for line in handle if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


@pytest.mark.slow
def test_worker_memory_stays_small_through_body_and_cache_attacks() -> None:
    """Oversized and streamed bodies, thousands of made-up keys and Host headers, huge arrays:
    every worker stays under 120 MB resident."""
    server = Server()
    try:
        workers = [int(pid) for pid in subprocess.run(["pgrep", "-P", str(server.process.pid)],
                                                      capture_output=True, text=True).stdout.split()]
        session = requests.Session()
        good = basic("test_api_key_stroopwafel", "test_api_secret_stroopwafel")
        for _ in range(15):  # bodies just under, at and over the limit, declared and streamed
            session.post(server.url + "/api/v3/returns", data=b'{"a": "' + b"x" * 990_000 + b'"}',
                         headers={**good, "Content-Type": "application/json"}, timeout=30)
            session.post(server.url + "/api/v3/returns", data=(b"x" * 65536 for _ in range(40)),
                         headers={**good, "Content-Type": "application/json"}, timeout=30)
            session.post(server.url + "/api/v3/returns/validate", data=b"[" + b"0," * 400_000 + b"0]",
                         headers={**good, "Content-Type": "application/json"}, timeout=30)
        for n in range(1500):
            session.get(server.url + "/api/v2/returns", headers={
                "Authorization": "Basic " + base64.b64encode(f"attacker-{n}-{'k' * 200}:s".encode()).decode(),
                "Host": f"h{n}.example"}, timeout=30)
        with socket.create_connection(("127.0.0.1", server.port)) as sock:  # one more streamed body
            sock.sendall(b"POST /api/v3/returns HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                         b"Content-Type: application/json\r\n\r\n")
            time.sleep(0.1)
        sizes = [rss_mb(pid) for pid in workers]
        assert server.process.poll() is None
        assert requests.get(server.url + "/__admin/health", timeout=10).status_code == 200
    finally:
        server.stop()
    assert max(sizes) < 120, sizes
