"""The inspector page (/__admin/ui) and the example portal the fake serves, read as HTML."""

from __future__ import annotations

import re
from typing import Any

from conftest import LIST_URL


def create(client, auth, return_body, **changes: Any) -> int:
    response = client.post("/api/v3/returns", json=return_body(**changes), headers=auth)
    assert response.status_code == 201, response.json
    return response.json["return_id"]


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def ids_in(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'data-return-id="(\d+)"', html)]


def test_landing_shows_newest_returns_of_all_accounts(client, auth, other_auth, return_body) -> None:
    """Without a click, the landing view lists every account's returns, newest first, with a title."""
    first = create(client, auth, return_body)
    other = client.post("/api/v3/returns", json=return_body(brand_id=None), headers=other_auth)
    assert other.status_code == 201, other.json
    last = create(client, auth, return_body)
    html = page(client, "/__admin/ui")
    assert re.search(r"<title>[^<]+</title>", html)
    assert ids_in(html) == [last, other.json["return_id"], first]
    assert "Stroopwafel" in html and "announcing" in html


def test_landing_without_returns_says_so(client) -> None:
    """An empty store shows a hint instead of an empty table."""
    assert 'id="no-returns"' in page(client, "/__admin/ui")


def test_account_page_lists_only_its_returns(client, auth, other_auth, return_body) -> None:
    """The accounts view links to each account's own returns, newest first."""
    mine = [create(client, auth, return_body) for _ in range(2)]
    theirs = client.post("/api/v3/returns", json=return_body(brand_id=None), headers=other_auth).json["return_id"]
    accounts = page(client, "/__admin/ui/accounts")
    assert "test_api_key_stroopwafel" in accounts and "test_api_key_lumiere" in accounts
    listed = ids_in(page(client, "/__admin/ui/accounts/test_api_key_stroopwafel"))
    assert listed == mine[::-1] and theirs not in listed
    assert client.get("/__admin/ui/accounts/nobody").status_code == 404


def test_return_view_shows_timeline_label_and_cancel(client, auth, return_body) -> None:
    """A return's page shows its status history; after the label delay, a working label link."""
    return_id = create(client, auth, return_body)
    before = page(client, f"/__admin/ui/returns/{return_id}")
    assert 'id="cancel-button"' in before and "label-link" not in before
    assert client.get(f"/__admin/ui/returns/{return_id}/label.pdf").status_code == 404
    client.post("/__admin/clock/advance", json={"seconds": 3700})
    after = page(client, f"/__admin/ui/returns/{return_id}")
    timeline = after.split('id="timeline"')[1].split("</ol>")[0]
    assert [s for s in ("announcing", "ready-to-send", "to-sorting") if s in timeline] == [
        "announcing", "ready-to-send", "to-sorting"]
    label = client.get(f"/__admin/ui/returns/{return_id}/label.pdf")
    assert label.status_code == 200 and label.data.startswith(b"%PDF")
    assert client.get("/__admin/ui/returns/999").status_code == 404


def test_cancel_button_cancels_once(client, auth, return_body) -> None:
    """The cancel form cancels through the domain; a second try shows Sendcloud's refusal."""
    return_id = create(client, auth, return_body)
    done = client.post(f"/__admin/ui/returns/{return_id}/cancel")
    assert done.status_code == 303
    assert client.get(f"/api/v3/returns/{return_id}", headers=auth).json["is_cancellable"] is False
    again = client.post(f"/__admin/ui/returns/{return_id}/cancel", follow_redirects=True)
    assert "not cancellable" in again.get_data(as_text=True)


def test_journal_lists_requests(client, auth) -> None:
    """The requests view shows the API calls received, newest first."""
    client.get(LIST_URL, headers=auth)
    client.get("/api/v3/returns/12345", headers=auth)
    html = page(client, "/__admin/ui/requests")
    assert html.index("/api/v3/returns/12345") < html.index("/api/v3/returns?")
    assert "404" in html


def test_fault_rules_add_list_delete(client) -> None:
    """Rules are added from the form (checked against the rule schema), listed and deleted."""
    added = client.post("/__admin/ui/faults", data={"method": "GET", "path": "/api/v3/returns*", "status": "503",
                                                     "times": "2"})
    assert added.status_code == 303
    rules = client.get("/__admin/faults").json["faults"]
    assert len(rules) == 1 and rules[0]["status"] == 503 and rules[0]["times"] == 2
    assert "/api/v3/returns*" in page(client, "/__admin/ui/faults")
    wrong = client.post("/__admin/ui/faults", data={"path": "/x", "status": "999"}, follow_redirects=True)
    assert "status" in wrong.get_data(as_text=True) and len(client.get("/__admin/faults").json["faults"]) == 1
    bad_json = client.post("/__admin/ui/faults", data={"path": "/x", "body": "{nope"}, follow_redirects=True)
    assert "Not a valid rule" in bad_json.get_data(as_text=True)
    client.post(f"/__admin/ui/faults/{rules[0]['id']}/delete")
    assert client.get("/__admin/faults").json["faults"] == []


def test_clock_advance_by_chosen_amount_and_freeze(client) -> None:
    """The clock view moves the server clock by an amount and unit, and freezes it."""
    client.post("/__admin/ui/clock/freeze", data={"frozen": "true"})
    assert client.get("/__admin/clock").json["frozen"] is True
    from datetime import datetime

    def now() -> datetime:
        return datetime.fromisoformat(client.get("/__admin/clock").json["now"].replace("Z", "+00:00"))

    before = now()
    assert client.post("/__admin/ui/clock/advance", data={"amount": "2", "unit": "hours"}).status_code == 303
    assert (now() - before).total_seconds() == 7200
    refused = client.post("/__admin/ui/clock/advance", data={"amount": "-1", "unit": "days"}, follow_redirects=True)
    assert "at most a year" in refused.get_data(as_text=True)
    assert (now() - before).total_seconds() == 7200
    assert "frozen" in page(client, "/__admin/ui/clock")


def test_values_are_escaped(client, auth, return_body) -> None:
    """Customer input is shown as text, never as markup."""
    body = return_body()
    body["from_address"]["name"] = "<script>alert(1)</script>"
    return_id = client.post("/api/v3/returns", json=body, headers=auth).json["return_id"]
    for path in ("/__admin/ui", f"/__admin/ui/returns/{return_id}"):
        html = page(client, path)
        assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


def test_pages_forbid_framing_and_foreign_resources(client) -> None:
    """The inspector loads nothing from elsewhere and cannot be framed by another page."""
    response = client.get("/__admin/ui")
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert not re.search(r'(src|href)="(https?:)?//', response.get_data(as_text=True))


def test_forms_refuse_other_origins(client, auth, return_body) -> None:
    """A page elsewhere cannot press the inspector's buttons (cross-origin form posts are refused)."""
    return_id = create(client, auth, return_body)
    forged = client.post(f"/__admin/ui/returns/{return_id}/cancel", headers={"Origin": "http://evil.example"})
    assert forged.status_code == 403
    assert client.get(f"/api/v3/returns/{return_id}", headers=auth).json["is_cancellable"] is True


def test_example_portal_is_served(client) -> None:
    """The fake serves the example return portal and its files, and nothing outside that folder."""
    html = page(client, "/__admin/examples/return-portal/")
    assert '<script src="portal.js"></script>' in html
    script = client.get("/__admin/examples/return-portal/portal.js")
    assert script.status_code == 200 and "fetch(" in script.get_data(as_text=True)
    assert client.get("/__admin/examples/return-portal/style.css").mimetype == "text/css"
    bare = client.get("/__admin/examples/return-portal")  # no redirect: the page names its base instead
    assert bare.status_code == 200 and '<base href="/__admin/examples/return-portal/">' in bare.get_data(as_text=True)
    assert "<base" not in html
    assert client.get("/__admin/examples/return-portal/../../pyproject.toml").status_code == 404
    assert client.get("/__admin/examples/return-portal/%2e%2e/%2e%2e/README.md").status_code == 404


def test_example_portal_fetches_nothing_from_elsewhere() -> None:
    """The example's files name no outside resource (no CDN, no web fonts)."""
    from mock_server.config import resource_dir

    folder = resource_dir("examples") / "return-portal"
    for name in ("index.html", "style.css"):
        text = (folder / name).read_text()
        assert not re.search(r"(src|href)\s*=\s*\"(https?:)?//", text), name
        assert "@import" not in text and "url(http" not in text, name


def test_admin_token_signs_the_browser_in_with_a_strict_cookie(settings) -> None:
    """With an admin token, /__admin/ui?token= sets an HttpOnly, SameSite=Strict cookie the admin guard accepts."""
    from mock_server import create_app

    app = create_app(settings, admin_token="s3cret-token")
    app.testing = True
    client = app.test_client()
    assert client.get("/__admin/ui").status_code == 401
    assert client.get("/__admin/requests").status_code == 401
    assert client.get("/__admin/ui?token=wrong").status_code == 401
    assert client.get_cookie("sendcloud_mock_admin", path="/__admin") is None
    signed = client.get("/__admin/ui?token=s3cret-token")
    assert signed.status_code == 303 and signed.headers["Location"].endswith("/__admin/ui")
    cookie = signed.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/__admin" in cookie
    assert "token=" not in signed.headers["Location"]
    assert client.get("/__admin/ui").status_code == 200
    assert client.get("/__admin/ui/requests").status_code == 200
    assert client.get("/__admin/requests").status_code == 200  # the admin calls the pages make
    assert client.post("/__admin/ui/clock/advance", data={"amount": "1", "unit": "seconds"}).status_code == 303
    client.post("/__admin/ui/signout")
    assert client.get("/__admin/ui").status_code == 401


def test_a_wrong_cookie_is_refused(settings) -> None:
    """A cookie that is not the admin token opens nothing."""
    from mock_server import create_app

    app = create_app(settings, admin_token="s3cret-token")
    client = app.test_client()
    client.set_cookie("sendcloud_mock_admin", "guess", path="/__admin")
    assert client.get("/__admin/ui").status_code == 401
    assert client.get("/__admin/faults").status_code == 401


def test_webhook_deliveries_are_listed(client, auth, return_body) -> None:
    """With a webhook configured, the inspector lists its deliveries with their body, and redelivers one."""
    configured = client.put("/__admin/accounts/test_api_key_stroopwafel/webhook",
                            json={"url": "http://127.0.0.1:9/hook", "signature_key": "k"})
    assert configured.status_code == 200, configured.json
    create(client, auth, return_body)
    client.post("/__admin/clock/advance", json={"seconds": 11})
    html = page(client, "/__admin/ui/webhooks")
    assert 'href="/__admin/ui/webhooks"' in html
    delivery_ids = [int(found) for found in re.findall(r'data-delivery-id="(\d+)"', html)]
    assert delivery_ids and "return_created" in html
    again = client.post(f"/__admin/ui/webhooks/{delivery_ids[-1]}/redeliver")
    assert again.status_code == 303
    assert len(re.findall(r'data-delivery-id="', page(client, "/__admin/ui/webhooks"))) == len(delivery_ids) + 1
