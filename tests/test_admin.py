"""The /__admin control surface: health, fixtures, reset, clock, journal and accounts."""

from __future__ import annotations

from conftest import LIST_URL, basic

from mock_server import Settings, create_app


def test_health_names_versions(client) -> None:
    """Health answers ok with the package and schema versions."""
    body = client.get("/__admin/health").json
    assert body["status"] == "ok" and body["package"] == "sendcloud-mock"
    assert body["version"] and body["schemas_version"]


def test_fixtures_list_everything_a_client_needs(client) -> None:
    """Fixtures list credentials, brands and outgoing parcels with tracking, order numbers and postal codes."""
    accounts = client.get("/__admin/fixtures").json["accounts"]
    default = accounts[0]
    assert default["api_key"] == "test_api_key_stroopwafel" and default["api_secret"]
    assert {b["domain"] for b in default["brands"]} >= {"stroopwafel-co"}
    parcel = default["outgoing_parcels"][0]
    assert parcel["tracking_number"] and parcel["order_number"] and parcel["to_address"]["postal_code"]


def test_reset_returns_to_fixtures(client, auth, create_return, advance) -> None:
    """Reset removes returns, added accounts and clock moves; fixture credentials keep working."""
    create_return()
    advance(1000)
    client.post("/__admin/accounts", json={"api_key": "k", "api_secret": "s"})
    assert client.post("/__admin/reset", json={}).status_code == 200
    assert client.get(LIST_URL, headers=auth).json["data"] == []
    assert client.get(LIST_URL, headers=basic("k", "s")).status_code == 401
    journal = client.get("/__admin/requests").json["requests"]
    assert [(e["method"], e["status"]) for e in journal] == [("GET", 401), ("GET", 200)]


def test_reset_one_account(client, auth, other_auth, create_return) -> None:
    """Reset of one account empties its returns and leaves the others'."""
    create_return()
    create_return(headers=other_auth, brand_id=None)
    response = client.post("/__admin/reset", json={"account": "test_api_key_lumiere"})
    assert response.status_code == 200
    assert client.get(LIST_URL, headers=other_auth).json["data"] == []
    assert len(client.get(LIST_URL, headers=auth).json["data"]) == 1
    assert client.post("/__admin/reset", json={"account": "nobody"}).status_code == 404


def test_clock_advance_validates_input(client) -> None:
    """Advancing needs a non-negative number of seconds; the answer is the new time."""
    assert client.post("/__admin/clock/advance", json={"seconds": -5}).status_code == 400
    assert client.post("/__admin/clock/advance", json={}).json["error"]["code"] == "required"
    before = client.get("/__admin/clock").json["now"]
    after = client.post("/__admin/clock/advance", json={"seconds": 86400}).json["now"]
    assert after[:10] > before[:10]


def test_journal_records_api_requests(client, auth, create_return) -> None:
    """The journal lists API requests newest first with status, account and operation."""
    create_return()
    client.get("/api/v3/returns/1", headers=auth)
    entries = client.get("/__admin/requests").json["requests"]
    assert [(e["method"], e["status"]) for e in entries[:2]] == [("GET", 404), ("POST", 201)]
    assert entries[1]["account"] == "test_api_key_stroopwafel"
    assert entries[1]["operation"] == "returns_v3_create"


def test_added_account_is_isolated(client, auth, return_body) -> None:
    """An account added through the admin API has its own brands and sees only its returns."""
    added = client.post("/__admin/accounts", json={
        "name": "CI job 7", "api_key": "ci-7", "api_secret": "secret-7",
        "brands": [{"name": "CI brand", "domain": "ci-brand-7"}],
    })
    assert added.status_code == 201
    brand_id = added.json["brands"][0]["id"]
    mine = basic("ci-7", "secret-7")
    assert client.post("/api/v3/returns", json=return_body(brand_id=brand_id), headers=mine).status_code == 201
    assert len(client.get(LIST_URL, headers=mine).json["data"]) == 1
    assert client.get(LIST_URL, headers=auth).json["data"] == []
    assert client.post("/__admin/accounts", json={"api_key": "ci-7", "api_secret": "x"}).status_code == 409


def test_open_accounts_create_on_first_use(tmp_path) -> None:
    """With open accounts, a new key/secret pair is an account without returns; a wrong secret is still refused."""
    app = create_app(Settings(db=str(tmp_path / "db"), open_accounts=True, validate_responses=True))
    app.testing = True
    client = app.test_client()
    first = client.get(LIST_URL, headers=basic("job-1", "s1"))
    assert first.status_code == 200 and first.json["data"] == []
    assert client.get(LIST_URL, headers=basic("job-1", "other")).status_code == 401


def test_closed_accounts_refuse_unknown_keys(client) -> None:
    """Without open accounts, unknown keys are refused."""
    assert client.get(LIST_URL, headers=basic("job-1", "s1")).status_code == 401


def test_custom_fixtures_folder(tmp_path) -> None:
    """--fixtures loads the user's own accounts instead of the bundled ones."""
    folder = tmp_path / "fx"
    folder.mkdir()
    (folder / "accounts.json").write_text(
        '{"accounts": [{"name": "Mine", "api_key": "mine", "api_secret": "pw", "brands": [], "outgoing_parcels": []}]}')
    app = create_app(Settings(db=str(tmp_path / "db"), fixtures=str(folder)))
    client = app.test_client()
    assert [a["api_key"] for a in client.get("/__admin/fixtures").json["accounts"]] == ["mine"]
    assert client.get(LIST_URL, headers=basic("mine", "pw")).status_code == 200


def test_file_database_survives_a_new_app(tmp_path, return_body) -> None:
    """With a database file, a second app on the same file sees the returns of the first."""
    path = str(tmp_path / "kept.sqlite3")
    first = create_app(Settings(db=path)).test_client()
    headers = basic("test_api_key_stroopwafel", "test_api_secret_stroopwafel")
    rid = first.post("/api/v3/returns", json=return_body(), headers=headers).json["return_id"]
    second = create_app(Settings(db=path)).test_client()
    assert second.get(f"/api/v3/returns/{rid}", headers=headers).status_code == 200
    assert len(second.get("/__admin/fixtures").json["accounts"]) == 2


def test_taken_ids_in_a_new_account_are_409(client) -> None:
    """An added account whose brand or outgoing parcel id is taken answers 409, not 500 (found by fuzzing)."""
    parcel = {"id": 250000101, "tracking_number": "X1", "to_address": {
        "name": "A", "address_line_1": "B", "postal_code": "1", "city": "C", "country_code": "NL"}}
    taken_parcel = client.post("/__admin/accounts", json={"api_key": "a", "api_secret": "b",
                                                          "outgoing_parcels": [parcel]})
    assert taken_parcel.status_code == 409
    taken_brand = client.post("/__admin/accounts", json={"api_key": "c", "api_secret": "d",
                                                         "brands": [{"id": 101, "name": "x", "domain": "fresh"}]})
    assert taken_brand.status_code == 409
    assert client.get("/__admin/fixtures").json["accounts"][-1]["api_key"] == "test_api_key_lumiere"


def test_health_reports_the_packaged_version(client) -> None:
    """The version health and --version report is the one pyproject.toml releases."""
    from pathlib import Path

    import tomllib

    released = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"]["version"]
    assert client.get("/__admin/health").json["version"] == released
