"""What the fake answers validates against Sendcloud's own published v3 Returns OpenAPI schemas."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from conftest import LIST_URL, UPSTREAM

SPEC_FILE = UPSTREAM / "sendcloud-v3-returns-openapi.yml"
if not SPEC_FILE.exists():
    pytest.skip("the upstream reference files are not beside the project", allow_module_level=True)

URI = "https://upstream.invalid/returns.yml"


@pytest.fixture(scope="module")
def upstream() -> dict[str, Any]:
    return yaml.safe_load(SPEC_FILE.read_text(encoding="utf-8"))


def _validator(upstream: dict[str, Any], pointer: str) -> Draft202012Validator:
    registry = Registry().with_resource(URI, Resource.from_contents(upstream, default_specification=DRAFT202012))
    return Draft202012Validator({"$ref": f"{URI}#{pointer}"}, registry=registry,
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


def _errors(validator: Draft202012Validator, instance: Any) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message[:160]}" for e in validator.iter_errors(instance)]


def test_format_checker_really_checks_date_time() -> None:
    """The checker used below refuses a malformed date-time (so the test can fail)."""
    checker = Draft202012Validator.FORMAT_CHECKER
    assert not checker.conforms("2022-13-45 25:00", "date-time")


def test_return_in_every_state_matches_upstream_return(client, auth, create_return, advance, upstream) -> None:
    """A return announcing, announced, delivered, cancelled and multi-collo validates as upstream's Return."""
    validator = _validator(upstream, "/components/schemas/Return")
    cancelled = create_return()["return_id"]
    client.patch(f"/api/v3/returns/{cancelled}/cancel", headers=auth)
    ids = [create_return()["return_id"], create_return(collo_count=2)["return_id"], cancelled]
    seen = [client.get(f"/api/v3/returns/{rid}", headers=auth).json for rid in ids]
    advance(10)
    seen += [client.get(f"/api/v3/returns/{rid}", headers=auth).json for rid in ids]
    advance(200_000)
    seen += [client.get(f"/api/v3/returns/{rid}", headers=auth).json for rid in ids]
    for body in seen:
        assert _errors(validator, body) == []


def test_list_create_cancel_match_upstream_responses(client, auth, return_body, upstream) -> None:
    """The 201 create, the list page and the 202/409 cancel answers match upstream's inline schemas."""
    paths = upstream["paths"]
    created = client.post("/api/v3/returns", json=return_body(), headers=auth)
    create_schema = paths["/returns"]["post"]["responses"]["201"]["content"]["application/json"]["schema"]
    assert _errors(_validator(upstream, "/paths/~1returns/post/responses/201/content/application~1json/schema"),
                   created.json) == [], create_schema
    listed = client.get(LIST_URL, headers=auth).json
    listed_schema = _validator(upstream, "/paths/~1returns/get/responses/200/content/application~1json/schema")
    # Upstream types next/previous as strings; on the last page Sendcloud (and the fake) send null.
    assert _errors(listed_schema, {**listed, "next": "x", "previous": "y"}) == []
    rid = created.json["return_id"]
    accepted = client.patch(f"/api/v3/returns/{rid}/cancel", headers=auth)
    conflict = client.patch(f"/api/v3/returns/{rid}/cancel", headers=auth)
    cancel = "/paths/~1returns~1{id}~1cancel/patch/responses"
    assert _errors(_validator(upstream, cancel + "/202/content/application~1json/schema"), accepted.json) == []
    assert _errors(_validator(upstream, cancel + "/409/content/application~1json/schema"), conflict.json) == []


def test_validation_answer_matches_upstream(client, auth, return_body, upstream) -> None:
    """The validate answer is a valid upstream ReturnValidation."""
    answer = client.post("/api/v3/returns/validate", json=return_body(
        dimensions={"length": 30, "width": 20, "height": 10, "unit": "cm"}), headers=auth).json
    assert _errors(_validator(upstream, "/components/schemas/ReturnValidation"), answer) == []


def test_errors_match_upstream_error_object(client, auth, return_body, upstream) -> None:
    """A 400 answer's errors are upstream ErrorObjects."""
    body = return_body(weight=None)
    response = client.post("/api/v3/returns", json=body, headers=auth)
    validator = _validator(upstream, "/components/schemas/ErrorObject")
    for error in response.json["errors"]:
        assert _errors(validator, error) == []


def test_upstream_examples_are_accepted(client, auth, upstream) -> None:
    """Upstream's own create examples are accepted by the fake (brand 1 swapped for a fixture brand)."""
    examples = upstream["components"]["requestBodies"]["CreateReturn"]["content"]["application/json"]["examples"]
    for name, example in examples.items():
        body = {**example["value"], "brand_id": 101}
        response = client.post("/api/v3/returns", json=body, headers=auth)
        assert response.status_code == 201, (name, response.json)
