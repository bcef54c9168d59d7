"""Admin API protection: the admin token, and the DNS-rebinding guard on Host when there is none."""

from __future__ import annotations

import pytest

from mock_server import cli, create_app
from mock_server.admin_access import host_allowed, is_loopback_bind

TOKEN = "s3cret-admin-token"
ADMIN_CALLS = [
    ("get", "/__admin/fixtures", None),
    ("get", "/__admin/requests", None),
    ("get", "/__admin/clock", None),
    ("post", "/__admin/clock/advance", {"seconds": 5}),
    ("post", "/__admin/reset", {}),
    ("get", "/__admin/faults", None),
    ("post", "/__admin/accounts", {"api_key": "k", "api_secret": "s"}),
    ("get", "/__admin/no-such-thing", None),
]


@pytest.fixture
def guarded(settings):
    app = create_app(settings.with_(admin_token=TOKEN))
    app.testing = True
    return app.test_client()


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_CALLS)
def test_admin_calls_without_the_token_are_401_json(guarded, method, path, body) -> None:
    """With --admin-token, every admin call without (or with a wrong) bearer token is a 401 in JSON."""
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"},
                    {"Authorization": f"Bearer {TOKEN}x"}, {"Authorization": "Bearer \u00e9t\u00e9"}):
        answer = getattr(guarded, method)(path, json=body, headers=headers)
        assert answer.status_code == 401, (path, headers)
        assert answer.json["error"]["message"] and "Bearer" in answer.headers["WWW-Authenticate"]


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_CALLS[:-1])
def test_admin_calls_with_the_token_work(guarded, method, path, body) -> None:
    """With the right bearer token admin calls are answered as usual, whatever the Host."""
    headers = {"Authorization": f"Bearer {TOKEN}", "Host": "attacker.example:8080"}
    answer = getattr(guarded, method)(path, json=body, headers=headers)
    assert answer.status_code in (200, 201), answer.json


def test_health_needs_no_token(guarded) -> None:
    """Health stays open (container health checks, `sendcloud-mock health`)."""
    assert guarded.get("/__admin/health").json["status"] == "ok"


def test_api_calls_are_not_affected_by_the_admin_token(guarded, auth) -> None:
    assert guarded.get("/api/v2/returns", headers=auth).status_code == 200


@pytest.mark.parametrize("host", ["attacker.example", "attacker.example:8080", "rebind.127.0.0.1.nip.io",
                                  "localhost.attacker.example", "evil.com.", "xn--80ak6aa92e.com"])
def test_rebinding_host_is_403_without_a_token(client, host) -> None:
    """Without a token, an admin call for a public-looking Host name (DNS rebinding) is refused with 403."""
    for method, path, body in ADMIN_CALLS[:-1]:
        answer = getattr(client, method)(path, json=body, headers={"Host": host})
        assert answer.status_code == 403, (path, host)
        assert answer.json["error"]["message"]
    # Nothing changed behind the refusals.
    assert client.get("/__admin/clock").json["now"]
    assert client.post("/api/v3/returns", headers={"Host": host}).status_code in (400, 401, 415)


@pytest.mark.parametrize("host", ["localhost", "localhost:8080", "127.0.0.1:8080", "[::1]:8080", "10.0.0.7",
                                  "sendcloud:8080", "sendcloud-mock", "app.localhost", "LOCALHOST."])
def test_trusted_hosts_are_answered_without_a_token(client, host) -> None:
    """Loopback names, IP literals and single-label names (compose services) are answered."""
    assert client.get("/__admin/fixtures", headers={"Host": host}).status_code == 200


def test_allowed_host_setting(settings) -> None:
    """--allowed-host adds names (or *.suffix patterns) the guard answers."""
    app = create_app(settings.with_(allowed_host=("mock.ci.internal", "*.test.example")))
    app.testing = True
    client = app.test_client()
    assert client.get("/__admin/fixtures", headers={"Host": "mock.ci.internal:8080"}).status_code == 200
    assert client.get("/__admin/fixtures", headers={"Host": "a.test.example"}).status_code == 200
    assert client.get("/__admin/fixtures", headers={"Host": "test.example.evil.com"}).status_code == 403
    assert client.get("/__admin/fixtures", headers={"Host": "mock.ci.internal.evil.com"}).status_code == 403


def test_host_rules() -> None:
    assert host_allowed(None, ())
    assert not host_allowed("", ())
    assert not host_allowed("[::1", ()) or host_allowed("[::1", ())  # malformed: never an exception
    assert is_loopback_bind("127.0.0.1") and is_loopback_bind("::1") and is_loopback_bind("localhost")
    assert not is_loopback_bind("0.0.0.0") and not is_loopback_bind("192.168.1.4") and not is_loopback_bind("::")


def _start_output(monkeypatch, capsys, *args: str) -> str:
    """What `serve` prints before handing over to the server (which is not started here)."""
    import mock_server.server

    started = []
    monkeypatch.setattr(mock_server.server, "run", lambda settings: started.append(settings))
    assert cli.main(["serve", *args]) == 0 and len(started) == 1
    captured = capsys.readouterr()
    return captured.out + captured.err


def test_non_loopback_bind_without_token_warns_loudly(monkeypatch, capsys) -> None:
    """Bound to a non-loopback address without a token the server says so in one line; with one, not."""
    monkeypatch.delenv("SENDCLOUD_MOCK_ADMIN_TOKEN", raising=False)
    for host in ("0.0.0.0", "::", "192.168.1.4"):
        lines = _start_output(monkeypatch, capsys, "--host", host).splitlines()
        warnings = [line for line in lines if line.startswith("WARNING") and "admin token" in line]
        assert len(warnings) == 1 and host in warnings[0], lines
    assert "WARNING" not in _start_output(monkeypatch, capsys, "--host", "0.0.0.0", "--admin-token", TOKEN)
    monkeypatch.setenv("SENDCLOUD_MOCK_ADMIN_TOKEN", TOKEN)
    assert "WARNING" not in _start_output(monkeypatch, capsys, "--host", "0.0.0.0")
    monkeypatch.delenv("SENDCLOUD_MOCK_ADMIN_TOKEN")
    assert "WARNING" not in _start_output(monkeypatch, capsys, "--host", "127.0.0.1")
