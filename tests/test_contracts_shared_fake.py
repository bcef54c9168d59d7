"""The kit against a shared fake: one started with --open-accounts passes, and auth is still checked there."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from contracts.cli import main
from contracts.contracts import BY_NAME, CONTRACTS
from contracts.contracts.api import DEFAULT_RETURN_BODY
from contracts.contracts.context import Context, fake_identifiers
from contracts.runner.run import FAILED, run_one
from contracts.testing import ServedApp, rewriting
from contracts.transport import WsgiTransport
from mock_server import Settings, create_app

KEY, SECRET = "test_api_key_stroopwafel", "test_api_secret_stroopwafel"


@pytest.fixture
def open_fake(tmp_path: Path) -> Iterator[ServedApp]:
    """A fake started as the README recommends for CI: --open-accounts, no label delay."""
    app = create_app(Settings(db=str(tmp_path / "open.sqlite3"), open_accounts=True, label_delay=0))
    with ServedApp(app) as server:
        yield server


def test_the_kit_passes_against_an_open_accounts_fake(open_fake: ServedApp, capsys: pytest.CaptureFixture[str]) -> None:
    """Every contract holds on a fake where new credentials are accepted by design (no 'ignored auth' failure)."""
    code = main(["run", "--base-url", open_fake.url, "--max-examples", "4", "--seed", "3"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"{len(CONTRACTS)} passed, 0 failed" in out


def test_the_generated_checks_leave_no_stray_accounts(open_fake: ServedApp) -> None:
    """The conformance contract does not try random credentials on an open fake (each would become an account),
    in Basic headers or in the OAuth2 token request's form (enough cases that the form is generated with them)."""
    before = requests.get(f"{open_fake.url}/__admin/fixtures", timeout=10).json()["accounts"]
    assert main(["run", "--base-url", open_fake.url, "--api-key", KEY, "--api-secret", SECRET,
                 "--contract", "openapi_conformance", "--max-examples", "25", "--seed", "5"]) == 0
    after = requests.get(f"{open_fake.url}/__admin/fixtures", timeout=10).json()["accounts"]
    assert [a["api_key"] for a in after] == [a["api_key"] for a in before]


def anonymous_reads_allowed(environ: dict[str, Any], status: str, body: bytes) -> tuple[str, bytes]:
    """An open fake gone wrong: reads without credentials are answered instead of refused."""
    if environ.get("HTTP_AUTHORIZATION") in (None, "") and status.startswith("401"):
        return "200 OK", json.dumps({"next": None, "previous": None, "data": []}).encode()
    return status, body


def test_on_an_open_fake_missing_credentials_must_still_be_refused(tmp_path: Path) -> None:
    """With open accounts, the conformance contract still fails when a request without credentials is answered."""
    app = create_app(Settings(db=str(tmp_path / "lax.sqlite3"), open_accounts=True))
    transport = WsgiTransport(rewriting(app, anonymous_reads_allowed), KEY, SECRET)
    ctx = Context(transport, fake_identifiers(transport), max_examples=2, allow_writes=False, seed=1)
    result = run_one(BY_NAME["openapi_conformance"], ctx)
    assert result.status == FAILED, result.detail
    assert "no Authorization header" in result.detail and "expected 401" in result.detail


ADMIN_TOKEN = "admin-token-0f3c9a7e"


@pytest.fixture
def protected_fake(tmp_path: Path) -> Iterator[ServedApp]:
    """A fake started with --admin-token: every admin call but health needs the Bearer token."""
    app = create_app(Settings(db=str(tmp_path / "protected.sqlite3"), admin_token=ADMIN_TOKEN))
    with ServedApp(app) as server:
        yield server


def test_the_admin_token_opens_a_protected_fake(protected_fake: ServedApp, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """With SENDCLOUD_MOCK_ADMIN_TOKEN (or --admin-token) the kit reads the fixtures and moves the clock.

    The token itself is never shown.
    """
    monkeypatch.setenv("SENDCLOUD_MOCK_ADMIN_TOKEN", ADMIN_TOKEN)
    contracts = ["--contract", "portal_flow", "--contract", "token_rules"]
    assert main(["run", "--base-url", protected_fake.url, *contracts]) == 0
    out, err = capsys.readouterr()
    assert "2 passed" in out and ADMIN_TOKEN not in out + err
    monkeypatch.delenv("SENDCLOUD_MOCK_ADMIN_TOKEN")
    assert main(["run", "--base-url", protected_fake.url, "--admin-token", ADMIN_TOKEN,
                 "--contract", "portal_flow"]) == 0
    out, err = capsys.readouterr()
    assert ADMIN_TOKEN not in out + err and "SENDCLOUD_MOCK_ADMIN_TOKEN" in out  # the replay line says where it goes


def test_without_the_admin_token_a_protected_fake_exits_4(protected_fake: ServedApp,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """No token (or a wrong one) for a protected fake: exit 4 with one line naming the option, no contract run."""
    assert main(["run", "--base-url", protected_fake.url, "--api-key", KEY, "--api-secret", SECRET]) == 4
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "--admin-token" in err and "no admin token given" in err
    assert main(["run", "--base-url", protected_fake.url, "--admin-token", "wrong-token-123"]) == 4
    err = capsys.readouterr().err
    assert "the admin token was refused" in err and "wrong-token-123" not in err


LIST = {"from_date": "2000-01-01 00:00:00", "to_date": "2100-01-01 00:00:00", "page_size": 40}


def _state(url: str) -> dict[str, Any]:
    """What another user of a shared fake sees: the default account's returns, the global clock, the accounts."""
    page = requests.get(f"{url}/api/v3/returns", params=LIST, auth=(KEY, SECRET), timeout=10).json()
    returns = [item["id"] for item in page["data"]]
    while page["next"]:
        page = requests.get(page["next"], auth=(KEY, SECRET), timeout=10).json()
        returns += [item["id"] for item in page["data"]]
    return {"returns": returns,
            "clock": requests.get(f"{url}/__admin/clock", timeout=10).json(),
            "accounts": [a["api_key"] for a in requests.get(f"{url}/__admin/accounts", timeout=10).json()["accounts"]]}


@pytest.fixture
def shared_fake(tmp_path: Path) -> Iterator[ServedApp]:
    """A fake others use too: the default account holds one return of theirs, the global clock is frozen."""
    app = create_app(Settings(db=str(tmp_path / "shared.sqlite3"), label_delay=10))
    with ServedApp(app) as server:
        requests.post(f"{server.url}/__admin/clock/freeze", json={"frozen": True}, timeout=10).raise_for_status()
        body = {**DEFAULT_RETURN_BODY, "brand_id": 101}
        requests.post(f"{server.url}/api/v3/returns", json=body, auth=(KEY, SECRET), timeout=10).raise_for_status()
        yield server


def test_a_run_leaves_a_shared_fake_as_it_found_it(shared_fake: ServedApp, capsys: pytest.CaptureFixture[str]) -> None:
    """Writing contracts run in an account of their own: the default account's returns, the global clock and
    the account list are unchanged afterwards (the label waits moved only the run's account's clock)."""
    before = _state(shared_fake.url)
    code = main(["run", "--base-url", shared_fake.url, "--max-examples", "3", "--seed", "11",
                 "--contract", "returns_lifecycle", "--contract", "portal_flow", "--contract", "returns_state_machine",
                 "--contract", "pagination_invariants"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert _state(shared_fake.url) == before
    assert "in an account of its own" in out


def test_the_run_account_is_deleted_when_the_run_is_interrupted(shared_fake: ServedApp,
                                                               capsys: pytest.CaptureFixture[str],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C in the middle of a run (after it created returns): exit 130, and its account is gone all the same."""
    import contracts.runner.run

    real_run_all = contracts.runner.run.run_all
    seen: list[str] = []

    def interrupted(contracts_: Any, ctx: Any, **kwargs: Any) -> Any:
        real_run_all(contracts_[:1], ctx, **kwargs)
        seen.append(ctx.transport.api_key)
        raise KeyboardInterrupt

    monkeypatch.setattr(contracts.runner.run, "run_all", interrupted)
    before = _state(shared_fake.url)
    assert main(["run", "--base-url", shared_fake.url, "--contract", "returns_lifecycle"]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert seen and seen[0] != KEY and seen[0] not in before["accounts"]  # it did run in an account of its own
    assert _state(shared_fake.url) == before


def test_an_open_fake_that_cannot_clone_gives_a_fresh_open_account(tmp_path: Path) -> None:
    """Where cloning is refused (an older fake) but accounts are open, the run's account is a fresh key pair,
    its clock moves alone, and it is deleted at the end."""
    from contracts.runner.account import close_run_account, open_run_account

    app = create_app(Settings(db=str(tmp_path / "old.sqlite3"), open_accounts=True))

    def no_cloning(environ: dict[str, Any], start_response: Any) -> Any:
        if environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"] == "/__admin/accounts":
            start_response("405 METHOD NOT ALLOWED", [("Content-Type", "application/json")])
            return [b'{"error": "no cloning here"}']
        return app(environ, start_response)

    transport = WsgiTransport(no_cloning, KEY, SECRET)
    key = open_run_account(transport)
    assert key is not None and key.startswith("contracts_") and transport.api_key == key
    assert transport.get("/api/v3/returns", params=LIST).status == 200  # the account exists now
    client = app.test_client()
    global_before = client.get("/__admin/clock").json["now"]
    assert transport.advance_clock(3600)
    assert client.get("/__admin/clock", query_string={"account": key}).json["now"] > global_before
    assert client.get("/__admin/clock").json["now"][:16] == global_before[:16]
    assert close_run_account(transport)
    assert client.get(f"/__admin/accounts/{key}").status_code == 404
