"""Every JWT attack on the return portal is refused with a JSON error (401 or 403)."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from test_portal import BRAND, PORTAL, bearer, lookup, portal_body

from mock_server import Settings, create_app

SECRET = "test-signing-key-0123456789abcdef"


@pytest.fixture
def app(tmp_path):
    app = create_app(Settings(db=str(tmp_path / "db"), jwt_secret=SECRET, validate_responses=True))
    app.testing = True
    return app


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def forge(token: str, key: str = SECRET, algorithm: str = "HS256", **changes: Any) -> str:
    claims = {**_claims(token), **changes}
    for name, value in list(claims.items()):
        if value is None:
            del claims[name]
    return jwt.encode(claims, key, algorithm=algorithm)


def alg_none(token: str) -> str:
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims(token))}."


def tampered(token: str) -> str:
    header, _, signature = token.split(".")
    return f"{header}.{_b64({**_claims(token), 'sub': '250000102'})}.{signature}"


def rs_confused(token: str) -> str:
    _header, payload, signature = token.split(".")
    return f"{_b64({'alg': 'RS256', 'typ': 'JWT'})}.{payload}.{signature}"


ATTACKS: dict[str, tuple[Callable[[str], str | None], int]] = {
    "missing": (lambda t: None, 401),
    "garbage": (lambda t: "not.a.jwt", 401),
    "alg none": (alg_none, 401),
    "tampered payload": (tampered, 401),
    "wrong key": (lambda t: forge(t, key="another-key-0123456789abcdef0123"), 401),
    "HS/RS confusion": (rs_confused, 401),
    "expired": (lambda t: forge(t, exp=int(time.time()) - 10), 401),
    "not yet valid": (lambda t: forge(t, nbf=int(time.time()) + 3600), 401),
    "missing purpose claim": (lambda t: forge(t, purpose=None), 401),
    "missing expiry claim": (lambda t: forge(t, exp=None), 401),
    "another issuer": (lambda t: forge(t, iss="panel.sendcloud.sc"), 401),
    "another brand": (lambda t: forge(t, brand="boulangerie-lumiere"), 403),
    "another purpose": (lambda t: forge(t, purpose="service_points"), 403),
}


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_create_refuses_attacked_access_token(client, attack) -> None:
    """POST /incoming with an attacked access token answers the attack's status in the v2 error format."""
    found = lookup(client).json
    transform, status = ATTACKS[attack]
    token = transform(found["access_token"])
    headers = bearer(token) if token else {}
    response = client.post(f"{PORTAL}/incoming", json=portal_body(found), headers=headers)
    assert response.status_code == status, response.json
    assert set(response.json["error"]) == {"code", "message", "request"}
    if status == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_poll_refuses_attacked_poller_token(client, attack) -> None:
    """The poller URL's token is checked the same way."""
    found = lookup(client).json
    created = client.post(f"{PORTAL}/incoming", json=portal_body(found), headers=bearer(found["access_token"])).json
    token = created["poller_url"].split("token=")[1]
    transform, status = ATTACKS[attack]
    changed = transform(token)
    response = client.get(f"{PORTAL}/label/polling", query_string={"token": changed} if changed else {})
    assert response.status_code == status, response.json


def test_service_points_refuse_access_token_and_accept_their_own(client) -> None:
    """An access token is no service-points token, and the reverse."""
    found = lookup(client).json
    query = {"country": "NL", "latitude": "52.09", "longitude": "5.12", "radius": 5000}
    assert client.get("/api/v2/service-points/", query_string={**query, "access_token": found["access_token"]}
                      ).status_code == 403
    assert client.get("/api/v2/service-points/", query_string={**query, "access_token": found["service_points_token"]}
                      ).status_code == 200
    assert client.get("/api/v2/service-points/", query_string=query).status_code == 401
    created = client.post(f"{PORTAL}/incoming", json=portal_body(found), headers=bearer(found["service_points_token"]))
    assert created.status_code == 403


def test_token_of_another_brand_is_403(client) -> None:
    """A valid access token of one brand's portal is refused by another brand's portal."""
    other = lookup(client, "8R00412345678", "33000", "boulangerie-lumiere").json
    mine = lookup(client).json
    response = client.post(f"{PORTAL}/incoming", json=portal_body(mine), headers=bearer(other["access_token"]))
    assert response.status_code == 403


def test_expiry_follows_the_server_clock(client) -> None:
    """Advancing the clock past the token lifetime expires it."""
    found = lookup(client).json
    client.post("/__admin/clock/advance", json={"seconds": 3601})
    response = client.post(f"{PORTAL}/incoming", json=portal_body(found), headers=bearer(found["access_token"]))
    assert response.status_code == 401 and response.json["error"]["code"] == "token_expired"


def test_poller_token_for_another_return(client) -> None:
    """A poller token presented for another return (the `return` parameter) is 403."""
    found = lookup(client).json
    first = client.post(f"{PORTAL}/incoming", json=portal_body(found), headers=bearer(found["access_token"])).json
    second = client.post(f"{PORTAL}/incoming", json=portal_body(found), headers=bearer(found["access_token"])).json
    response = client.get(first["poller_url"] + f"&return={second['return']}")
    assert response.status_code == 403
    assert client.get(first["poller_url"] + f"&return={first['return']}").status_code == 202


def test_label_and_poller_tokens_are_not_interchangeable(client) -> None:
    """The poller token does not download, and the download token does not poll."""
    found = lookup(client).json
    created = client.post(f"{PORTAL}/incoming", json=portal_body(found), headers=bearer(found["access_token"])).json
    poller_token = created["poller_url"].split("token=")[1]
    assert client.get(f"{PORTAL}/label/download", query_string={"token": poller_token}).status_code == 403
    client.post("/__admin/clock/advance", json={"seconds": 10})
    download_token = client.get(created["poller_url"]).json["download_url"].split("token=")[1]
    assert client.get(f"{PORTAL}/label/polling", query_string={"token": download_token}).status_code == 403


def test_replay_after_reset_is_refused(client) -> None:
    """Tokens issued before an admin reset are refused after it."""
    found = lookup(client).json
    client.post("/__admin/reset", json={})
    response = client.post(f"{PORTAL}/incoming", json=portal_body(found), headers=bearer(found["access_token"]))
    assert response.status_code == 401


def test_another_instance_refuses_the_token(tmp_path, client) -> None:
    """Without a configured key, each start signs with its own: another instance's token is refused."""
    token = lookup(client).json["access_token"]
    other = create_app(Settings(db=str(tmp_path / "other.sqlite3"))).test_client()
    found = lookup(other).json
    response = other.post(f"/api/v2/brand/{BRAND}/return-portal/incoming", json=portal_body(found),
                          headers=bearer(token))
    assert response.status_code == 401
