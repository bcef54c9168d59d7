"""Schemathesis over the served OpenAPI document, in process: no 5xx, answers as documented.

The app's own response validation is off here, so Schemathesis is the independent judge.
Business-rule refusals of schema-valid bodies (an unknown brand, customs) are legitimate
400s, so the positive-data check is left out; unknown query parameters are ignored as
Sendcloud's API does, so the negative-data check is left out too.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.core.failures import FailureGroup

from mock_server import Settings, create_app
from mock_server.returns import views

AUTH = {"Authorization": "Basic " + base64.b64encode(b"test_api_key_stroopwafel:test_api_secret_stroopwafel").decode()}
EXCLUDED = [schemathesis.checks.positive_data_acceptance, schemathesis.checks.negative_data_rejection]
FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)


def _app(tmp: Path):
    return create_app(Settings(db=str(tmp / "fuzz.sqlite3"), label_delay=0))


# Loaded at import: Schemathesis parametrizes at collection time. The store is a temporary file.
schema = schemathesis.openapi.from_wsgi("/openapi.json", create_app(Settings(label_delay=0)))


@schema.parametrize()
@FUZZ
def test_every_operation_holds_under_generated_input(case) -> None:
    """Generated requests (valid and invalid) never get a 5xx, and every answer matches its documentation."""
    case.call_and_validate(headers=AUTH, excluded_checks=EXCLUDED)


def test_fuzzing_catches_a_broken_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the Return view broken (status_history dropped), the same checks fail."""
    app = _app(tmp_path)
    client = app.test_client()
    created = client.post("/api/v3/returns", headers=AUTH, json={
        "from_address": {"name": "A", "address_line_1": "B", "postal_code": "1013 AB", "city": "C", "country_code": "NL"},
        "to_address": {"name": "A", "address_line_1": "B", "postal_code": "1013 AB", "city": "C", "country_code": "NL"},
        "ship_with": {"shipping_product_code": "postnl:standard/return"}, "weight": {"value": 1, "unit": "kg"}})
    assert created.status_code == 201
    original = views.v3_return

    def broken(*args, **kwargs):
        view = original(*args, **kwargs)
        view.pop("status_history")
        return view

    monkeypatch.setattr("mock_server.returns.v3.v3_return", broken)
    operation = schemathesis.openapi.from_wsgi("/openapi.json", app)["/api/v3/returns"]["GET"]

    @given(case=operation.as_strategy())
    @FUZZ
    def run(case) -> None:
        case.query = {"from_date": "2000-01-01 00:00:00", "to_date": "2100-01-01 00:00:00"}
        case.call_and_validate(headers=AUTH, excluded_checks=EXCLUDED)

    with pytest.raises(FailureGroup, match="status_history"):
        run()
