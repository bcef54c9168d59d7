"""The production server over a real socket: gunicorn, two workers, one shared store."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from conftest import DEFAULT_KEY, DEFAULT_SECRET, RETURN_BODY

pytestmark = pytest.mark.slow
AUTH = (DEFAULT_KEY, DEFAULT_SECRET)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the server; closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mock_server", "serve", "--port", str(self.port), *args],
            stdout=self.log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})},
        )
        self.started = time.monotonic()
        self.wait_healthy()

    def wait_healthy(self, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(self.log.read().decode()[-2000:])
            try:
                if requests.get(self.url + "/__admin/health", timeout=5).ok:
                    return
            except requests.RequestException:
                time.sleep(0.05)
        raise TimeoutError("server did not become healthy")

    def log_text(self) -> str:
        """Everything the server printed (kept after stop())."""
        if self.log.closed:
            return self.printed
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=30)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            self.printed = self.log_text()
            self.log.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    running = Server("--workers", "2", env={"SENDCLOUD_MOCK_LABEL_DELAY": "5"})
    yield running
    running.stop()


def test_create_on_one_request_read_on_the_next(server: Server) -> None:
    """Returns created on fresh connections (either worker) are read back on other fresh connections."""
    ids = []
    for _ in range(10):
        answer = requests.post(server.url + "/api/v3/returns", json=RETURN_BODY, auth=AUTH,
                               headers={"Connection": "close"}, timeout=10)
        assert answer.status_code == 201
        ids.append(answer.json()["return_id"])
    assert len(set(ids)) == 10
    for rid in ids:
        answer = requests.get(f"{server.url}/api/v3/returns/{rid}", auth=AUTH, headers={"Connection": "close"},
                              timeout=10)
        assert answer.status_code == 200 and answer.json()["id"] == rid


def test_both_workers_answer_and_agree_on_the_clock(server: Server) -> None:
    """Many fresh connections reach both workers; a clock advance on one is seen by all."""
    rid = requests.post(server.url + "/api/v3/returns", json=RETURN_BODY, auth=AUTH, timeout=10).json()["return_id"]
    requests.post(server.url + "/__admin/clock/advance", json={"seconds": 5}, timeout=10)
    for _ in range(20):
        shown = requests.get(f"{server.url}/api/v3/returns/{rid}", auth=AUTH, headers={"Connection": "close"},
                             timeout=10).json()
        assert shown["tracking_number"] is not None
    # gunicorn spawns its workers a moment apart: give the second up to 5 s to appear.
    deadline = time.monotonic() + 5
    while True:
        pgrep = subprocess.run(["pgrep", "-P", str(server.process.pid)], capture_output=True, text=True)
        workers = pgrep.stdout.split()
        if len(workers) >= 2 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert len(workers) == 2


def test_next_urls_use_the_request_host(server: Server) -> None:
    """next is a full URL on the host the client used, and following it works."""
    for _ in range(3):
        requests.post(server.url + "/api/v3/returns", json=RETURN_BODY, auth=AUTH, timeout=10)
    first = requests.get(server.url + "/api/v2/returns?page_size=2", auth=AUTH, timeout=10).json()
    assert first["next"].startswith(server.url + "/api/v2/returns?")
    second = requests.get(first["next"], auth=AUTH, timeout=10).json()
    assert len(second["returns"]) == 1


def test_sendcloud_python_sdk_lists_and_retrieves(server: Server) -> None:
    """The PyPI SDK sendcloud-python, with BASE_URL pointed at the fake, lists and retrieves returns."""
    sendcloud = pytest.importorskip("sendcloud")
    ids = [requests.post(server.url + "/api/v3/returns", json=RETURN_BODY, auth=AUTH, timeout=10).json()["return_id"]
           for _ in range(3)]
    sendcloud.API_KEY, sendcloud.API_SECRET = AUTH
    sendcloud.BASE_URL = server.url + "/api/v2/"
    listed = sendcloud.Returns().get_returns()
    assert sorted(r["id"] for r in listed["returns"]) == sorted(ids)
    one = sendcloud.Returns().get_return(str(ids[0]))
    assert one["id"] == ids[0] and one["incoming_parcel_data"]["from_name"] == "Sanne de Vries"


def test_sigterm_exits_cleanly(tmp_path: Path) -> None:
    """SIGTERM stops the server with exit status 0."""
    running = Server("--workers", "2")
    assert running.stop() == 0


def test_db_file_survives_restart(tmp_path: Path) -> None:
    """With --db, returns created before a restart are there after it."""
    db = str(tmp_path / "kept.sqlite3")
    first = Server("--db", db)
    rid = requests.post(first.url + "/api/v3/returns", json=RETURN_BODY, auth=AUTH, timeout=10).json()["return_id"]
    first.stop()
    second = Server("--db", db)
    try:
        assert requests.get(f"{second.url}/api/v3/returns/{rid}", auth=AUTH, timeout=10).status_code == 200
    finally:
        second.stop()


def test_health_command(server: Server) -> None:
    """`sendcloud-mock health` exits 0 against a running fake and 1 against nothing."""
    ok = subprocess.run([sys.executable, "-m", "mock_server", "health", "--url", server.url], capture_output=True)
    assert ok.returncode == 0 and b'"status": "ok"' in ok.stdout
    down = subprocess.run([sys.executable, "-m", "mock_server", "health", "--url", f"http://127.0.0.1:{free_port()}"],
                          capture_output=True)
    assert down.returncode == 1


def test_acceptance_walkthrough_over_the_socket(server: Server) -> None:
    """Five returns through v3, one read back, pages of two in v3 and v2, a cancel, and 401/404/400."""
    ids = [requests.post(server.url + "/api/v3/returns", json=RETURN_BODY, auth=AUTH, timeout=10).json()["return_id"]
           for _ in range(5)]
    one = requests.get(f"{server.url}/api/v3/returns/{ids[2]}", auth=AUTH, timeout=10).json()
    assert one["id"] == ids[2] and one["status_history"]
    for first_url, key in ((server.url + "/api/v3/returns?from_date=2000-01-01 00:00:00&to_date=2100-01-01 00:00:00"
                            "&page_size=2", "data"), (server.url + "/api/v2/returns?page_size=2", "returns")):
        seen, url = [], first_url
        while url:
            page = requests.get(url, auth=AUTH, timeout=10).json()
            assert len(page[key]) <= 2
            seen += [item["id"] for item in page[key]]
            url = page["next"]
        assert seen == sorted(ids, reverse=True)
    assert requests.patch(f"{server.url}/api/v3/returns/{ids[0]}/cancel", auth=AUTH, timeout=10).status_code == 202
    assert requests.get(f"{server.url}/api/v3/returns/{ids[0]}", timeout=10).status_code == 401
    assert requests.get(f"{server.url}/api/v3/returns/1", auth=AUTH, timeout=10).status_code == 404
    missing = requests.post(server.url + "/api/v3/returns", json={**RETURN_BODY, "ship_with": None}, auth=AUTH,
                            timeout=10)
    assert missing.status_code == 400
    body = {k: v for k, v in RETURN_BODY.items() if k != "ship_with"}
    missing = requests.post(server.url + "/api/v3/returns", json=body, auth=AUTH, timeout=10)
    assert missing.status_code == 400 and missing.json()["errors"][0]["source"] == {"pointer": "/ship_with"}


def test_portal_flow_over_the_socket(server: Server) -> None:
    """Settings, lookup, create, poll 202, advance, poll 200, download, service points, then v2/v3 see it."""
    base = server.url + "/api/v2/brand/stroopwafel-co/return-portal"
    assert requests.get(base, timeout=10).json()["portal"]["reasons"]
    found = requests.get(base + "/outgoing", params={"postal_code": "3511 AZ", "identifier": "SW-2026-10452"},
                         timeout=10).json()
    body = {
        "reason": 26, "outgoing_parcel": found["parcel"]["id"], "delivery_option": "drop_off_point",
        "service_point": {"id": found["service_point"]["id"]}, "refund": {"refund_type": {"code": "money"}},
        "products": [{"product_id": "SW-TIN", "quantity": 1}],
        "incoming_parcel": {"from_name": "Sanne de Vries", "from_address_1": "Oudegracht", "from_house_number": "158",
                            "from_city": "Utrecht", "from_postal_code": "3511 AZ", "from_country": "NL"},
    }
    created = requests.post(base + "/incoming", json=body, timeout=10,
                            headers={"Authorization": f"Bearer {found['access_token']}"})
    assert created.status_code == 201, created.text
    assert requests.get(created.json()["poller_url"], timeout=10).status_code == 202
    requests.post(server.url + "/__admin/clock/advance", json={"seconds": 5}, timeout=10)
    ready = requests.get(created.json()["poller_url"], timeout=10)
    assert ready.status_code == 200
    pdf = requests.get(ready.json()["download_url"], timeout=10)
    assert pdf.headers["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    points = requests.get(server.url + "/api/v2/service-points/", timeout=10, params={
        "access_token": found["service_points_token"], "country": "NL", "carrier": "postnl",
        "latitude": found["service_point"]["latitude"], "longitude": found["service_point"]["longitude"],
        "radius": 5000}).json()
    assert points and {p["carrier"] for p in points} == {"postnl"}
    rid = created.json()["return"]
    assert requests.get(f"{server.url}/api/v3/returns/{rid}", auth=AUTH, timeout=10).json()["reason"]["id"] == 26
    assert requests.get(f"{server.url}/api/v2/returns/{rid}", auth=AUTH, timeout=10).json()["reason"] == 26


def test_sigterm_drains_in_flight_requests(tmp_path: Path) -> None:
    """A request in flight when SIGTERM arrives is answered before the server exits 0."""
    import threading

    running = Server("--workers", "1")
    requests.post(running.url + "/__admin/faults", json={"path": "/api/v2/returns", "delay_ms": 1500}, timeout=10)
    answers: list[int] = []
    slow = threading.Thread(target=lambda: answers.append(
        requests.get(running.url + "/api/v2/returns", auth=AUTH, timeout=30).status_code))
    slow.start()
    time.sleep(0.5)
    assert running.stop() == 0
    slow.join(timeout=30)
    assert answers == [200]


def test_json_access_log_one_line_per_request(tmp_path: Path) -> None:
    """--log-format json writes one parseable JSON access line per request."""
    import json

    running = Server("--log-format", "json")
    requests.get(running.url + '/api/v3/returns?q="quoted"', timeout=10)
    requests.get(running.url + "/api/v2/returns", auth=AUTH, timeout=10)
    running.stop()
    running_log = running.log_text()
    lines = [json.loads(line) for line in running_log.splitlines() if line.startswith("{")]
    paths = [(line["method"], line["path"], line["status"]) for line in lines]
    assert ("GET", "/api/v3/returns", 401) in paths and ("GET", "/api/v2/returns", 200) in paths


def test_server_imports_no_test_tools() -> None:
    """The server never imports hypothesis, schemathesis or pytest, nor reportlab before a label is asked for."""
    probe = ("import sys; from mock_server import create_app; import mock_server.server, mock_server.cli; "
             "create_app(); print(sorted({'hypothesis', 'schemathesis', 'pytest', 'reportlab'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_oauth2_and_service_points_over_the_socket(server: Server) -> None:
    """An OAuth2 client-credentials client gets a token from one worker and uses it on both; service
    points answer Basic, the public key and the token, with distances for a free-text address."""
    token = requests.post(server.url + "/oauth2/token/", data={"grant_type": "client_credentials"}, auth=AUTH,
                          timeout=10)
    assert token.status_code == 200 and token.headers["Cache-Control"] == "no-store"
    headers = {"Authorization": f"Bearer {token.json()['access_token']}", "Connection": "close"}
    for _ in range(6):  # fresh connections, so both workers see the stored token
        assert requests.get(server.url + "/api/v2/returns", headers=headers, timeout=10).status_code == 200
    query = {"country": "NL", "address": "Steenweg 32 Utrecht"}
    by_token = requests.get(server.url + "/api/v2/service-points", params=query, headers=headers, timeout=10).json()
    by_basic = requests.get(server.url + "/api/v2/service-points", params=query, auth=AUTH, timeout=10).json()
    by_key = requests.get(server.url + "/api/v2/service-points", params={**query, "access_token": DEFAULT_KEY},
                          timeout=10).json()
    assert by_token == by_basic == by_key and by_token[0]["distance"] == 0
    assert all(isinstance(p["distance"], int) for p in by_token)
    carriers = requests.get(server.url + "/api/v2/carriers", auth=AUTH, timeout=10)
    assert carriers.status_code == 200 and "postnl" in carriers.json()
    bad = requests.post(server.url + "/oauth2/token", data={"grant_type": "client_credentials",
                                                            "client_id": DEFAULT_KEY, "client_secret": "x"}, timeout=10)
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"
