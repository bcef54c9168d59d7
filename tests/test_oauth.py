"""OAuth2 client credentials: POST /oauth2/token/ and its Bearer tokens wherever Basic is accepted."""

from __future__ import annotations

import base64
import json
from urllib.parse import urlsplit

import pytest
import yaml
from conftest import (
    DEFAULT_KEY,
    DEFAULT_SECRET,
    LIST_URL,
    OTHER_KEY,
    OTHER_SECRET,
    UPSTREAM,
    basic,
)
from jsonschema import Draft202012Validator

TOKEN_URL = "/oauth2/token/"
FORM = {"grant_type": "client_credentials", "client_id": DEFAULT_KEY, "client_secret": DEFAULT_SECRET}


def get_token(client, **form) -> str:
    answer = client.post(TOKEN_URL, data={**FORM, **form})
    assert answer.status_code == 200, answer.json
    return answer.json["access_token"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_form_fields_answer_a_bearer_token(client) -> None:
    """Key and secret as client_id/client_secret in the form answer RFC 6749 §5.1's body, never cached."""
    answer = client.post(TOKEN_URL, data=FORM)
    assert answer.status_code == 200
    body = answer.json
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert body["token_type"] == "Bearer" and body["scope"] == "api" and body["expires_in"] == 3600
    assert isinstance(body["access_token"], str) and len(body["access_token"]) >= 32
    assert answer.headers["Cache-Control"] == "no-store" and answer.headers["Pragma"] == "no-cache"
    assert DEFAULT_SECRET not in body["access_token"]


@pytest.mark.parametrize("url", ["/oauth2/token/", "/oauth2/token"])
def test_basic_client_authentication_with_and_without_slash(client, url) -> None:
    """The client may authenticate with HTTP Basic instead; the path answers with and without its slash."""
    answer = client.post(url, data={"grant_type": "client_credentials", "scope": "api"},
                         headers=basic(DEFAULT_KEY, DEFAULT_SECRET))
    assert answer.status_code == 200 and answer.json["token_type"] == "Bearer"


def test_form_encoded_basic_credentials_and_json_bodies(client) -> None:
    """Basic credentials form-encoded as RFC 6749 §2.3.1 says, and a JSON body, are accepted too."""
    encoded = base64.b64encode(f"{DEFAULT_KEY}:{DEFAULT_SECRET}".replace("_", "%5F").encode()).decode()
    answer = client.post(TOKEN_URL, data={"grant_type": "client_credentials"},
                         headers={"Authorization": f"Basic {encoded}"})
    assert answer.status_code == 200
    assert client.post(TOKEN_URL, json=FORM).status_code == 200


def test_each_token_is_new_and_each_account_its_own(client, create_return) -> None:
    """Two requests give two tokens; a token stands for its own account only."""
    assert get_token(client) != get_token(client)
    created = create_return(headers=bearer(get_token(client)))["return_id"]
    other = bearer(get_token(client, client_id=OTHER_KEY, client_secret=OTHER_SECRET))
    assert client.get(f"/api/v3/returns/{created}", headers=other).status_code == 404
    assert created not in {r["id"] for r in client.get(LIST_URL, headers=other).json["data"]}


def test_the_token_works_wherever_basic_does(client, create_return, advance) -> None:
    """v3 create, list and retrieve, the label document, v2 list and retrieve, service points."""
    headers = bearer(get_token(client))
    created = create_return(headers=headers)
    assert client.get(LIST_URL, headers=headers).status_code == 200
    assert client.get(f"/api/v3/returns/{created['return_id']}", headers=headers).status_code == 200
    advance(15)
    label = client.get(f"/api/v3/parcels/{created['parcel_id']}/documents/label", headers=headers)
    assert label.status_code == 200 and label.data.startswith(b"%PDF")
    assert client.get("/api/v2/returns", headers=headers).status_code == 200
    assert client.get(f"/api/v2/returns/{created['return_id']}", headers=headers).json["id"] == created["return_id"]
    points = client.get("/api/v2/service-points/", query_string={"country": "NL", "city": "Utrecht"}, headers=headers)
    assert points.status_code == 200 and points.json
    assert client.get("/api/v2/carriers", headers=headers).status_code == 200


def test_the_token_expires_on_the_server_clock(client, advance) -> None:
    """After expires_in seconds of server time the token is refused, in each API's own error format."""
    token = get_token(client)
    advance(3599)
    assert client.get(LIST_URL, headers=bearer(token)).status_code == 200
    advance(1)
    v3 = client.get(LIST_URL, headers=bearer(token))
    assert v3.status_code == 401 and v3.json["errors"][0]["detail"] == "The access token has expired."
    assert 'error="invalid_token"' in v3.headers["WWW-Authenticate"]
    v2 = client.get("/api/v2/returns", headers=bearer(token))
    assert v2.status_code == 401 and "expired" in v2.json["error"]["message"]
    points = client.get("/api/v2/service-points/", query_string={"country": "NL"}, headers=bearer(token))
    assert points.status_code == 401
    assert client.get(LIST_URL, headers=bearer(get_token(client))).status_code == 200


def test_unknown_tokens_and_tokens_from_before_a_reset_are_refused(client) -> None:
    """A made-up Bearer token is 401; a reset refuses every token issued before it."""
    assert client.get(LIST_URL, headers=bearer("scm_at_made-up")).status_code == 401
    token = get_token(client)
    assert client.post("/__admin/reset", json={}).status_code == 200
    refused = client.get(LIST_URL, headers=bearer(token))
    assert refused.status_code == 401 and "reset" in refused.json["errors"][0]["detail"]


def test_a_portal_jwt_is_no_api_token(client) -> None:
    """The portal's JWTs open the portal and service points, never the Returns APIs."""
    from test_portal import lookup

    found = lookup(client).json
    assert client.get(LIST_URL, headers=bearer(found["access_token"])).status_code == 401
    assert client.get(LIST_URL, headers=bearer(found["service_points_token"])).status_code == 401


@pytest.mark.parametrize(("form", "headers", "status", "error"), [
    ({**FORM, "client_secret": "wrong"}, {}, 401, "invalid_client"),
    ({**FORM, "client_id": "nobody"}, {}, 401, "invalid_client"),
    ({"grant_type": "client_credentials"}, {}, 401, "invalid_client"),
    ({"grant_type": "client_credentials"}, basic(DEFAULT_KEY, "wrong"), 401, "invalid_client"),
    ({"grant_type": "client_credentials"}, {"Authorization": "Bearer abc"}, 401, "invalid_client"),
    ({**FORM, "grant_type": "password"}, {}, 400, "unsupported_grant_type"),
    ({**FORM, "grant_type": "authorization_code"}, {}, 400, "unsupported_grant_type"),
    ({k: v for k, v in FORM.items() if k != "grant_type"}, {}, 400, "invalid_request"),
    ({**FORM, "scope": "admin"}, {}, 400, "invalid_scope"),
    ({**FORM, "scope": "api write"}, {}, 400, "invalid_scope"),
    ({"grant_type": "client_credentials", "client_id": OTHER_KEY}, basic(DEFAULT_KEY, DEFAULT_SECRET), 400,
     "invalid_request"),
])
def test_bad_grants_answer_the_oauth2_error_format(client, form, headers, status, error) -> None:
    """Refusals are RFC 6749 §5.2 bodies with the right status; a Basic attempt gets its challenge."""
    answer = client.post(TOKEN_URL, data=form, headers=headers)
    assert answer.status_code == status
    assert answer.json["error"] == error and isinstance(answer.json["error_description"], str)
    assert set(answer.json) == {"error", "error_description"}
    if status == 401 and headers.get("Authorization", "").startswith("Basic"):
        assert answer.headers["WWW-Authenticate"].startswith("Basic")


def test_repeated_parameters_and_unreadable_bodies_are_invalid_requests(client) -> None:
    """A parameter given twice, broken JSON and a body of another type answer invalid_request."""
    twice = client.post(TOKEN_URL, data="grant_type=client_credentials&grant_type=password&client_id="
                        f"{DEFAULT_KEY}&client_secret={DEFAULT_SECRET}",
                        content_type="application/x-www-form-urlencoded")
    assert twice.status_code == 400 and twice.json["error"] == "invalid_request"
    broken = client.post(TOKEN_URL, data="{", content_type="application/json")
    assert broken.status_code == 400 and broken.json["error"] == "invalid_request"
    text = client.post(TOKEN_URL, data="grant_type=client_credentials", content_type="text/plain")
    assert text.status_code == 400 and text.json["error"] == "invalid_request"


def test_the_served_openapi_documents_oauth2(client) -> None:
    """/openapi.json has the token operation and an oauth2 scheme on every Basic-authenticated operation."""
    doc = client.get("/openapi.json").json
    scheme = doc["components"]["securitySchemes"]["oauth2"]
    assert scheme["flows"]["clientCredentials"] == {"tokenUrl": "/oauth2/token/", "scopes": {"api": "Full API access"}}
    token_op = doc["paths"]["/oauth2/token"]["post"]
    assert "application/x-www-form-urlencoded" in token_op["requestBody"]["content"]
    assert {"200", "400", "401"} <= set(token_op["responses"])
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and {"basicAuth": []} in op.get("security", []):
                assert {"oauth2": ["api"]} in op["security"], (method, path)


def test_the_flow_matches_the_upstream_specs(client) -> None:
    """Our oauth2 scheme has the upstream specs' token path and scopes, and the token answer its strict schema."""
    ours = client.get("/openapi.json").json["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]
    for name in ("sendcloud-v3-returns-openapi.yml", "sendcloud-v2-openapi-merged.json"):
        text = (UPSTREAM / name).read_text(encoding="utf-8")
        document = json.loads(text) if name.endswith(".json") else yaml.safe_load(text)
        flows = [scheme["flows"]["clientCredentials"]
                 for scheme in document["components"]["securitySchemes"].values()
                 if scheme.get("type") == "oauth2" and "clientCredentials" in scheme.get("flows", {})]
        assert flows, name
        assert urlsplit(flows[0]["tokenUrl"]).path.rstrip("/") == ours["tokenUrl"].rstrip("/")
        assert set(flows[0]["scopes"]) == set(ours["scopes"]) == {"api"}
    schema = client.get("/openapi.json").json["components"]["schemas"]["oauth.token"]
    Draft202012Validator(schema).validate(client.post(TOKEN_URL, data=FORM).json)
