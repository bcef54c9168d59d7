"""v3 400 answers of create, validate and list: every item is both an item of the spec's
`errors` schema (field, message, one of its nine codes) and a JSON:API ErrorObject; and what
a create documents is stored and shown back, what nothing documents is ignored."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from conftest import LIST_URL, UPSTREAM
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_FILE = UPSTREAM / "sendcloud-v3-returns-openapi.yml"
if not SPEC_FILE.exists():
    pytest.skip("the upstream reference files are not beside the project", allow_module_level=True)
URI = "https://upstream.invalid/returns.yml"
SPEC_CODES = {"required", "invalid", "invalid_choice", "min_value", "null", "not_found", "unknown_field",
              "forbidden", "not_a_list"}


@pytest.fixture(scope="module")
def validators() -> dict[str, Draft202012Validator]:
    document = yaml.safe_load(SPEC_FILE.read_text(encoding="utf-8"))
    registry = Registry().with_resource(URI, Resource.from_contents(document, default_specification=DRAFT202012))

    def at(pointer: str) -> Draft202012Validator:
        return Draft202012Validator({"$ref": f"{URI}#{pointer}"}, registry=registry)

    return {"errors": at("/components/schemas/errors"),
            "item": at("/components/schemas/errors/properties/errors/items"),
            "object": at("/components/schemas/ErrorObject")}


def assert_spec_400(response: Any, validators: dict[str, Draft202012Validator]) -> list[dict[str, Any]]:
    """A 400 whose body is the spec's `errors` and whose items are also ErrorObjects with the JSON:API members."""
    assert response.status_code == 400, response.json
    body = response.json
    assert [e.message for e in validators["errors"].iter_errors(body)] == []
    for item in body["errors"]:
        assert [e.message for e in validators["item"].iter_errors(item)] == [], item
        assert [e.message for e in validators["object"].iter_errors(item)] == [], item
        assert item["code"] in SPEC_CODES
        assert item["field"] and item["message"] and item["message"] == item["detail"]
        assert item["status"] == "400" and item["title"]
    return body["errors"]


BAD_CREATES = [
    ({"weight": None}, "weight", "required"),
    ({"weight": {"value": -1, "unit": "kg"}}, "weight.value", "min_value"),
    ({"weight": {"value": 1, "unit": "stone"}}, "weight.unit", "invalid_choice"),
    ({"collo_count": "two"}, "collo_count", "invalid"),
    ({"brand_id": 999}, "brand_id", "invalid"),
    ({"order_number": 12.5}, "order_number", "invalid"),
    ({"delivery_option": "by_pigeon"}, "delivery_option", "invalid_choice"),
    ({"parcel_items": {"sku": "x"}}, "parcel_items", "invalid"),
]


@pytest.mark.parametrize(("path", "extra"), [("/api/v3/returns", {}), ("/api/v3/returns/validate", {})])
@pytest.mark.parametrize(("change", "field", "code"), BAD_CREATES)
def test_create_and_validate_400_items_follow_both_schemas(client, auth, return_body, validators, path, extra,
                                                             change, field, code) -> None:
    """Each bad create or validate body answers spec `errors` items naming the field with the spec's code."""
    errors = assert_spec_400(client.post(path, json=return_body(**change), headers=auth), validators)
    assert any(e["field"] == field and e["code"] == code for e in errors), errors


def test_null_where_a_value_is_needed_says_null(client, auth, return_body, validators) -> None:
    """A null in a field that may not be null answers code `null`, as Django REST framework does."""
    errors = assert_spec_400(client.post("/api/v3/returns", json=return_body(brand_id=None) | {"collo_count": None},
                                         headers=auth), validators)
    assert {"field": "collo_count", "code": "null"} in [{"field": e["field"], "code": e["code"]} for e in errors]


def test_nested_field_is_dotted(client, auth, return_body, validators) -> None:
    """A nested field is named by its dotted path beside the JSON pointer."""
    body = return_body()
    del body["from_address"]["city"]
    body["parcel_items"][0]["quantity"] = 0
    errors = assert_spec_400(client.post("/api/v3/returns", json=body, headers=auth), validators)
    fields = {(e["field"], e["source"]["pointer"]) for e in errors}
    assert ("from_address.city", "/from_address/city") in fields
    assert ("parcel_items.0.quantity", "/parcel_items/0/quantity") in fields


def test_unparseable_body_is_a_spec_400(client, auth, validators) -> None:
    """Malformed JSON answers code `invalid` (the spec knows no parse_error) for non_field_errors."""
    response = client.post("/api/v3/returns", data=b'{"weight": ', headers={**auth, "Content-Type": "application/json"})
    (error,) = assert_spec_400(response, validators)
    assert error["field"] == "non_field_errors" and error["code"] == "invalid"


@pytest.mark.parametrize("query", ["&page_size=0", "&page_size=abc", "&cursor=%25%25", "&from_date=yesterday",
                                   "&parent_parcel_status=lost-in-space"])
def test_list_400_items_follow_both_schemas(client, auth, validators, query) -> None:
    """The list's 400 (undocumented upstream) uses the same items, the parameter as the field."""
    errors = assert_spec_400(client.get(LIST_URL + query, headers=auth), validators)
    name = query[1:].split("=")[0]
    assert any(e["field"] == name and e["source"] == {"parameter": name} for e in errors), errors


def test_partner_header_400_names_the_header(client, auth, return_body, validators) -> None:
    """An unknown Sendcloud-Partner-Id is a spec 400 naming the header."""
    response = client.post("/api/v3/returns", json=return_body(),
                           headers={**auth, "Sendcloud-Partner-Id": "00000000-0000-0000-0000-000000000000"})
    errors = assert_spec_400(response, validators)
    assert errors[0]["field"] == "Sendcloud-Partner-Id"


def test_other_v3_errors_carry_field_and_message_too(client, auth) -> None:
    """401 and 404 answers carry field and message beside the JSON:API members as well."""
    missing = client.get("/api/v3/returns/987654", headers=auth).json["errors"][0]
    assert missing["message"] == missing["detail"] and missing["field"] == "non_field_errors"
    unauthorised = client.get("/api/v3/returns/1").json["errors"][0]
    assert unauthorised["code"] == "authentication_failed" and unauthorised["field"] == "Authorization"


def test_announce_synchronously_keeps_its_documented_v2_400(client, auth, return_body) -> None:
    """announce-synchronously answers the v2-shaped 400 with string codes its spec documents."""
    response = client.post("/api/v3/returns/announce-synchronously", json=return_body(weight=None), headers=auth)
    assert response.status_code == 400 and set(response.json) == {"error"}
    assert response.json["error"]["code"] == "required"


# -- documented fields are stored and shown back; undocumented ones are ignored ---------------

FULL_ITEM = {
    "item_id": "line-1", "description": "Stroopwafels honey, box of 12", "quantity": 2,
    "weight": {"value": 0.45, "unit": "kg"}, "price": {"value": 9.95, "currency": "EUR"},
    "value": {"value": 9.95, "currency": "EUR"}, "hs_code": "190590", "origin_country": "NL", "sku": "SWH12",
    "product_id": "SW-HONEY-12", "return_reason_id": "26", "return_message": "Too sweet",
    "mid_code": "NLOZR92MEL", "material_content": "100% wheat", "intended_use": "Personal use",
    "manufacturer_product_id": "MPN-1", "manufacturer_product_id_std": "gtin", "variant_id": "V-12",
    "properties": {"flavour": "honey"},
}


def _missing(sent: Any, shown: Any, path: str = "") -> list[str]:
    """Every value of `sent` that `shown` does not hold at the same place."""
    if isinstance(sent, dict):
        if not isinstance(shown, dict):
            return [path or "/"]
        return [m for key, value in sent.items() for m in _missing(value, shown.get(key), f"{path}/{key}")]
    if isinstance(sent, list):
        if not isinstance(shown, list) or len(shown) < len(sent):
            return [path]
        return [m for i, value in enumerate(sent) for m in _missing(value, shown[i], f"{path}/{i}")]
    return [] if sent == shown else [f"{path}: sent {sent!r}, shown {shown!r}"]


def test_documented_fields_are_shown_back_in_the_return(client, auth, return_body) -> None:
    """Every field the create documents and the Return documents comes back as sent."""
    body = return_body(parcel_items=[FULL_ITEM], dimensions={"length": 30, "width": 20, "height": 10, "unit": "cm"},
                       collo_count=1, send_tracking_emails=True, customs_invoice_nr="INV-7",
                       delivery_option="drop_off_point")
    body["ship_with"]["contract"] = 4242
    document = yaml.safe_load(SPEC_FILE.read_text(encoding="utf-8"))
    body["customs_information"] = document["components"]["schemas"]["parcel-customs-information"]["example"]
    created = client.post("/api/v3/returns", json=body, headers=auth)
    assert created.status_code == 201, created.json
    shown = client.get(f"/api/v3/returns/{created.json['return_id']}", headers=auth).json
    shared = {key: value for key, value in body.items() if key not in ("ship_with",)}
    assert _missing(shared, shown) == []
    assert shown["contract"] == 4242 and shown["shipping_option"] == {"code": "postnl:standard/return"}


def test_undocumented_fields_are_ignored(client, auth, return_body) -> None:
    """Fields no schema documents are accepted and ignored, as Django REST framework does."""
    body = return_body(colour="teal", from_address={**return_body()["from_address"], "floor": 3})
    body["parcel_items"][0]["gift_wrap"] = True
    created = client.post("/api/v3/returns", json=body, headers=auth)
    assert created.status_code == 201, created.json
    shown = client.get(f"/api/v3/returns/{created.json['return_id']}", headers=auth).json
    assert "colour" not in shown and "floor" not in shown["from_address"]
    assert "gift_wrap" not in shown["parcel_items"][0]
