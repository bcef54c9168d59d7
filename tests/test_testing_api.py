"""The testing API: mock_sendcloud() interception, the sendcloud_fake fixture, and the sample shop suite under -n 4."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
from importlib.metadata import entry_points
from pathlib import Path

import httpx
import pytest
import requests
from test_server import Server

from mock_server import mock_sendcloud
from mock_server.testing import AdminClient, InProcessServer, SendcloudFake, clone_account

ROOT = Path(__file__).resolve().parents[1]
SHOP_SUITE = ROOT / "examples" / "shop_suite"
PANEL = "https://panel.sendcloud.sc"
LIST = PANEL + "/api/v3/returns?from_date=2000-01-01 00:00:00&to_date=2100-01-01 00:00:00"


def test_requests_and_httpx_sync_and_async_are_intercepted() -> None:
    """Inside mock_sendcloud(), requests, httpx and httpx's async client reach the fake, not the network."""
    with mock_sendcloud() as fake:
        by_requests = requests.post(PANEL + "/api/v3/returns", json={}, auth=fake.auth, timeout=5)
        by_httpx = httpx.get(LIST, auth=fake.auth)

        async def by_async() -> httpx.Response:
            async with httpx.AsyncClient() as client:
                return await client.get(LIST, auth=fake.auth)

        async_answer = asyncio.run(by_async())
        points = requests.get("https://servicepoints.sendcloud.sc/api/v2/service-points/", timeout=5)
        assert by_requests.status_code == 400 and by_requests.json()["errors"][0]["code"] == "required"
        assert by_httpx.status_code == 200 and by_httpx.json() == {"next": None, "previous": None, "data": []}
        assert async_answer.status_code == 200 and async_answer.json()["data"] == []
        assert points.status_code == 401 and points.json()["error"]["code"] == 401
        assert fake.count() == 4 and fake.count(method="POST") == 1


def test_oauth_token_host_is_intercepted() -> None:
    """An application that takes an OAuth2 token from account.sendcloud.com, then calls the panel with it."""
    with mock_sendcloud() as fake:
        key, secret = fake.auth
        issued = requests.post("https://account.sendcloud.com/oauth2/token/", timeout=5, data={
            "grant_type": "client_credentials", "client_id": key, "client_secret": secret})
        assert issued.status_code == 200, issued.text
        listed = httpx.get(LIST, headers={"Authorization": "Bearer " + issued.json()["access_token"]})
        assert listed.status_code == 200 and fake.count(path="/oauth2/token/") == 1


def test_interception_runs_the_whole_flow_with_any_credentials() -> None:
    """An application with its own credentials creates a return, sees its label after an advance and looks up
    its parcel."""
    with mock_sendcloud() as fake:
        session = requests.Session()
        session.auth = ("my-app-key", "my-app-secret")
        account = {**fake.account, "api_key": "my-app-key"}
        created = session.post(PANEL + "/api/v3/returns", json={
            "from_address": {"name": "A", "address_line_1": "Oudegracht", "house_number": "1", "postal_code": "3511 AZ",
                             "city": "Utrecht", "country_code": "NL"},
            "to_address": {"name": "B", "address_line_1": "Kanaalstraat", "house_number": "12",
                           "postal_code": "5611 LX", "city": "Eindhoven", "country_code": "NL"},
            "ship_with": {"type": "shipping_option_code", "shipping_option_code": "postnl:standard/return"},
            "weight": {"value": 1, "unit": "kg"}, "brand_id": None}, timeout=5)
        assert created.status_code == 400 and account["api_key"] == "my-app-key"
        assert fake.requests()[0]["account"] == "my-app-key"
        parcel = fake.outgoing_parcels[0]
        found = httpx.get(f"{PANEL}/api/v2/brand/{fake.brand['domain']}/return-portal/outgoing",
                          params={"identifier": parcel["tracking_number"],
                                  "postal_code": parcel["to_address"]["postal_code"]})
        assert found.status_code == 200
        assert found.json()["access_token"] not in str(fake.requests())


def test_other_hosts_pass_through_and_patches_are_removed() -> None:
    """Calls to other hosts reach them untouched; after the block the libraries are as before."""
    original_send, original_handle = requests.adapters.HTTPAdapter.send, httpx.HTTPTransport.handle_request
    with InProcessServer() as elsewhere, mock_sendcloud() as fake:
        assert requests.get(elsewhere.url + "/__admin/health", timeout=5).json()["status"] == "ok"
        assert httpx.get(elsewhere.url + "/__admin/health").json()["status"] == "ok"
        assert fake.count() == 0
    assert requests.adapters.HTTPAdapter.send is original_send
    assert httpx.HTTPTransport.handle_request is original_handle


def test_decorator_gives_a_fresh_fake_each_call() -> None:
    """As a decorator, each call of the function runs against a fresh fake (sync and async)."""

    @mock_sendcloud()
    def count_calls() -> int:
        requests.get(LIST, auth=("k", "s"), timeout=5)
        return len(requests.get(LIST, auth=("k", "s"), timeout=5).json()["data"])

    @mock_sendcloud()
    async def async_status() -> int:
        async with httpx.AsyncClient() as client:
            return (await client.get(LIST, auth=("k", "s"))).status_code

    assert count_calls() == 0 and count_calls() == 0
    assert asyncio.run(async_status()) == 200


def test_handle_is_scoped_to_its_account() -> None:
    """Two handles on one served fake: one's advance, fault, journal and reset leave the other untouched."""
    with InProcessServer() as server:
        admin = AdminClient(server.url)
        first, second = (SendcloudFake(admin, server.url, clone_account(admin)) for _ in range(2))
        first.freeze()
        second.freeze()
        before, first_before = second.now(), first.now()
        first.advance(3600)
        first.fault(path="/api/v3/returns", status=503, times=1)
        assert requests.get(server.url + "/api/v3/returns", auth=second.auth, timeout=5).status_code == 400
        assert requests.get(server.url + "/api/v3/returns", auth=first.auth, timeout=5).status_code == 503
        assert second.now() == before and (first.now() - first_before).total_seconds() == 3600
        assert first.count() == 1 and second.count() == 1 and first.count(status=503) == 1
        first.reset()
        assert first.count() == 0 and second.count() == 1 and first.faults() == []
        first.delete()
        assert requests.get(server.url + f"/__admin/accounts/{first.api_key}", timeout=5).status_code == 404


def test_plugin_imports_and_stays_inert_with_the_base_install(tmp_path: Path) -> None:
    """With requests and httpx unavailable, the plugin loads, a test not asking for the fixture runs, and no fake
    starts."""
    (tmp_path / "test_plain.py").write_text(textwrap.dedent("""
        import threading

        def test_plain():
            assert not [t for t in threading.enumerate() if t.name == "sendcloud-fake"]
    """))
    (tmp_path / "sitecustomize.py").write_text(
        "import sys\nsys.modules['requests'] = None\nsys.modules['httpx'] = None\n")
    # Other installed plugins (schemathesis) need requests themselves: load only ours, by its entry point's target.
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    target = next(e.value for e in entry_points(group="pytest11") if e.name == "sendcloud_fake")
    command = [sys.executable, "-m", "pytest", "-p", target, "-p", "no:cacheprovider"]
    done = subprocess.run([*command, "-q", str(tmp_path)], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    listed = subprocess.run([*command, "--help"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert "--sendcloud-fake-url" in listed.stdout


def run_shop_suite(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", str(SHOP_SUITE), "-c", str(SHOP_SUITE / "pytest.ini"),
         "--rootdir", str(SHOP_SUITE), "-q", "-n", "4", *args],
        cwd=SHOP_SUITE, capture_output=True, text=True, timeout=600,
        env={k: v for k, v in os.environ.items() if not k.startswith("SENDCLOUD_FAKE_")})


def passed(done: subprocess.CompletedProcess[str]) -> int:
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    assert done.returncode == 0 and " passed" in summary and "failed" not in summary, done.stdout[-3000:] + done.stderr
    return int(summary.split(" passed")[0].split()[-1])


@pytest.mark.slow
def test_shop_suite_in_process_fakes_three_times() -> None:
    """The sample shop suite (>= 30 tests) passes with -n 4, each worker with its own in-process fake, 3 runs in a
    row."""
    for _ in range(3):
        assert passed(run_shop_suite()) >= 30


@pytest.mark.slow
def test_shop_suite_against_one_shared_served_fake_three_times(tmp_path: Path) -> None:
    """The same suite with -n 4, all workers sharing one served fake (2 workers), 3 runs in a row."""
    server = Server("--workers", "2", "--db", str(tmp_path / "db"))
    try:
        for _ in range(3):
            assert passed(run_shop_suite("--sendcloud-fake-url", server.url)) >= 30
        accounts = requests.get(server.url + "/__admin/accounts", timeout=10).json()["accounts"]
        assert all(account["from_fixtures"] for account in accounts), "a test's account was left behind"
    finally:
        server.stop()


def test_fixture_sends_the_admin_token_to_a_protected_fake(tmp_path: Path) -> None:
    """Against a fake started with --admin-token, the fixture works with the token option and is refused without it."""
    server = Server("--workers", "1", "--db", str(tmp_path / "db"), "--admin-token", "t0ken-for-tests")
    try:
        chosen = ("-k", "frozen_clock or only_my_returns", "-n", "0", "--sendcloud-fake-url", server.url)
        with_token = run_shop_suite(*chosen, "--sendcloud-fake-admin-token", "t0ken-for-tests")
        assert passed(with_token) == 5
        without = run_shop_suite(*chosen)
        assert without.returncode != 0 and "401" in without.stdout
    finally:
        server.stop()
