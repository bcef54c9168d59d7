"""Cross-origin rules: public portal and service point endpoints answer any origin; the rest do not."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import LIST_URL

BRAND = "stroopwafel-co"
PORTAL = f"/api/v2/brand/{BRAND}/return-portal"
SHOP = "http://shop.example:3000"
TRACKING, POSTAL = "3SSCRT10493821", "3511 AZ"


def preflight(client, path: str, method: str = "GET", headers: str = "authorization"):
    return client.options(path, headers={"Origin": SHOP, "Access-Control-Request-Method": method,
                                         "Access-Control-Request-Headers": headers})


def looked_up(client) -> dict[str, Any]:
    response = client.get(f"{PORTAL}/outgoing", query_string={"postal_code": POSTAL, "identifier": TRACKING},
                          headers={"Origin": SHOP})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    return response.json


@pytest.mark.parametrize("path, method", [
    (PORTAL, "GET"),
    (f"{PORTAL}/outgoing", "GET"),
    (f"{PORTAL}/incoming", "POST"),
    (f"{PORTAL}/label/polling", "GET"),
    (f"{PORTAL}/label/download", "GET"),
    ("/api/v2/service-points/", "GET"),
    ("/api/v2/service-points/1", "GET"),
])
def test_public_preflight_names_methods_and_headers(client, path: str, method: str) -> None:
    """A preflight on a public endpoint is answered 204 with its methods, the headers it reads, any origin."""
    response = preflight(client, path, method, "authorization,content-type")
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    methods = [m.strip() for m in response.headers["Access-Control-Allow-Methods"].split(",")]
    assert method in methods and "OPTIONS" in methods
    allowed = {h.strip().lower() for h in response.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type"} <= allowed
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert int(response.headers["Access-Control-Max-Age"]) > 0


def test_preflight_names_only_the_methods_a_path_has(client) -> None:
    """The create endpoint allows POST, not GET; the settings endpoint GET, not POST."""
    create = preflight(client, f"{PORTAL}/incoming", "POST").headers["Access-Control-Allow-Methods"]
    settings = preflight(client, PORTAL).headers["Access-Control-Allow-Methods"]
    assert "POST" in create and "GET" not in create
    assert "GET" in settings and "POST" not in settings


def test_preflight_to_a_missing_public_path_is_404(client) -> None:
    """A preflight for a path that does not exist is not approved."""
    response = preflight(client, "/api/v2/brand/stroopwafel-co/return-portal/nothing-here")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_flow_answers_carry_cors_headers(client) -> None:
    """Lookup, create, polling and download (and service points) all answer any origin, exposing the label name."""
    found = looked_up(client)
    body = {
        "reason": 26, "outgoing_parcel": found["parcel"]["id"], "service_point": {"id": found["service_point"]["id"]},
        "refund": {"refund_type": {"code": "money"}}, "delivery_option": "drop_off_point",
        "products": [{"product_id": "SW-HONEY-12", "quantity": 1, "description": "Stroopwafels honey",
                      "value": 9.95, "return_reason": 26}],
        "incoming_parcel": {"collo_count": 1, "from_name": "Sanne de Vries", "from_address_1": "Oudegracht",
                            "from_house_number": "158", "from_city": "Utrecht", "from_postal_code": "3511 AZ",
                            "from_country": "NL", "from_email": "sanne.devries@example.nl"},
        "selected_functionalities": {"first_mile": "dropoff"},
    }
    created = client.post(f"{PORTAL}/incoming", json=body, headers={
        "Origin": SHOP, "Authorization": f"Bearer {found['access_token']}"})
    assert created.status_code == 201, created.json
    assert created.headers["Access-Control-Allow-Origin"] == "*"
    client.post("/__admin/clock/advance", json={"seconds": 60})
    polled = client.get(created.json["poller_url"], headers={"Origin": SHOP})
    assert polled.status_code == 200 and polled.headers["Access-Control-Allow-Origin"] == "*"
    label = client.get(polled.json["download_url"], headers={"Origin": SHOP})
    assert label.status_code == 200 and label.mimetype == "application/pdf"
    assert label.headers["Access-Control-Allow-Origin"] == "*"
    assert "Content-Disposition" in label.headers["Access-Control-Expose-Headers"]
    points = client.get("/api/v2/service-points/", query_string={
        "access_token": found["service_points_token"], "country": "NL", "latitude": "52.09", "longitude": "5.12",
        "radius": 5000}, headers={"Origin": SHOP})
    assert points.status_code == 200 and points.headers["Access-Control-Allow-Origin"] == "*"


def test_errors_and_injected_faults_carry_cors_headers(client) -> None:
    """A page can read the portal's errors too: a 401, a 400 and a fault rule's 429 with Retry-After."""
    unauthorised = client.post(f"{PORTAL}/incoming", json={}, headers={"Origin": SHOP})
    assert unauthorised.status_code == 401
    assert unauthorised.headers["Access-Control-Allow-Origin"] == "*"
    wrong = client.get(f"{PORTAL}/outgoing", query_string={"postal_code": "9999 ZZ", "identifier": TRACKING},
                       headers={"Origin": SHOP})
    assert wrong.status_code == 400 and wrong.headers["Access-Control-Allow-Origin"] == "*"
    rule = client.post("/__admin/faults", json={"method": "GET", "path": "/api/v2/brand/*", "status": 429})
    assert rule.status_code == 201, rule.json
    limited = client.get(PORTAL, headers={"Origin": SHOP})
    assert limited.status_code == 429
    assert limited.headers["Access-Control-Allow-Origin"] == "*"
    assert "Retry-After" in limited.headers["Access-Control-Expose-Headers"]


def test_preflight_is_not_hit_by_fault_rules(client) -> None:
    """A fault rule for every method breaks the call itself, not the browser's preflight before it."""
    assert client.post("/__admin/faults", json={"path": "/api/v2/brand/*", "status": 503}).status_code == 201
    assert preflight(client, f"{PORTAL}/incoming", "POST").status_code == 204


@pytest.mark.parametrize("path", [LIST_URL, "/api/v3/returns/1", "/api/v2/returns",
                                  "/api/v3/parcels/1/documents/label"])
def test_basic_auth_apis_refuse_browsers(client, auth, path: str) -> None:
    """The Basic-auth APIs are server-to-server: no CORS headers, and a preflight is refused with a reason."""
    response = preflight(client, path)
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "API secret" in response.get_data(as_text=True)
    direct = client.get(path, headers={**auth, "Origin": SHOP})
    assert "Access-Control-Allow-Origin" not in direct.headers


def test_admin_api_refuses_other_origins(client) -> None:
    """No admin answer is readable by, or acts for, a page on another origin (a form post included)."""
    for origin in (SHOP, "null", "http://localhost.evil:80"):
        response = client.post("/__admin/reset", data="{}", content_type="text/plain", headers={"Origin": origin})
        assert response.status_code == 403
        assert response.json["error"]["code"] == "forbidden"
        assert "Access-Control-Allow-Origin" not in response.headers
    assert preflight(client, "/__admin/requests").status_code == 403
    assert client.get("/__admin/health", headers={"Origin": SHOP}).status_code == 403


def test_admin_api_answers_its_own_origin_and_non_browsers(client) -> None:
    """The fake's own pages (same origin) and clients that send no Origin keep using the admin API."""
    assert client.get("/__admin/health").status_code == 200
    own = client.post("/__admin/clock/advance", json={"seconds": 1}, headers={"Origin": "http://localhost"})
    assert own.status_code == 200
    assert "Access-Control-Allow-Origin" not in own.headers


def test_same_origin_calls_are_unchanged(client) -> None:
    """Without an Origin header the public answers still carry the header; nothing else changes."""
    response = client.get(PORTAL)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
