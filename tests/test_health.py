"""`sendcloud-mock health [--wait SECONDS]`: the image's HEALTHCHECK and a script's wait-until-up."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from contracts.testing import ServedApp
from mock_server import Settings, create_app
from mock_server.health import default_url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def health(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mock_server", "health", *args], capture_output=True, text=True,
                          timeout=timeout, check=False, env={**os.environ, **(env or {})})


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[ServedApp]:
    with ServedApp(create_app(Settings(db=str(tmp_path / "health.sqlite3")))) as server:
        yield server


@pytest.mark.parametrize(("host", "port", "url"), [
    ("0.0.0.0", "9000", "http://127.0.0.1:9000"),
    ("::", "9001", "http://127.0.0.1:9001"),
    ("", "", "http://127.0.0.1:8080"),
    ("127.0.0.2", "8080", "http://127.0.0.2:8080"),
    ("::1", "8081", "http://[::1]:8081"),
])
def test_the_default_address_is_the_one_serve_binds(host: str, port: str, url: str) -> None:
    """Without --url, health asks SENDCLOUD_MOCK_HOST:SENDCLOUD_MOCK_PORT, a wildcard address on loopback."""
    assert default_url({"SENDCLOUD_MOCK_HOST": host, "SENDCLOUD_MOCK_PORT": port}) == url


def test_health_follows_the_serve_variables(fake: ServedApp) -> None:
    """As the image's HEALTHCHECK runs it (no arguments), health finds the fake through SENDCLOUD_MOCK_PORT."""
    port = fake.url.rsplit(":", 1)[1]
    done = health(env={"SENDCLOUD_MOCK_HOST": "0.0.0.0", "SENDCLOUD_MOCK_PORT": port})
    assert done.returncode == 0, done.stderr
    assert '"status": "ok"' in done.stdout and '"package": "sendcloud-mock"' in done.stdout


def test_without_wait_an_absent_fake_fails_at_once() -> None:
    """No --wait: one try, exit 1, one line naming the address."""
    url = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    done = health("--url", url)
    assert done.returncode == 1 and time.monotonic() - started < 10
    assert done.stderr.count("\n") == 1 and url in done.stderr and "Traceback" not in done.stderr


def test_wait_returns_once_the_fake_comes_up(tmp_path: Path) -> None:
    """--wait keeps asking: a fake that starts 1.5 s later is found, and health exits 0."""
    port = free_port()
    servers: list[ServedApp] = []

    def start_later() -> None:
        time.sleep(1.5)
        from werkzeug.serving import make_server

        server = make_server("127.0.0.1", port, create_app(Settings(db=str(tmp_path / "late.sqlite3"))), threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)  # type: ignore[arg-type]

    starter = threading.Thread(target=start_later)
    starter.start()
    started = time.monotonic()
    try:
        done = health("--url", f"http://127.0.0.1:{port}", "--wait", "20")
        waited = time.monotonic() - started
    finally:
        starter.join()
        for server in servers:
            server.shutdown()  # type: ignore[attr-defined]
            server.server_close()  # type: ignore[attr-defined]
    assert done.returncode == 0, done.stderr
    assert '"status": "ok"' in done.stdout
    assert 1.0 < waited < 20


def test_wait_gives_up_after_its_seconds() -> None:
    """--wait 1 against nothing: exit 1 after about a second, one line saying it gave up."""
    started = time.monotonic()
    done = health("--url", f"http://127.0.0.1:{free_port()}", "--wait", "1")
    elapsed = time.monotonic() - started
    assert done.returncode == 1
    assert 0.9 < elapsed < 10
    assert done.stderr.count("\n") == 1 and "gave up after 1 s" in done.stderr
