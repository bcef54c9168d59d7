"""Every path answers with and without its trailing slash, as Django-based production does,
with no redirect (a redirected POST would come back as a GET)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Blueprint, Flask
from test_portal import PORTAL, bearer, lookup, portal_body
from werkzeug.routing import RequestRedirect

SAMPLE_ARGS = {"int": "1", "default": "x", "path": "x/y", "float": "1.5"}


def _sample(rule: Any) -> str:
    """A concrete path for a rule: each variable replaced by a value its converter accepts."""
    path = rule.rule
    for name, converter in rule._converters.items():
        kind = {"IntegerConverter": "int", "PathConverter": "path", "FloatConverter": "float"}.get(
            type(converter).__name__, "default")
        for spelled in (f"<{name}>", f"<int:{name}>", f"<path:{name}>", f"<float:{name}>", f"<string:{name}>"):
            path = path.replace(spelled, SAMPLE_ARGS[kind])
    return path


def _both_spellings(path: str) -> tuple[str, str]:
    bare = path.rstrip("/") or "/"
    return bare, bare + "/"


def test_every_rule_matches_both_spellings_without_redirect(app: Flask) -> None:
    """Each rule of the app (whoever added it) routes both spellings, for each method, to its endpoint."""
    adapter = app.url_map.bind("localhost")
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            for path in _both_spellings(_sample(rule)):
                if path == "/":
                    continue
                try:
                    endpoint, _ = adapter.match(path, method)
                except RequestRedirect as redirect:  # pragma: no cover - the failure being guarded
                    pytest.fail(f"{method} {path} redirects to {redirect.new_url}")
                assert endpoint == rule.endpoint or path.rstrip("/") != rule.rule.rstrip("/"), (method, path)
                checked += 1
    assert checked >= 60


def test_a_route_added_later_answers_both_spellings(app: Flask) -> None:
    """A blueprint registered after the app is built gets the same behaviour, with no work of its own."""
    late = Blueprint("late_addition", __name__, url_prefix="/api/v2/late")

    @late.post("/things")
    def things() -> tuple[dict[str, str], int]:
        return {"made": "yes"}, 201

    app.register_blueprint(late)
    client = app.test_client()
    assert client.post("/api/v2/late/things", json={}).status_code == 201
    assert client.post("/api/v2/late/things/", json={}).status_code == 201


@pytest.mark.parametrize("suffix", ["", "/"])
def test_v3_create_validate_and_cancel_with_a_slash(client, auth, return_body, suffix) -> None:
    """POST /api/v3/returns/ creates (no redirect to a GET); validate/ validates; cancel/ cancels."""
    created = client.post("/api/v3/returns" + suffix, json=return_body(), headers=auth)
    assert created.status_code == 201, created.json
    rid = created.json["return_id"]
    assert client.post("/api/v3/returns/validate" + suffix, json=return_body(), headers=auth).status_code == 200
    announced = client.post("/api/v3/returns/announce-synchronously" + suffix, json=return_body(), headers=auth)
    assert announced.status_code == 201, announced.json
    assert client.get(f"/api/v3/returns/{rid}" + suffix, headers=auth).json["id"] == rid
    assert client.get("/api/v3/returns" + suffix + "?from_date=2000-01-01 00:00:00&to_date=2100-01-01 00:00:00",
                      headers=auth).status_code == 200
    assert client.patch(f"/api/v3/returns/{rid}/cancel" + suffix, headers=auth).status_code == 202
    assert client.get(f"/api/v2/returns/{rid}" + suffix, headers=auth).status_code == 200


@pytest.mark.parametrize("suffix", ["", "/"])
def test_portal_flow_with_a_slash(client, suffix) -> None:
    """Settings, outgoing, incoming (a POST), polling and service points all answer with a trailing slash."""
    assert client.get(PORTAL + suffix).status_code == 200
    found = client.get(PORTAL + "/outgoing" + suffix,
                       query_string={"postal_code": "3511 AZ", "identifier": "3SSCRT10493821"})
    assert found.status_code == 200, found.json
    created = client.post(PORTAL + "/incoming" + suffix, json=portal_body(found.json),
                          headers=bearer(found.json["access_token"]))
    assert created.status_code == 201, created.json
    token = created.json["poller_url"].split("token=")[1]
    assert client.get(PORTAL + "/label/polling" + suffix, query_string={"token": token}).status_code in (200, 202)
    points = client.get("/api/v2/service-points" + suffix,
                        query_string={"access_token": lookup(client).json["service_points_token"], "country": "NL",
                                      "city": "Utrecht"})
    assert points.status_code == 200


def test_admin_and_document_paths_with_a_slash(client) -> None:
    """The admin API and the served document answer with a trailing slash too."""
    assert client.get("/__admin/health/").status_code == 200
    assert client.post("/__admin/clock/advance/", json={"seconds": 1}).status_code == 200
    assert client.get("/openapi.json/").status_code == 200


def test_fault_rule_matches_both_spellings(client, auth) -> None:
    """A fault rule written without the slash also hits a client that sends it."""
    assert client.post("/__admin/faults", json={"path": "/api/v3/returns", "method": "POST", "status": 503,
                                                "times": 2}).status_code == 201
    assert client.post("/api/v3/returns/", json={}, headers=auth).status_code == 503
    assert client.post("/api/v3/returns", json={}, headers=auth).status_code == 503
