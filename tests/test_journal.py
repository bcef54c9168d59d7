"""The request journal you can assert on: full entries, filters, counts, why of 4xx, secrets redacted."""

from __future__ import annotations

import json
import re
import time
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlparse

import requests
from conftest import DEFAULT_KEY, DEFAULT_SECRET, LIST_URL, OTHER_KEY
from test_portal import PORTAL, bearer, lookup, portal_body
from test_server import Server

from mock_server.journal import BODY_LIMIT
from mock_server.redact import mark

JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.")


def journal(client, **filters) -> list[dict]:
    response = client.get("/__admin/requests", query_string=filters)
    assert response.status_code == 200, response.json
    return response.json["requests"]


def count(client, **filters) -> int:
    response = client.get("/__admin/requests/count", query_string=filters)
    assert response.status_code == 200, response.json
    return response.json["count"]


def test_entry_holds_request_answer_and_context(client, auth, return_body) -> None:
    """An entry has the request's method, path, query, headers and body, the answer, account, operation and times."""
    client.post("/__admin/clock/advance", json={"seconds": 3600, "account": DEFAULT_KEY})
    body = return_body(external_reference="journal-1")
    created = client.post("/api/v3/returns?trace=1", json=body, headers={**auth, "X-Shop": "mine"})
    entry = journal(client)[0]
    assert entry["method"] == "POST" and entry["path"] == "/api/v3/returns" and entry["query"] == "trace=1"
    assert entry["headers"]["X-Shop"] == "mine"
    assert entry["body"] == body and entry["body_truncated"] is False
    assert entry["status"] == 201 and entry["response"] == created.json
    assert entry["account"] == DEFAULT_KEY and entry["operation"] == "returns_v3_create" and entry["why"] is None
    wall = datetime.fromisoformat(entry["at"]).timestamp()
    server = datetime.fromisoformat(entry["server_at"]).timestamp()
    assert abs(wall - time.time()) < 60 and 3500 < server - wall < 3700


def test_filters_and_count(client, auth, other_auth, return_body) -> None:
    """account, method, path (glob), operation, status and since select entries; count answers the same number."""
    client.get(LIST_URL, headers=auth)
    client.get(LIST_URL, headers=other_auth)
    midway = datetime.now(timezone.utc).isoformat()
    time.sleep(0.01)
    client.post("/api/v3/returns", json=return_body(), headers=auth)
    client.get("/api/v3/returns/1", headers=auth)
    assert count(client) == 4
    assert count(client, account=DEFAULT_KEY) == 3 and count(client, account=OTHER_KEY) == 1
    assert count(client, method="POST") == 1 and count(client, method="get") == 3
    assert count(client, path="/api/v3/returns/*") == 1 and count(client, path="/api/v3/*") == 4
    assert count(client, operation="returns_v3_list") == 2
    assert count(client, status=404) == 1 and count(client, status=200, account=DEFAULT_KEY) == 1
    assert count(client, since=midway) == 2
    assert [e["method"] for e in journal(client, since=midway)] == ["GET", "POST"]
    assert len(journal(client, account=DEFAULT_KEY, limit=2)) == 2
    refused = client.get("/__admin/requests/count?since=yesterday")
    assert refused.status_code == 400 and "since" in refused.json["error"]["message"]


def test_each_4xx_says_why(client, auth, return_body) -> None:
    """A refused request's entry names the error it answered, with the field."""
    client.post("/api/v3/returns", json=return_body(weight=None), headers=auth)
    client.get("/api/v3/returns/999", headers=auth)
    missing, bad = journal(client)[1], journal(client)[0]
    assert missing["status"] == 400 and "required" in missing["why"] and "weight" in missing["why"]
    assert bad["status"] == 404 and bad["why"].startswith("not_found")


def test_fault_rule_and_rule_name_in_entry(client, auth) -> None:
    """A request a fault rule answered names the rule."""
    client.post("/__admin/faults", json={"name": "outage", "path": "/api/v3/returns", "status": 503, "times": 1})
    client.get(LIST_URL, headers=auth)
    assert journal(client)[0]["rule"] == "outage" and journal(client)[0]["status"] == 503


def test_long_bodies_are_cut_and_marked(client, auth, return_body) -> None:
    """Bodies beyond the documented size are kept as text cut at that size, and say so."""
    body = return_body(parcel_items=[{**return_body()["parcel_items"][0], "description": "x" * 300}] * 40)
    client.post("/api/v3/returns", json=body, headers=auth)
    entry = journal(client)[0]
    assert entry["body_truncated"] is True and isinstance(entry["body"], str) and len(entry["body"]) == BODY_LIMIT


def test_account_reset_hides_only_its_journal(client, auth, other_auth) -> None:
    """Resetting an account forgets its journal entries and keeps the others'."""
    client.get(LIST_URL, headers=auth)
    client.get(LIST_URL, headers=other_auth)
    client.post("/__admin/reset", json={"account": DEFAULT_KEY})
    assert count(client, account=DEFAULT_KEY) == 0 and count(client, account=OTHER_KEY) == 1
    client.get(LIST_URL, headers=auth)
    assert count(client, account=DEFAULT_KEY) == 1


def portal_flow(client) -> dict[str, str]:
    """Lookup, service points, create, poll and download through the portal; the secrets it handled."""
    found = lookup(client).json
    client.get(f"/api/v2/service-points/?access_token={found['service_points_token']}&country=NL&city=Utrecht")
    created = client.post(f"{PORTAL}/incoming", json=portal_body(found), headers=bearer(found["access_token"])).json
    poller = parse_qs(urlparse(created["poller_url"]).query)["token"][0]
    client.post("/__admin/clock/advance", json={"seconds": 30})
    polled = client.get(created["poller_url"]).json
    label = parse_qs(urlparse(polled["download_url"]).query)["token"][0]
    assert client.get(polled["download_url"]).status_code == 200
    return {"access": found["access_token"], "service_points": found["service_points_token"], "poller": poller,
            "label": label}


def test_journal_holds_no_token_or_credential(client, auth) -> None:
    """Tokens in queries, headers and bodies and Basic credentials appear only as hash marks that tell them apart."""
    secrets = portal_flow(client)
    client.get(LIST_URL, headers=auth)
    text = json.dumps(journal(client))
    for secret in [*secrets.values(), auth["Authorization"].split()[1], DEFAULT_SECRET]:
        assert secret not in text
    assert not JWT.search(text), "a JWT (or its leading characters) reached the journal"
    marks = {name: mark(value) for name, value in secrets.items()}
    assert len(set(marks.values())) == 4
    lookup_entry, points, created = journal(client, operation="portal_outgoing")[0], \
        journal(client, operation="service_points_search")[0], journal(client, operation="portal_incoming")[0]
    # The lookup answer may be cut at the body limit (then it is text): the marks are in it either way.
    assert marks["access"] in json.dumps(lookup_entry["response"])
    assert marks["service_points"] in json.dumps(lookup_entry["response"])
    assert marks["service_points"] in points["query"]
    # The same token is the same mark wherever it appears: issued in one answer, sent in the next request.
    assert created["headers"]["Authorization"] == "Bearer " + marks["access"]
    assert marks["poller"] in created["response"]["poller_url"]
    assert marks["poller"] in journal(client, operation="portal_polling")[0]["query"]


def test_access_log_holds_no_token(tmp_path) -> None:
    """The server's access log shows token query values only as hash marks."""
    server = Server("--workers", "1", "--db", str(tmp_path / "db"))
    try:
        found = requests.get(server.url + "/api/v2/brand/stroopwafel-co/return-portal/outgoing",
                             params={"identifier": "3SSCRT10493821", "postal_code": "3511 AZ"}, timeout=10).json()
        token = found["service_points_token"]
        requests.get(server.url + "/api/v2/service-points/", params={"access_token": token, "city": "Utrecht"},
                     timeout=10)
        requests.get(server.url + "/api/v3/returns", auth=(DEFAULT_KEY, DEFAULT_SECRET), timeout=10)
    finally:
        server.stop()
    log = server.log_text()
    assert "/api/v2/service-points/" in log and mark(token) in log
    assert token not in log and not JWT.search(log)


def test_journal_holds_no_oauth_client_secret(client) -> None:
    """An OAuth2 token request sends the account's secret form-encoded (and JSON): neither it nor the
    issued token reaches the journal, in the request body or in the answer."""
    form = {"grant_type": "client_credentials", "client_id": DEFAULT_KEY, "client_secret": DEFAULT_SECRET}
    issued = client.post("/oauth2/token/", data=form)
    assert issued.status_code == 200, issued.json
    assert client.post("/oauth2/token/", json=form).status_code == 200
    text = json.dumps(journal(client))
    assert DEFAULT_SECRET not in text and issued.json["access_token"] not in text
    assert mark(DEFAULT_SECRET) in text


def test_form_encoded_secrets_are_redacted() -> None:
    """Whatever records a form body (an OAuth2 token request) sees its secret as a mark, decoded first."""
    from mock_server import redact

    text = redact.body("grant_type=client_credentials&client_id=key&client_secret=s%2Fcret&CLIENT_SECRET=x")
    assert "s%2Fcret" not in text and "=x" not in text
    assert f"client_secret={mark('s/cret')}" in text and text.startswith("grant_type=client_credentials&client_id=key&")
    assert redact.body("token=abc") == f"token={mark('abc')}"
