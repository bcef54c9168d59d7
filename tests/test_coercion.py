"""Liberal input where production is liberal: v2 and portal bodies are read as Django REST
framework fields read them, driven by the schema (a string where a number is expected, a
number where a string is expected); everything else still answers the same precise 400."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from test_portal import PORTAL, bearer, create, lookup, portal_body

from mock_server import Settings, create_app
from mock_server.config import resource_dir


@pytest.fixture
def found(client) -> dict[str, Any]:
    response = lookup(client)
    assert response.status_code == 200, response.json
    return response.json


def _shown(client, auth, created) -> dict[str, Any]:
    assert created.status_code == 201, created.json
    return client.get(f"/api/v3/returns/{created.json['return']}", headers=auth).json


def test_strings_for_numbers_are_accepted(client, auth, found) -> None:
    """"9.95" for a number, "1" for an integer, "26" for the reason: accepted and stored as numbers."""
    product = portal_body(found)["products"][0]
    created = create(client, found, reason="26", outgoing_parcel=str(found["parcel"]["id"]),
                     service_point={"id": str(found["service_point"]["id"])},
                     products=[{**product, "value": "9.95", "quantity": "1", "return_reason": "26"}])
    shown = _shown(client, auth, created)
    item = shown["parcel_items"][0]
    assert item["quantity"] == 1
    assert float(item["price"]["value"]) == pytest.approx(9.95)


def test_the_lookups_own_price_string_is_accepted(client, auth, found) -> None:
    """The lookup gives each product's price as a string; sending it back as value is accepted."""
    product = found["products"][0]
    assert isinstance(product["price"], str)
    body_product = {**portal_body(found)["products"][0], "product_id": product["id"], "value": product["price"]}
    created = create(client, found, products=[body_product])
    assert created.status_code == 201, created.json


def test_numbers_for_strings_are_accepted(client, auth, found) -> None:
    """A number where a string is expected (house number, postal code) is taken as its text."""
    parcel = {**portal_body(found)["incoming_parcel"], "from_house_number": 158, "from_telephone": 31612345678}
    shown = _shown(client, auth, create(client, found, incoming_parcel=parcel))
    assert shown["from_address"]["house_number"] == "158"


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"reason": "twenty-six"}, "reason", "Expected a valid integer"),
    ({"reason": "26.5"}, "reason", "Expected a valid integer"),
    ({"reason": True}, "reason", "Expected a valid integer"),
    ({"outgoing_parcel": [1]}, "outgoing_parcel", "Expected a valid integer"),
])
def test_what_does_not_parse_still_gets_the_precise_400(client, found, change, field, message) -> None:
    """Values no DRF field would take answer 400 naming the field, as before."""
    response = create(client, found, **change)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid"
    assert response.json["error"]["message"].startswith(f"{field}: {message}")


def test_product_value_that_does_not_parse_is_named(client, found) -> None:
    """A product value "nine euros" is a 400 naming products.0.value; a boolean name is refused too."""
    product = {**portal_body(found)["products"][0], "value": "nine euros"}
    response = create(client, found, products=[product])
    assert response.status_code == 400 and "products.0.value" in response.json["error"]["message"]
    parcel = {**portal_body(found)["incoming_parcel"], "from_name": True}
    refused = create(client, found, incoming_parcel=parcel)
    assert refused.status_code == 400 and "incoming_parcel.from_name" in refused.json["error"]["message"]


def test_v3_bodies_stay_as_written(client, auth, return_body) -> None:
    """The v3 API is not made liberal by this: a string collo_count is still a 400 there."""
    response = client.post("/api/v3/returns", json=return_body(collo_count="2"), headers=auth)
    assert response.status_code == 400 and response.json["errors"][0]["field"] == "collo_count"


def test_coercion_follows_the_schema_not_the_field(tmp_path: Path) -> None:
    """A field added to the portal schema is coerced by its declared type, with no code change."""
    schemas = tmp_path / "schemas"
    shutil.copytree(resource_dir("schemas"), schemas)
    path = schemas / "return-portal" / "incoming-request.json"
    schema = json.loads(path.read_text())
    schema["properties"]["incoming_parcel"]["properties"]["floor"] = {
        "type": "integer", "minimum": 0, "description": "A new upstream field."}
    schema["properties"]["gift"] = {"type": "boolean", "description": "Another."}
    path.write_text(json.dumps(schema))
    app = create_app(Settings(db=str(tmp_path / "db"), schemas=str(schemas)))
    client = app.test_client()
    found_here = lookup(client).json

    def send(**changes: Any):
        return client.post(f"{PORTAL}/incoming", json=portal_body(found_here, **changes),
                           headers=bearer(found_here["access_token"]))

    parcel = portal_body(found_here)["incoming_parcel"]
    assert send(incoming_parcel={**parcel, "floor": "3"}, gift="true").status_code == 201
    refused = send(incoming_parcel={**parcel, "floor": "third"})
    assert refused.status_code == 400 and refused.json["error"]["message"].startswith("incoming_parcel.floor:")
    below = send(incoming_parcel={**parcel, "floor": "-1"})
    assert below.status_code == 400 and below.json["error"]["code"] == "min_value"


def test_query_integers_take_a_zero_fraction(client, auth) -> None:
    """As DRF's IntegerField, a query integer such as page_size=2.0 or radius=3000.0 is accepted; 2.5 is not."""
    assert client.get("/api/v2/returns?page_size=2.0", headers=auth).status_code == 200
    refused = client.get("/api/v2/returns?page_size=2.5", headers=auth)
    assert refused.status_code == 400 and "page_size" in refused.json["error"]["message"]
    token = lookup(client).json["service_points_token"]
    near = client.get("/api/v2/service-points/", query_string={"access_token": token, "country": "NL",
                                                               "latitude": "52.0907", "longitude": "5.1214",
                                                               "radius": "3000.0"})
    assert near.status_code == 200, near.json
