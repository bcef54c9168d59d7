"""Each contract can fail: against a fake sabotaged in exactly the way it guards against, it does."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from contracts.contracts import BY_NAME
from contracts.contracts.context import Context, fake_identifiers
from contracts.runner.run import FAILED, run_one
from contracts.testing import rewriting
from contracts.transport import WsgiTransport
from mock_server import Settings, create_app

KEY, SECRET = "test_api_key_stroopwafel", "test_api_secret_stroopwafel"


def second_cancel_accepted(environ: dict[str, Any], status: str, body: bytes) -> tuple[str, bytes]:
    if environ["PATH_INFO"].endswith("/cancel") and status.startswith("409"):
        return "202 ACCEPTED", b'{"message": "Cancellation requested successfully"}'
    return status, body


def tokens_not_checked(environ: dict[str, Any], status: str, body: bytes) -> tuple[str, bytes]:
    if environ["PATH_INFO"].startswith("/api/v2/service-points") and status.startswith("403"):
        return "200 OK", b"[]"
    return status, body


def cursor_ignored(environ: dict[str, Any], status: str, body: bytes) -> tuple[str, bytes]:
    if environ["PATH_INFO"] == "/api/v3/returns" and environ["REQUEST_METHOD"] == "GET" and status.startswith("200"):
        return status, re.sub(rb"&cursor=[^\"&]+", b"", body)
    return status, body


def errors_unnamed(environ: dict[str, Any], status: str, body: bytes) -> tuple[str, bytes]:
    if environ["REQUEST_METHOD"] == "POST" and status.startswith("400"):
        data = json.loads(body)
        for error in data.get("errors", []):
            error["source"] = {"pointer": "/"}
        return status, json.dumps(data).encode()
    return status, body


def label_not_pdf(environ: dict[str, Any], status: str, body: bytes) -> tuple[str, bytes]:
    if environ["PATH_INFO"].endswith("/label/download") and status.startswith("200"):
        return status, b"<html>not a label</html>"
    return status, body


def cancel_forgotten(environ: dict[str, Any], status: str, body: bytes) -> tuple[str, bytes]:
    if re.fullmatch(r"/api/v[23]/returns/\d+", environ["PATH_INFO"]) and status.startswith("200"):
        data = json.loads(body)
        data["is_cancellable"] = True
        return status, json.dumps(data).encode()
    return status, body


def not_found_is_a_crash(environ: dict[str, Any], status: str, body: bytes) -> tuple[str, bytes]:
    """Asked for a return that does not exist, the API falls over instead of answering 404."""
    if environ["REQUEST_METHOD"] == "GET" and status.startswith("404"):
        return "500 INTERNAL SERVER ERROR", b'{"detail": "Internal Server Error"}'
    return status, body


def created_at_dropped(environ: dict[str, Any], status: str, body: bytes) -> tuple[str, bytes]:
    """The v3 return is read without its required `created_at`."""
    if re.fullmatch(r"/api/v3/returns/\d+", environ["PATH_INFO"]) and status.startswith("200"):
        data = json.loads(body)
        data.pop("created_at", None)
        return status, json.dumps(data).encode()
    return status, body


SABOTAGE: dict[str, tuple[Callable[..., tuple[str, bytes]], str]] = {
    "openapi_conformance": (not_found_is_a_crash, "Server error"),
    "retrieve_known_return": (created_at_dropped, "created_at"),
    "returns_lifecycle": (second_cancel_accepted, "a second time"),
    "token_rules": (tokens_not_checked, "service points with the access token: expected 403, got 200"),
    "pagination_invariants": (cursor_ignored, "repeat"),
    "create_bodies_round_trip": (errors_unnamed, "does not name"),
    "portal_flow": (label_not_pdf, "not a PDF"),
    "returns_state_machine": (cancel_forgotten, "is_cancellable: expected False, got True"),
}


@pytest.mark.parametrize("name", sorted(SABOTAGE))
def test_contract_fails_against_its_sabotage(name: str, tmp_path: Path) -> None:
    """The contract fails, and says why, when the fake breaks the rule it checks."""
    sabotage, reason = SABOTAGE[name]
    app = create_app(Settings(db=str(tmp_path / "sabotaged.sqlite3")))
    transport = WsgiTransport(rewriting(app, sabotage), KEY, SECRET)
    ctx = Context(transport, fake_identifiers(transport), max_examples=10, allow_writes=True, seed=7)
    result = run_one(BY_NAME[name], ctx)
    assert result.status == FAILED, result
    assert reason in result.detail
    assert SECRET not in result.detail


def test_the_same_contracts_hold_without_sabotage(tmp_path: Path) -> None:
    """Without the rewriting the same contracts pass, so each failure above is the sabotage's doing."""
    app = create_app(Settings(db=str(tmp_path / "fine.sqlite3")))
    transport = WsgiTransport(rewriting(app, lambda environ, status, body: (status, body)), KEY, SECRET)
    ctx = Context(transport, fake_identifiers(transport), max_examples=5, allow_writes=True, seed=7)
    for name in sorted(SABOTAGE):
        assert run_one(BY_NAME[name], ctx).status == "passed", name


def test_every_contract_has_a_sabotage() -> None:
    """A contract without a sabotage could pass against anything: each one needs its own here."""
    assert sorted(SABOTAGE) == sorted(BY_NAME)
