"""Bad input never gets a 500 or a traceback: each answer is JSON in Sendcloud's format."""

from __future__ import annotations

import json

import pytest


def _assert_v3_error(response, status: int) -> None:
    assert response.status_code == status, response.data[:300]
    assert response.mimetype == "application/json"
    assert response.json["errors"][0]["status"] == str(status)
    assert b"Traceback" not in response.data


@pytest.mark.parametrize("raw", [b"{", b'{"weight": ', b"[1, 2", b"\xff\xfe\x00", b"", b"nul",
                                 b'{"weight": NaN}', b'{"weight": Infinity}'])
def test_malformed_json_is_400(client, auth, raw) -> None:
    """Truncated, non-UTF-8, empty and NaN bodies answer 400 with the spec's code `invalid`, saying why."""
    response = client.post("/api/v3/returns", data=raw, headers={**auth, "Content-Type": "application/json"})
    _assert_v3_error(response, 400)
    error = response.json["errors"][0]
    assert error["code"] == "invalid" and error["field"] == "non_field_errors"
    assert error["detail"].startswith("JSON parse error") and error["message"] == error["detail"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml", None])
def test_wrong_content_type_is_415(client, auth, return_body, content_type) -> None:
    """A body that is not declared JSON answers 415 naming the Content-Type header."""
    headers = dict(auth)
    if content_type:
        headers["Content-Type"] = content_type
    response = client.post("/api/v3/returns", data=json.dumps(return_body()), headers=headers)
    _assert_v3_error(response, 415)
    assert response.json["errors"][0]["source"] == {"header": "Content-Type"}


def test_oversized_body_is_413(client, auth) -> None:
    """A 10 MB body answers 413 without being parsed."""
    body = b'{"x": "' + b"a" * (10 * 1024 * 1024) + b'"}'
    response = client.post("/api/v3/returns", data=body, headers={**auth, "Content-Type": "application/json"})
    _assert_v3_error(response, 413)


def test_deeply_nested_json_is_400(client, auth) -> None:
    """100,000 nested arrays answer 400, not a recursion crash."""
    raw = b"[" * 100_000 + b"]" * 100_000
    response = client.post("/api/v3/returns", data=raw, headers={**auth, "Content-Type": "application/json"})
    _assert_v3_error(response, 400)


def test_huge_integers_are_400(client, auth, return_body) -> None:
    """Integers beyond 64 bits answer 400 naming the field, not an SQLite overflow."""
    response = client.post("/api/v3/returns", json=return_body(brand_id=10**30), headers=auth)
    _assert_v3_error(response, 400)
    assert response.json["errors"][0]["source"] == {"pointer": "/brand_id"}


@pytest.mark.parametrize("text", ["", "\u0000", "💥" * 50, "Robert'); DROP TABLE returns;--", "../../etc/passwd",
                                  "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace"), "a" * 5000])
def test_unicode_and_sql_strings_are_stored_verbatim(client, auth, return_body, text) -> None:
    """Odd strings in a free-text field are accepted and read back unchanged (or refused as blank)."""
    response = client.post("/api/v3/returns", json=return_body(order_number=text), headers=auth)
    assert response.status_code == 201
    shown = client.get(f"/api/v3/returns/{response.json['return_id']}", headers=auth).json
    assert shown["order_number"] == text


@pytest.mark.parametrize("path", [
    "/api/v3/returns/1;DROP TABLE returns", "/api/v3/returns/..%2F..%2Fetc%2Fpasswd", "/api/v3/returns/%00",
    "/api/v3/returns/-1", "/api/v3/returns/1.5", "/api/v3/parcels/'OR'1'='1/documents/label",
    "/api/v3/returns/1/cancel/extra", "/api/v3/nothing-here",
])
def test_hostile_paths_are_json_404(client, auth, path) -> None:
    """SQL-ish, traversal and malformed ids in paths answer a JSON 404."""
    _assert_v3_error(client.get(path, headers=auth), 404)


@pytest.mark.parametrize("query", ["page_size=1%20OR%201=1", "parent_parcel_status=../../etc",
                                   "cursor=' OR 1=1 --", "page_size=99999999999999999999999", "page_size=NaN"])
def test_hostile_query_parameters_are_400(client, auth, query) -> None:
    """SQL-ish and out-of-range query values answer 400, never 500."""
    response = client.get("/api/v3/returns?from_date=2020-01-01&to_date=2100-01-01&" + query, headers=auth)
    _assert_v3_error(response, 400)


def test_wrong_method_is_json_405(client, auth) -> None:
    """A method the path does not serve answers 405 as JSON with Allow."""
    response = client.delete("/api/v3/returns/1", headers=auth)
    _assert_v3_error(response, 405)
    assert "GET" in response.headers["Allow"]


def test_v2_paths_answer_v2_format_for_unknown_routes(client) -> None:
    """Unknown paths outside v3 answer the v2 error format (code: the HTTP status)."""
    response = client.get("/api/v2/nothing")
    assert response.status_code == 404 and response.json["error"]["code"] == 404


def test_body_that_is_not_an_object_is_400(client, auth) -> None:
    """A JSON array or string where an object is expected answers 400 at the root pointer."""
    for raw in (b"[]", b'"text"', b"42", b"null"):
        response = client.post("/api/v3/returns", data=raw, headers={**auth, "Content-Type": "application/json"})
        _assert_v3_error(response, 400)
        assert response.json["errors"][0]["source"] == {"pointer": ""}
