"""Each API answers errors in its own documented format: Returns v2 and Service points with
`error.code` as the HTTP status integer, the Return portal (and announce-synchronously, and the
admin API) with string codes, the v3 APIs with JSON:API error objects."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import basic
from jsonschema import Draft202012Validator
from test_portal import PORTAL, lookup

V2_ERROR = {
    "type": "object", "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message", "request"],
                             "properties": {"code": {"type": "integer"}, "message": {"type": "string"},
                                            "request": {"type": "string"}}}},
}


def assert_v2(response: Any, status: int) -> dict[str, Any]:
    """A Returns v2 / Service points error: integer code equal to the status, the request path."""
    assert response.status_code == status, response.json
    Draft202012Validator(V2_ERROR).validate(response.json)
    error = response.json["error"]
    assert error["code"] == status and not isinstance(error["code"], bool)
    return error


@pytest.mark.parametrize(("path", "status"), [
    ("/api/v2/returns/12345", 404),
    ("/api/v2/returns?cursor=%25%25%25", 400),
])
def test_returns_v2_error_code_is_the_http_status(client, auth, path, status) -> None:
    """Returns v2 answers {"error": {"code": <status>, "message", "request"}} for 404 and 400."""
    error = assert_v2(client.get(path, headers=auth), status)
    assert error["request"] == path.split("?")[0].lstrip("/")


def test_returns_v2_unauthorised_is_401_integer(client) -> None:
    """Wrong credentials on Returns v2: code 401 as an integer."""
    error = assert_v2(client.get("/api/v2/returns", headers=basic("nobody", "nothing")), 401)
    assert error["message"]


def test_returns_v2_bad_cursor_names_the_parameter(client, auth) -> None:
    """The v2 400 message still names the field, now beside the integer code."""
    error = assert_v2(client.get("/api/v2/returns?cursor=%25%25%25", headers=auth), 400)
    assert "cursor" in error["message"]


def test_service_points_errors_use_integer_codes(client) -> None:
    """Service points answers 401 without a token, 400 for a bad parameter and 404 for an unknown point."""
    assert_v2(client.get("/api/v2/service-points/", query_string={"country": "NL"}), 401)
    token = lookup(client).json["service_points_token"]
    bad = assert_v2(client.get("/api/v2/service-points/",
                               query_string={"access_token": token, "country": "NL", "latitude": "north",
                                             "longitude": "5.1"}), 400)
    assert "latitude" in bad["message"]
    assert_v2(client.get("/api/v2/service-points/999999999", query_string={"access_token": token}), 404)


def test_unknown_v2_paths_answer_integer_codes(client, auth) -> None:
    """A path no operation serves, outside the portal, answers a v2 404 with code 404."""
    assert_v2(client.get("/api/v2/nothing", headers=auth), 404)


def test_wrong_method_on_v2_returns_is_405_integer(client, auth) -> None:
    """A method Returns v2 does not serve answers 405 with code 405 and an Allow header."""
    response = client.delete("/api/v2/returns/1", headers=auth)
    assert_v2(response, 405)
    assert "GET" in response.headers["Allow"]


def test_injected_fault_on_v2_uses_integer_code(client, auth) -> None:
    """A fault rule's generated body on a Returns v2 path follows the v2 format too."""
    rule = client.post("/__admin/faults", json={"path": "/api/v2/returns", "status": 503})
    assert rule.status_code == 201, rule.json
    assert_v2(client.get("/api/v2/returns", headers=auth), 503)


def test_portal_keeps_string_codes(client) -> None:
    """The Return portal still answers its documented string codes (invalid_postal_code)."""
    wrong = lookup(client, postal_code="9999 ZZ")
    assert wrong.status_code in (400, 404)
    assert isinstance(wrong.json["error"]["code"], str)
    missing = client.get("/api/v2/brand/no-such-brand/return-portal")
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"
    unknown = client.get(PORTAL + "/nothing-here")
    assert unknown.status_code == 404 and unknown.json["error"]["code"] == "not_found"


def test_announce_synchronously_keeps_string_codes(client, auth, return_body) -> None:
    """announce-synchronously's 400 is the documented v2 shape with a string code."""
    response = client.post("/api/v3/returns/announce-synchronously", json=return_body(weight=None), headers=auth)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "required" and "weight" in response.json["error"]["message"]


def test_admin_keeps_string_codes(client) -> None:
    """The fake's own admin API keeps its string codes."""
    assert client.post("/__admin/clock/advance", json={}).json["error"]["code"] == "required"


def test_served_document_types_the_codes(client) -> None:
    """The served OpenAPI document says integer for v2 and service points, string for the portal."""
    doc = client.get("/openapi.json").json
    schemas = doc["components"]["schemas"]
    assert schemas["errors.v2-error"]["properties"]["error"]["properties"]["code"]["type"] == "integer"
    assert schemas["errors.portal-error"]["properties"]["error"]["properties"]["code"]["type"] == "string"

    def code_type(path: str, method: str, status: str) -> str:
        ref = doc["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]["$ref"]
        schema = schemas[ref.rsplit("/", 1)[1]]
        return schema["properties"]["error"]["properties"]["code"]["type"]

    assert code_type("/api/v2/returns/{id}", "get", "404") == "integer"
    assert code_type("/api/v2/service-points", "get", "400") == "integer"
    assert code_type("/api/v2/brand/{brand_domain}/return-portal/outgoing", "get", "400") == "string"


def _style(body: dict) -> str:
    if "errors" in body:
        return "v3"
    return "v2" if isinstance(body["error"]["code"], int) else "portal"


@pytest.mark.parametrize(("method", "path", "style"), [
    ("GET", "/api/v3/nothing-here", "v3"),
    ("GET", "/api/v3/returns/not-a-number", "v3"),
    ("GET", "/api/v3/returns/announce-synchronously", "v3"),  # a wrong method: 405
    ("GET", "/api/v2/nothing-here", "v2"),
    ("POST", "/api/v2/returns", "v2"),
    ("GET", "/api/v2/service-points/1/nothing-here", "v2"),
    ("GET", "/api/v2/brand/stroopwafel-co/return-portal/nothing-here", "portal"),
    ("GET", "/api/v2/brand/", "portal"),
    ("GET", "/__admin/nothing-here", "portal"),
    ("GET", "/media/nothing-here", "portal"),
    ("GET", "/payments/nothing-here", "portal"),
    ("GET", "/oauth2/nothing-here", "v2"),
    ("GET", "/nothing-here", "v2"),
])
def test_unmatched_paths_answer_in_their_neighbours_style(client, method, path, style) -> None:
    """Where no documented operation answers (404, 405), the documented operations nearest the path decide."""
    response = client.open(path, method=method)
    assert response.status_code in (404, 405), response.status_code
    assert _style(response.json) == style, response.json
