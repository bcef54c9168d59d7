"""Fault and latency rules through the admin API."""

from __future__ import annotations

import time

from conftest import LIST_URL


def add(client, **rule):
    response = client.post("/__admin/faults", json=rule)
    assert response.status_code == 201, response.json
    return response.json


def test_status_rule_answers_n_times_then_stops(client, auth) -> None:
    """A 503 rule for GET returns applies exactly `times` times, in Sendcloud's format, then the API answers."""
    rule = add(client, name="flaky list", method="GET", path="/api/v3/returns", status=503, times=2)
    first, second, third = (client.get(LIST_URL, headers=auth) for _ in range(3))
    assert first.status_code == second.status_code == 503
    assert first.json["errors"][0]["status"] == "503"
    assert third.status_code == 200
    assert client.get("/__admin/faults").json["faults"][0] == {**rule, "hits": 2, "remaining": 0}


def test_custom_body_headers_and_method_matching(client, auth, return_body) -> None:
    """A rule answers its own body and headers, and only for its method and path glob."""
    add(client, method="POST", path="/api/v3/returns*", status=400, body={"error": "custom"},
        headers={"X-Fault": "yes"})
    refused = client.post("/api/v3/returns", json=return_body(), headers=auth)
    assert refused.status_code == 400 and refused.json == {"error": "custom"}
    assert refused.headers["X-Fault"] == "yes"
    assert client.get(LIST_URL, headers=auth).status_code == 200


def test_header_condition(client, auth) -> None:
    """A rule with a header condition only hits requests carrying that header value."""
    add(client, path="/api/v3/*", status=500, header={"name": "X-Chaos", "value": "on"})
    assert client.get(LIST_URL, headers=auth).status_code == 200
    hit = client.get(LIST_URL, headers={**auth, "X-Chaos": "on"})
    assert hit.status_code == 500 and hit.json["errors"][0]["code"] == "injected_fault"
    assert client.get(LIST_URL, headers={**auth, "X-Chaos": "off"}).status_code == 200


def test_delay_then_normal_answer(client, auth) -> None:
    """A delay-only rule slows the request down and then lets the API answer."""
    add(client, path="/api/v3/returns", delay_ms=300)
    started = time.perf_counter()
    response = client.get(LIST_URL, headers=auth)
    assert response.status_code == 200
    assert time.perf_counter() - started >= 0.3


def test_probability_zero_never_and_one_always(client, auth) -> None:
    """probability 0 never applies; probability 1 always does."""
    add(client, path="/api/v3/returns", status=502, probability=0)
    assert all(client.get(LIST_URL, headers=auth).status_code == 200 for _ in range(20))
    add(client, path="/api/v3/returns", status=502, probability=1)
    assert client.get(LIST_URL, headers=auth).status_code == 502


def test_rate_limit_answers_429_with_retry_after(client, auth) -> None:
    """Beyond `requests` per window the API answers 429 with Retry-After, in the v3 format."""
    add(client, name="rate limit", path="/api/v3/*", rate_limit={"requests": 3, "per_seconds": 60})
    statuses = [client.get(LIST_URL, headers=auth) for _ in range(5)]
    assert [r.status_code for r in statuses] == [200, 200, 200, 429, 429]
    assert 1 <= int(statuses[3].headers["Retry-After"]) <= 60
    assert statuses[3].json["errors"][0]["code"] == "rate_limited"


def test_journal_names_the_rule_and_reset_clears_rules(client, auth) -> None:
    """The journal shows which rule each request hit; reset removes every rule."""
    add(client, name="outage", path="/api/v2/*", status=503)
    client.get("/api/v2/returns", headers=auth)
    client.get(LIST_URL, headers=auth)
    journal = client.get("/__admin/requests").json["requests"]
    assert [(e["path"], e["rule"]) for e in journal[:2]] == [("/api/v3/returns", None), ("/api/v2/returns", "outage")]
    client.post("/__admin/reset", json={})
    assert client.get("/__admin/faults").json["faults"] == []
    assert client.get("/api/v2/returns", headers=auth).status_code == 200


def test_delete_rules(client, auth) -> None:
    """Rules can be deleted one by one or all at once."""
    first = add(client, path="/api/v3/*", status=500)
    add(client, path="/api/v2/*", status=500)
    assert client.delete(f"/__admin/faults/{first['id']}").json == {"deleted": 1}
    assert client.delete(f"/__admin/faults/{first['id']}").status_code == 404
    assert client.delete("/__admin/faults").json == {"deleted": 1}


def test_invalid_rules_are_refused(client) -> None:
    """Rules with a bad status, probability or missing path are refused naming the field."""
    for rule, field in (({"path": "/x", "status": 42}, "status"), ({"path": "/x", "probability": 2}, "probability"),
                        ({"status": 500}, "path")):
        response = client.post("/__admin/faults", json=rule)
        assert response.status_code == 400 and field in response.json["error"]["message"]
