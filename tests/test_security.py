"""Authentication comes from each operation's documented `security` (and `x-token-purpose`) in openapi.json."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import basic
from test_portal import PORTAL, lookup

from mock_server import Settings, create_app
from mock_server.config import resource_dir
from mock_server.security import api_credentials, guard_for
from mock_server.spec import ApiSpec

SPEC = ApiSpec(resource_dir("schemas"))


def test_every_documented_operation_gets_the_guard_its_security_names() -> None:
    """Basic/OAuth2 operations check the account; portal and service point operations a token of their purpose;
    operations documenting no security (admin, media, payments, the token endpoint) none here."""
    for op in SPEC.operations.values():
        guard = guard_for(op)
        schemes = {name for requirement in op.security for name in requirement}
        if not schemes:
            assert guard is None, op.operation_id
        elif schemes == {"basicAuth", "oauth2"}:
            assert guard is api_credentials, op.operation_id
        else:
            assert guard is not None and op.token_purpose, op.operation_id
    purposes = {op.operation_id: op.token_purpose for op in SPEC.operations.values() if op.token_purpose}
    assert purposes["portal_incoming"] == "access" and purposes["portal_polling"] == "poller"
    assert purposes["portal_download"] == "label" and purposes["service_points_search"] == "service_points"


def _schemas_with(tmp_path: Path, change: Any) -> Path:
    folder = tmp_path / "schemas"
    shutil.copytree(resource_dir("schemas"), folder)
    document = json.loads((folder / "openapi.json").read_text())
    for item in document["paths"].values():
        for op in item.values():
            if isinstance(op, dict) and "operationId" in op:
                change(op)
    (folder / "openapi.json").write_text(json.dumps(document))
    return folder


def test_the_token_purpose_is_read_from_the_document(tmp_path: Path) -> None:
    """Documenting that polling takes the access token makes the fake take it there (and refuse the poller's)."""
    def polling_takes_access_tokens(op: dict[str, Any]) -> None:
        if op["operationId"] == "portal_polling":
            op["x-token-purpose"] = "access"

    app = create_app(Settings(db=str(tmp_path / "store.sqlite3"), schemas=str(_schemas_with(tmp_path,
                                                                                       polling_takes_access_tokens))))
    client = app.test_client()
    found = lookup(client).json
    with_access = client.get(f"{PORTAL}/label/polling", query_string={"token": found["access_token"]})
    assert with_access.status_code != 403 and with_access.status_code != 401, with_access.json
    with_points = client.get(f"{PORTAL}/label/polling", query_string={"token": found["service_points_token"]})
    assert with_points.status_code == 403


def test_an_operation_whose_security_has_no_guard_stops_the_start(tmp_path: Path) -> None:
    """A scheme combination the fake cannot check is an error at start, never an open endpoint."""
    def public_key_only(op: dict[str, Any]) -> None:
        if op["operationId"] == "returns_v2_list":
            op["security"] = [{"publicKey": []}]

    with pytest.raises(ValueError, match="returns_v2_list"):
        create_app(Settings(db=str(tmp_path / "store.sqlite3"), schemas=str(_schemas_with(tmp_path, public_key_only))))


def test_a_bearer_operation_without_its_purpose_stops_the_start(tmp_path: Path) -> None:
    def no_purpose(op: dict[str, Any]) -> None:
        op.pop("x-token-purpose", None)

    with pytest.raises(ValueError, match="x-token-purpose"):
        create_app(Settings(db=str(tmp_path / "store.sqlite3"), schemas=str(_schemas_with(tmp_path, no_purpose))))


def test_basic_operations_still_refuse_missing_credentials(client: Any) -> None:
    assert client.get("/api/v2/returns").status_code == 401
    assert client.get("/api/v2/returns", headers=basic("test_api_key_stroopwafel", "test_api_secret_stroopwafel")
                      ).status_code == 200
