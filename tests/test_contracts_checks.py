"""The kit's building blocks: drift classification, undocumented fields, generation, redaction, the spec diff."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml
from conftest import RETURN_BODY, UPSTREAM
from hypothesis import HealthCheck, given, settings

from contracts.checks import ERROR, INFO, schema_findings, unknown_fields
from contracts.contracts.bodies import names_field, tame
from contracts.contracts.generation import body_strategy, mutations
from contracts.redact import Redactor
from contracts.spec_diff import compare_with, load_document
from contracts.transport import WriteRefused, WsgiTransport
from mock_server.config import resource_dir
from mock_server.spec import ApiSpec

SPEC = ApiSpec(resource_dir("schemas"))
RETURN = {"$ref": "returns-v3/return.json"}
UPSTREAM_RETURNS = UPSTREAM / "sendcloud-v3-returns-openapi.yml"


def a_return(client, auth) -> dict:
    created = client.post("/api/v3/returns", json=RETURN_BODY, headers=auth).json
    return client.get(f"/api/v3/returns/{created['return_id']}", headers=auth).json


def kinds(findings) -> dict[str, tuple[str, str]]:
    return {f.path: (f.kind, f.severity) for f in findings}


def test_a_conforming_return_has_no_findings(client, auth) -> None:
    """The fake's own Return produces no finding at all."""
    assert schema_findings(SPEC, RETURN, a_return(client, auth), "GET /api/v3/returns/{id}") == []


def test_violations_are_classified_into_drift_kinds(client, auth) -> None:
    """required, type, enum, format and other violations map to their drift kinds, pointing at the field."""
    item = a_return(client, auth)
    del item["created_at"]
    item["is_cancellable"] = "yes"
    item["status"] = "teleported"
    item["delivered_at_iso"] = "yesterday"
    item["collo_count"] = 0
    item["from_address"]["country_code"] = 31
    found = kinds(schema_findings(SPEC, RETURN, item, "GET /api/v3/returns/{id}"))
    assert found == {
        "/created_at": ("missing_required", ERROR),
        "/is_cancellable": ("type_changed", ERROR),
        "/status": ("enum_value_unknown", ERROR),
        "/delivered_at_iso": ("format_invalid", ERROR),
        "/collo_count": ("constraint_violated", ERROR),
        "/from_address/country_code": ("type_changed", ERROR),
    }


def test_undocumented_fields_are_info_at_any_depth(client, auth) -> None:
    """New members are found in nested objects and list items, and are info, not errors."""
    item = a_return(client, auth)
    item["carbon_footprint_g"] = 412
    item["from_address"]["what3words"] = "index.home.raft"
    item["parcel_items"][0]["colour"] = "blue"
    findings = schema_findings(SPEC, RETURN, item, "GET /api/v3/returns/{id}")
    assert kinds(findings) == {
        "/carbon_footprint_g": ("unknown_field", INFO),
        "/from_address/what3words": ("unknown_field", INFO),
        "/parcel_items/0/colour": ("unknown_field", INFO),
    }


def test_free_form_objects_are_not_reported() -> None:
    """Members of objects the schema leaves open (a service point's extra_data) are not undocumented fields."""
    point = {"id": 1, "extra_data": {"anything": True}}
    assert list(unknown_fields(SPEC, {"$ref": "service-points/service-point.json"}, point)) == []


@given(body=body_strategy(SPEC, "returns-v3/create-return-request.json"))
@settings(max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_generated_bodies_are_valid(body) -> None:
    """Every generated create body passes our schema, also after collo_count is capped."""
    validator = SPEC.validator({"$ref": "returns-v3/create-return-request.json"})
    assert validator.is_valid(body)
    assert validator.is_valid(tame(copy.deepcopy(body)))


def test_mutations_break_exactly_the_named_field(client, auth) -> None:
    """Each mutation of a valid body is refused by the fake with a 400 naming the mutated pointer."""
    found = mutations(SPEC, "returns-v3/create-return-request.json", RETURN_BODY)
    described = {what for what, _, _ in found}
    assert {"drop required /from_address/city", "drop required /weight"} <= described
    assert any(what.startswith("wrong type at /weight/value") for what in described)
    for what, target, body in found[::5]:
        answer = client.post("/api/v3/returns", json=body, headers=auth)
        assert answer.status_code == 400, what
        assert names_field(answer.json, target), (what, answer.json)


def test_redaction_masks_credentials_and_tokens() -> None:
    """The key, the secret, their Basic encoding and JWTs never survive redaction."""
    redact = Redactor()
    redact.add_pair("my-key-123", "s3cret-value-456")
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
    text = ("curl -H 'Authorization: Basic bXkta2V5LTEyMzpzM2NyZXQtdmFsdWUtNDU2' "
            f"key=my-key-123 secret=s3cret-value-456 token={jwt}")
    clean = redact(text)
    for secret in ("s3cret-value-456", "my-key-123", "bXkta2V5LTEyMzpzM2NyZXQtdmFsdWUtNDU2", jwt):
        assert secret not in clean


def test_read_only_transport_refuses_writes(app) -> None:
    """A read-only transport raises before sending a POST or PATCH."""
    transport = WsgiTransport(app, "test_api_key_stroopwafel", "test_api_secret_stroopwafel", read_only=True)
    with pytest.raises(WriteRefused):
        transport.request("POST", "/api/v3/returns", json=RETURN_BODY)
    with pytest.raises(WriteRefused):
        transport.request("PATCH", "/api/v3/returns/1/cancel")
    assert transport.sent == []


@pytest.mark.skipif(not UPSTREAM_RETURNS.is_file(), reason="upstream reference not beside the project")
def test_spec_diff_reports_known_differences_as_info() -> None:
    """Against Sendcloud's published v3 document our extra Return id is a known, info-only difference."""
    report = compare_with(SPEC, load_document(UPSTREAM_RETURNS), "upstream")
    found = {(f.endpoint, f.path, f.kind): f for f in report.findings}
    extra_id = found[("returns-v3/return.json", "/id", "field_removed")]
    assert extra_id.severity == INFO and "known" in extra_id.detail
    assert report.errors == [] and report.exit_code() == 0


@pytest.mark.skipif(not UPSTREAM_RETURNS.is_file(), reason="upstream reference not beside the project")
def test_spec_diff_reports_upstream_changes(tmp_path: Path) -> None:
    """An upstream document with a new field, a new enum value and a new required field is reported."""
    document = yaml.safe_load(UPSTREAM_RETURNS.read_text(encoding="utf-8"))
    schema = document["components"]["schemas"]["Return"]
    schema["properties"]["carbon_footprint_g"] = {"type": "integer"}
    schema["properties"]["status"]["enum"].append("teleported")
    schema.setdefault("required", []).append("order_number")
    report = compare_with(SPEC, document, "newer")
    found = {(f.path, f.kind): f.severity for f in report.findings if f.endpoint == "returns-v3/return.json"}
    assert found[("/carbon_footprint_g", "field_added")] == INFO
    assert found[("/status", "enum_value_added")] == ERROR
    assert found[("", "required_added")] == ERROR
    assert report.exit_code() == 1


@pytest.mark.skipif(not UPSTREAM_RETURNS.is_file(), reason="upstream reference not beside the project")
def test_spec_diff_reports_an_export_reason_our_enum_lacks() -> None:
    """A derived upstream copy with one more export_reason value is reported as an error-level drift."""
    document = yaml.safe_load(UPSTREAM_RETURNS.read_text(encoding="utf-8"))
    text = json.dumps(document)
    assert '"personal_use"' in text
    document = json.loads(text.replace('"personal_use"', '"personal_use", "diplomatic_pouch"'))
    report = compare_with(SPEC, document, "derived")
    added = [f for f in report.findings if f.kind == "enum_value_added" and "diplomatic_pouch" in f.detail]
    assert added and all(f.severity == ERROR for f in added)
    assert report.exit_code() == 1
