"""The kit against a shared fake: one started with --open-accounts passes, and auth is still checked there."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests

from contracts.cli import main
from contracts.context import Context, fake_identifiers
from contracts.contracts import BY_NAME, CONTRACTS
from contracts.runner import FAILED, run_one
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
    """The conformance contract does not try random credentials on an open fake (each would become an account)."""
    before = requests.get(f"{open_fake.url}/__admin/fixtures", timeout=10).json()["accounts"]
    assert main(["run", "--base-url", open_fake.url, "--api-key", KEY, "--api-secret", SECRET,
                 "--contract", "openapi_conformance", "--max-examples", "4", "--seed", "5"]) == 0
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
    """With SENDCLOUD_MOCK_ADMIN_TOKEN (or --admin-token) the kit reads the fixtures and moves the clock; never shows it."""
    monkeypatch.setenv("SENDCLOUD_MOCK_ADMIN_TOKEN", ADMIN_TOKEN)
    assert main(["run", "--base-url", protected_fake.url, "--contract", "portal_flow", "--contract", "token_rules"]) == 0
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
