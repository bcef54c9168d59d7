"""Accounts as a resource: list, read, delete, clone; open accounts cloned from the default account."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from conftest import DEFAULT_KEY, LIST_URL, basic

from mock_server import Settings, create_app


def lookup(client, account: dict, index: int = 0):
    parcel = account["outgoing_parcels"][index]
    brand = next(b for b in account["brands"] if b["id"] == parcel["brand_id"])
    return client.get(f"/api/v2/brand/{brand['domain']}/return-portal/outgoing",
                      query_string={"identifier": parcel["tracking_number"],
                                    "postal_code": parcel["to_address"]["postal_code"]})


def test_clone_copies_brands_and_parcels_under_unique_names(client) -> None:
    """A clone has the source's brands (with portal settings) and parcels, with new domains, numbers and ids."""
    source = client.get(f"/__admin/accounts/{DEFAULT_KEY}").json
    first = client.post("/__admin/accounts", json={"from": DEFAULT_KEY})
    second = client.post("/__admin/accounts", json={"from": DEFAULT_KEY, "api_key": "ci-2", "api_secret": "pw"})
    assert first.status_code == second.status_code == 201
    assert second.json["api_key"] == "ci-2" and second.json["api_secret"] == "pw"
    assert first.json["api_key"] != DEFAULT_KEY and first.json["api_secret"]
    for clone in (first.json, second.json):
        assert len(clone["brands"]) == len(source["brands"])
        assert len(clone["outgoing_parcels"]) == len(source["outgoing_parcels"])
        assert [b["portal"] for b in clone["brands"]] == [b["portal"] for b in source["brands"]]
    domains = [b["domain"] for a in (source, first.json, second.json) for b in a["brands"]]
    tracking = [p["tracking_number"] for a in (source, first.json, second.json) for p in a["outgoing_parcels"]]
    orders = [p["order_number"] for a in (source, first.json, second.json) for p in a["outgoing_parcels"]]
    assert len(set(domains)) == len(domains) and len(set(tracking)) == len(tracking)
    assert len(set(orders)) == len(orders)
    own_brands = {b["id"] for b in first.json["brands"]}
    assert all(p["brand_id"] in own_brands for p in first.json["outgoing_parcels"])


def test_cloned_account_runs_the_portal_lookup_on_its_own_data(client) -> None:
    """The portal lookup finds a clone's parcel under the clone's brand, and not under the source's brand."""
    clone = client.post("/__admin/accounts", json={"from": DEFAULT_KEY}).json
    found = lookup(client, clone)
    assert found.status_code == 200, found.json
    assert found.json["parcel"]["id"] == clone["outgoing_parcels"][0]["id"]
    parcel = clone["outgoing_parcels"][0]
    crossed = client.get("/api/v2/brand/stroopwafel-co/return-portal/outgoing",
                         query_string={"identifier": parcel["tracking_number"],
                                       "postal_code": parcel["to_address"]["postal_code"]})
    assert crossed.status_code == 404


def test_clone_creates_returns_of_its_own(client, return_body) -> None:
    """A clone's credentials create returns on its own brand that the source account never sees."""
    clone = client.post("/__admin/accounts", json={"from": DEFAULT_KEY}).json
    headers = basic(clone["api_key"], clone["api_secret"])
    created = client.post("/api/v3/returns", json=return_body(brand_id=clone["brands"][0]["id"]), headers=headers)
    assert created.status_code == 201, created.json
    assert client.get(LIST_URL, headers=basic(DEFAULT_KEY, "test_api_secret_stroopwafel")).json["data"] == []
    assert len(client.get(LIST_URL, headers=headers).json["data"]) == 1


def test_list_get_and_delete(client) -> None:
    """Accounts are listed and read by key; deleting one removes it and its credentials stop working."""
    clone = client.post("/__admin/accounts", json={"from": DEFAULT_KEY}).json
    listed = [a["api_key"] for a in client.get("/__admin/accounts").json["accounts"]]
    assert clone["api_key"] in listed and DEFAULT_KEY in listed
    assert client.get(f"/__admin/accounts/{clone['api_key']}").json == clone
    assert client.delete(f"/__admin/accounts/{clone['api_key']}").json == {"deleted": 1}
    assert client.get(f"/__admin/accounts/{clone['api_key']}").status_code == 404
    assert client.delete(f"/__admin/accounts/{clone['api_key']}").status_code == 404
    assert client.get(LIST_URL, headers=basic(clone["api_key"], clone["api_secret"])).status_code == 401
    assert lookup(client, clone).status_code == 404


def test_clone_refusals(client) -> None:
    """Cloning an unknown account is a 404 naming "from"; a taken key a 409; no key and no "from" a 400."""
    missing = client.post("/__admin/accounts", json={"from": "nobody"})
    assert missing.status_code == 404 and missing.json["error"]["message"].startswith("from")
    assert client.post("/__admin/accounts", json={"from": DEFAULT_KEY, "api_key": DEFAULT_KEY}).status_code == 409
    assert client.post("/__admin/accounts", json={"api_key": "only-a-key"}).status_code == 400


def test_open_account_is_a_clone_of_the_default_account(tmp_path) -> None:
    """Under --open-accounts a new key gets the default account's brands and parcels, so its portal works."""
    app = create_app(Settings(db=str(tmp_path / "db"), open_accounts=True, validate_responses=True))
    app.testing = True
    client = app.test_client()
    assert client.get(LIST_URL, headers=basic("job-7", "pw")).status_code == 200
    account = client.get("/__admin/accounts/job-7").json
    assert account["brands"] and account["outgoing_parcels"]
    assert lookup(client, account).status_code == 200


def test_first_use_of_a_new_key_by_8_clients_at_once(tmp_path) -> None:
    """8 clients using one new key at the same moment make one account, and every request is answered 200."""
    app = create_app(Settings(db=str(tmp_path / "db"), open_accounts=True, validate_responses=True))
    app.testing = True
    for round_ in range(5):
        key = f"race-{round_}"
        gate = threading.Barrier(8)

        def first_use(_: int, key: str = key, gate: threading.Barrier = gate) -> int:
            client = app.test_client()
            gate.wait()
            return client.get(LIST_URL, headers=basic(key, "pw")).status_code

        with ThreadPoolExecutor(8) as pool:
            assert list(pool.map(first_use, range(8))) == [200] * 8
        keys = [a["api_key"] for a in app.test_client().get("/__admin/accounts").json["accounts"]]
        assert keys.count(key) == 1


def test_first_use_race_on_the_served_fake(tmp_path) -> None:
    """On the production server (2 workers), 8 clients' first use of one new key: one account, all 200."""
    import requests
    from test_server import Server

    server = Server("--workers", "2", "--open-accounts", "--db", str(tmp_path / "db"))
    try:
        for round_ in range(30):
            key = f"served-race-{round_}"
            gate = threading.Barrier(8)

            def first_use(_: int, key: str = key, gate: threading.Barrier = gate) -> int:
                with requests.Session() as session:
                    session.get(server.url + "/__admin/health", timeout=10)  # connected before the gate
                    gate.wait()
                    return session.get(server.url + LIST_URL, auth=(key, "pw"), timeout=10).status_code

            with ThreadPoolExecutor(8) as pool:
                assert list(pool.map(first_use, range(8))) == [200] * 8
            accounts = requests.get(server.url + "/__admin/accounts", timeout=10).json()["accounts"]
            assert [a["api_key"] for a in accounts].count(key) == 1
    finally:
        server.stop()
