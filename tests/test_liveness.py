"""Liveness of the production server: slow, idle and delayed clients never starve the admin API.

Bounded and loopback only. The bound is behaviour ("health answers within 1 s"), measured on
top of what a health call costs on this machine right now, so a busy CI host does not fail it.
"""

from __future__ import annotations

import base64
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
import requests
from conftest import DEFAULT_KEY, DEFAULT_SECRET
from test_server import Server

pytestmark = pytest.mark.slow
AUTH = (DEFAULT_KEY, DEFAULT_SECRET)
CROWD = 1000
BASIC = b"Basic " + base64.b64encode(f"{DEFAULT_KEY}:{DEFAULT_SECRET}".encode())


@pytest.fixture(scope="module")
def room_for_sockets() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 3 * CROWD
    if soft < wanted:
        if hard != resource.RLIM_INFINITY and hard < wanted:
            pytest.skip(f"needs {wanted} open files, the hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


@pytest.fixture
def server(room_for_sockets: None) -> Iterator[Server]:
    running = Server()  # the default settings: 2 workers, the default connection cap
    yield running
    running.stop()


def timed(url: str, method: str = "GET", **kwargs: object) -> tuple[float, int]:
    started = time.monotonic()
    answer = requests.request(method, url, timeout=30, **kwargs)  # type: ignore[arg-type]
    return time.monotonic() - started, answer.status_code


def baseline(url: str) -> float:
    """The slowest of a few health calls with nobody else connected (this machine's noise)."""
    return max(timed(url + "/__admin/health")[0] for _ in range(5))


def crowd(port: int, count: int) -> list[socket.socket]:
    """Idle and half-sent connections: nothing at all, half a request line, headers without the body."""
    sockets = []
    for n in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        if n % 3 == 1:
            sock.sendall(b"GET /api/v2/returns HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthoriz")
        elif n % 3 == 2:
            sock.sendall(b"POST /api/v3/returns HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                         b"Authorization: " + BASIC + b"\r\nContent-Length: 5000\r\n\r\n{\"from_address\": ")
        sockets.append(sock)
    return sockets


def test_a_thousand_slow_sockets_never_delay_health(server: Server) -> None:
    """1,000 idle or half-sent connections (some stopped inside a JSON body): while they are held,
    health (and the API) answer within 1 s, every time."""
    noise = baseline(server.url)
    sockets = crowd(server.port, CROWD)
    try:
        # Taking them in costs CPU (a third send whole headers, which are parsed and authenticated):
        # 0.03 to 0.07 s on a quiet 2-core machine. The 1 s bound holds for this call too; only its
        # allowance for a busy host scales with what a lone health call costs here right now.
        arrival = timed(server.url + "/__admin/health")
        assert arrival[1] == 200 and arrival[0] < 1.0 + 20 * noise, (noise, arrival)
        opened = time.monotonic()
        latencies = []
        while time.monotonic() - opened < 3:
            latencies.append(timed(server.url + "/__admin/health"))
        api = timed(server.url + "/api/v2/returns", auth=AUTH)
        fresh = [timed(server.url + "/__admin/health", headers={"Connection": "close"}) for _ in range(5)]
    finally:
        for sock in sockets:
            sock.close()
    assert all(status == 200 for _, status in latencies + fresh) and api[1] == 200
    assert max(t for t, _ in latencies + fresh + [api]) < 1.0 + noise, (noise, latencies, api, fresh)


def test_slowloris_is_cut_off(server: Server) -> None:
    """A client trickling its headers is disconnected after the keep-alive timeout (5 s), not held forever."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=20)
    sock.sendall(b"GET /api/v2/returns HTTP/1.1\r\n")
    started = time.monotonic()
    closed = False
    try:
        while time.monotonic() - started < 15:
            sock.sendall(b"X-Trickle: 1\r\n")
            sock.settimeout(1)
            try:
                if sock.recv(4096) == b"":
                    closed = True
                    break
            except TimeoutError:
                continue
    except (BrokenPipeError, ConnectionResetError):
        closed = True
    finally:
        sock.close()
    assert closed and time.monotonic() - started < 12


def test_long_fault_delays_leave_the_admin_api_responsive(server: Server) -> None:
    """200 requests in flight, each held by a 5 s delay_ms rule: admin calls and other API calls answer at once."""
    noise = baseline(server.url)
    assert requests.post(server.url + "/__admin/faults", json={"path": "/api/v2/returns", "delay_ms": 5000},
                         timeout=10).status_code == 201
    request = b"GET /api/v2/returns HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + BASIC + b"\r\n\r\n"
    sockets = []
    try:
        for _ in range(200):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            sock.sendall(request)
            sockets.append(sock)
        time.sleep(0.5)
        calls = [
            timed(server.url + "/__admin/health"),
            timed(server.url + "/__admin/faults"),
            timed(server.url + "/__admin/clock/advance", "POST", json={"seconds": 1}),
            timed(server.url + "/__admin/requests"),
            timed(server.url + "/api/v3/returns/1", auth=AUTH),
        ]
        # The delayed requests are still waiting: nothing answered them early.
        sockets[0].settimeout(0.2)
        with pytest.raises(socket.timeout):
            sockets[0].recv(1)
        sockets[0].settimeout(10)
        assert sockets[0].recv(12).startswith(b"HTTP/1.1 200")
    finally:
        for sock in sockets:
            sock.close()
    assert [status for _, status in calls] == [200, 200, 200, 200, 404]
    assert max(t for t, _ in calls) < 1.0 + noise, (noise, calls)


def test_workers_share_one_store_connection_across_greenlets() -> None:
    """The gevent worker leaves threading.local per thread: every greenlet of a worker shares its
    SQLite connection and read caches (with `thread` patched they would be per greenlet,
    one cold connection per client connection)."""
    probe = """
import gevent
from mock_server.server import _gevent_worker_class
from mock_server.store import SqliteStore
worker = object.__new__(_gevent_worker_class())
worker.sockets = []
worker.patch()
store = SqliteStore()
seen = []
gevent.joinall([gevent.spawn(lambda: seen.append(id(store.connection()))) for _ in range(20)])
store.cached("k", lambda: "loaded")
hits = []
gevent.joinall([gevent.spawn(lambda: hits.append(store.cached("k", lambda: "again"))) for _ in range(5)])
print(len(set(seen)), sorted(set(hits)))
"""
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["1", "['loaded']"]
