"""The deprecated Returns API v2: a second view of the same store."""

from __future__ import annotations

from conftest import basic


def test_v2_shows_v3_returns(client, auth, create_return, advance) -> None:
    """A return created through v3 is listed and retrieved through v2 with the same id and parcel."""
    created = create_return()
    advance(10)
    listed = client.get("/api/v2/returns", headers=auth).json
    assert [r["id"] for r in listed["returns"]] == [created["return_id"]]
    item = client.get(f"/api/v2/returns/{created['return_id']}", headers=auth).json
    assert item["incoming_parcel"] == created["parcel_id"]
    assert item["incoming_parcel_status"] == {"id": 1000, "message": "Ready to send",
                                              "global_status_slug": "ready-to-send"}
    assert item["incoming_parcel_data"]["tracking_number"].startswith("3S")
    assert item["incoming_parcel_data"]["brand_name"] == "Stroopwafel & Co"
    assert item["outgoing_parcel"] is None and item["outgoing_parcel_data"] is None
    assert item["items_cost"] == 19.9
    assert item["is_cancellable"] is True


def test_v2_sees_cancellation_made_in_v3(client, auth, create_return) -> None:
    """Cancelling in v3 shows in v2: status cancelled, not cancellable."""
    rid = create_return()["return_id"]
    client.patch(f"/api/v3/returns/{rid}/cancel", headers=auth)
    item = client.get(f"/api/v2/returns/{rid}", headers=auth).json
    assert item["is_cancellable"] is False
    assert item["incoming_parcel_status"]["global_status_slug"] == "cancelled"


def test_v2_cursor_pages_two_at_a_time(client, auth, create_return) -> None:
    """Paging v2 two at a time visits every return once, with full next URLs carrying ?cursor=."""
    created = {create_return()["return_id"] for _ in range(5)}
    seen, url = [], "/api/v2/returns?page_size=2"
    while url:
        body = client.get(url, headers=auth).json
        seen += [r["id"] for r in body["returns"]]
        url = body["next"]
        if url:
            assert url.startswith("http://localhost/api/v2/returns?") and "cursor=" in url
    assert sorted(seen) == sorted(created) and len(seen) == len(set(seen))


def test_v2_errors_use_the_v2_format(client, auth) -> None:
    """v2 answers 404, 401 and a bad cursor as {"error": {code, message, request}}, code the HTTP status."""
    missing = client.get("/api/v2/returns/12345", headers=auth)
    assert missing.status_code == 404
    assert missing.json["error"]["code"] == 404
    assert missing.json["error"]["request"] == "api/v2/returns/12345"
    unauthorised = client.get("/api/v2/returns", headers=basic("x", "y"))
    assert unauthorised.status_code == 401 and "error" in unauthorised.json
    forged = client.get("/api/v2/returns?cursor=%%%", headers=auth)
    assert forged.status_code == 400 and "cursor" in forged.json["error"]["message"]


def test_trailing_slash_is_accepted(client, auth) -> None:
    """The SDK's /returns and Django's /returns/ both answer."""
    assert client.get("/api/v2/returns/", headers=auth).status_code == 200
