"""Shared fixtures: a fresh fake per test (its own temporary SQLite file), validating its own responses."""

from __future__ import annotations

import base64
import copy
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from postgres_support import PostgresServer
from postgres_support import unavailable as postgres_unavailable

from mock_server import Settings, create_app

DEFAULT_KEY = "test_api_key_stroopwafel"
DEFAULT_SECRET = "test_api_secret_stroopwafel"
OTHER_KEY = "test_api_key_lumiere"
OTHER_SECRET = "test_api_secret_lumiere"
LIST_URL = "/api/v3/returns?from_date=2000-01-01 00:00:00&to_date=2100-01-01 00:00:00"
UPSTREAM = Path(__file__).resolve().parents[2] / "shared" / "reference" / "upstream"

RETURN_BODY: dict[str, Any] = {
    "from_address": {
        "name": "Sanne de Vries", "address_line_1": "Oudegracht", "house_number": "158",
        "postal_code": "3511 AZ", "city": "Utrecht", "country_code": "NL", "email": "sanne.devries@example.nl",
    },
    "to_address": {
        "name": "Returns department", "company_name": "Stroopwafel & Co B.V.", "address_line_1": "Kanaalstraat",
        "house_number": "12", "postal_code": "5611 LX", "city": "Eindhoven", "country_code": "NL",
    },
    "ship_with": {"type": "shipping_option_code", "shipping_option_code": "postnl:standard/return"},
    "weight": {"value": 1.2, "unit": "kg"},
    "brand_id": 101,
    "order_number": "SW-2026-10452",
    "parcel_items": [
        {"description": "Stroopwafels honey, box of 12", "quantity": 2, "weight": {"value": 0.45, "unit": "kg"},
         "price": {"value": 9.95, "currency": "EUR"}, "sku": "SWH12", "product_id": "SW-HONEY-12",
         "return_reason_id": "26"},
    ],
}


def basic(key: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()}


# Test modules whose every test runs against both store engines (SQLite and PostgreSQL).
BOTH_ENGINES = {"test_store", "test_accounts_resource", "test_returns_v3", "test_returns_v2", "test_clock",
                "test_faults", "test_journal", "test_account_scope", "test_oauth", "test_tokens", "test_portal",
                "test_webhooks"}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "engine" in metafunc.fixturenames and metafunc.module.__name__.rsplit(".", 1)[-1] in BOTH_ENGINES:
        metafunc.parametrize("engine", ["sqlite", "postgres"])


@pytest.fixture
def engine() -> str:
    """Which store engine a test's fake uses (both, for the modules in BOTH_ENGINES)."""
    return "sqlite"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One throw-away PostgreSQL server for the session (skipped with its reason where it cannot run)."""
    reason = postgres_unavailable()
    if reason:
        pytest.skip(reason)
    server = PostgresServer()
    try:
        server.start()
    except (OSError, subprocess.SubprocessError) as error:
        server.stop()
        pytest.skip(f"could not start PostgreSQL: {error}")
    yield server
    server.stop()


@pytest.fixture
def db(engine: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """The --db of a test's fake: a new SQLite file, or a new PostgreSQL database."""
    if engine == "postgres":
        return request.getfixturevalue("postgres_server").new_database()
    return str(tmp_path / "store.sqlite3")


@pytest.fixture
def settings(db: str) -> Settings:
    return Settings(db=db, validate_responses=True, label_delay=10, transit_delay=3600, delivery_delay=86400)


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    app = create_app(settings)
    app.testing = True
    yield app
    app.extensions["sendcloud_mock"].store.close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def auth() -> dict[str, str]:
    return basic(DEFAULT_KEY, DEFAULT_SECRET)


@pytest.fixture
def other_auth() -> dict[str, str]:
    return basic(OTHER_KEY, OTHER_SECRET)


@pytest.fixture
def return_body() -> Callable[..., dict[str, Any]]:
    """A valid v3 create body; keyword arguments replace top-level fields (None removes one)."""

    def build(**changes: Any) -> dict[str, Any]:
        body = copy.deepcopy(RETURN_BODY)
        for key, value in changes.items():
            if value is None:
                body.pop(key, None)
            else:
                body[key] = value
        return body

    return build


@pytest.fixture
def create_return(client: FlaskClient, auth: dict[str, str], return_body: Callable[..., dict[str, Any]]):
    """Create a return through the v3 API and answer its 201 body."""

    def create(headers: dict[str, str] | None = None, **changes: Any) -> dict[str, Any]:
        response = client.post("/api/v3/returns", json=return_body(**changes), headers=headers or auth)
        assert response.status_code == 201, response.json
        return response.json

    return create


@pytest.fixture
def advance(client: FlaskClient) -> Callable[[float], None]:
    def move(seconds: float) -> None:
        assert client.post("/__admin/clock/advance", json={"seconds": seconds}).status_code == 200

    return move


def sources(response: Any) -> list[dict[str, str]]:
    """The `source` of each v3 error in a response."""
    return [error.get("source", {}) for error in response.json["errors"]]
