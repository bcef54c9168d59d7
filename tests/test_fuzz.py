"""Schemathesis over the served OpenAPI document, in process: no 5xx, answers as documented.

The app's own response validation is off here, so Schemathesis is the independent judge.
Business-rule refusals of schema-valid bodies (an unknown brand, customs) are legitimate
400s, so the positive-data check is left out; unknown query parameters are ignored as
Sendcloud's API does, so the negative-data check is left out too.
"""

from __future__ import annotations

import base64
import os
from collections import Counter
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.core.failures import FailureGroup

from mock_server import Settings, create_app
from mock_server.returns import representations

AUTH = {"Authorization": "Basic " + base64.b64encode(b"test_api_key_stroopwafel:test_api_secret_stroopwafel").decode()}
EXCLUDED = [schemathesis.checks.positive_data_acceptance, schemathesis.checks.negative_data_rejection]
# Examples per operation; benchmarks/fuzz.sh runs the same tests with many more.
EXAMPLES = int(os.environ.get("SENDCLOUD_MOCK_FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
# Generated requests sent, per operation: the figure the README reports.
CASES: Counter[str] = Counter()


def _app(tmp: Path):
    return create_app(Settings(db=str(tmp / "fuzz.sqlite3"), label_delay=0))


# Loaded at import: Schemathesis parametrizes at collection time. The store is a temporary file.
schema = schemathesis.openapi.from_wsgi("/openapi.json", create_app(Settings(label_delay=0)))


@schema.parametrize()
@FUZZ
def test_every_operation_holds_under_generated_input(case) -> None:
    """Generated requests (valid and invalid) never get a 5xx, and every answer matches its documentation."""
    CASES[case.operation.label] += 1
    case.call_and_validate(headers=AUTH, excluded_checks=EXCLUDED)


def test_fuzzing_catches_a_broken_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the Return view broken (status_history dropped), the same checks fail."""
    app = _app(tmp_path)
    client = app.test_client()
    created = client.post("/api/v3/returns", headers=AUTH, json={
        "from_address": {"name": "A", "address_line_1": "B", "postal_code": "1013 AB", "city": "C",
                         "country_code": "NL"},
        "to_address": {"name": "A", "address_line_1": "B", "postal_code": "1013 AB", "city": "C", "country_code": "NL"},
        "ship_with": {"shipping_product_code": "postnl:standard/return"}, "weight": {"value": 1, "unit": "kg"}})
    assert created.status_code == 201
    original = representations.v3_return

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


def test_enough_cases_were_generated() -> None:
    """The fuzzing above sent at least 2,000 requests over every documented operation (when it ran whole)."""
    if not CASES:
        pytest.skip("the fuzz tests did not run in this session")
    documented = {op.label for op in schema.get_all_operations() if hasattr(op, "label")} if hasattr(
        schema, "get_all_operations") else set(CASES)
    print(f"\nfuzz cases: {sum(CASES.values())} over {len(CASES)} operations")
    if len(CASES) < len(documented) or EXAMPLES < 60:
        pytest.skip("only part of the fuzz tests ran")
    assert sum(CASES.values()) >= 2000


# -- Sendcloud's own published v3 Returns OpenAPI, against the paths the fake serves -------

UPSTREAM_SPEC = (Path(__file__).resolve().parents[2] / "shared" / "reference" / "upstream"
                 / "sendcloud-v3-returns-openapi.yml")


def _upstream_schema():
    import yaml

    document = yaml.safe_load(UPSTREAM_SPEC.read_text(encoding="utf-8"))
    document["servers"] = [{"url": "/api/v3"}]
    loaded = schemathesis.openapi.from_dict(document)
    loaded.app = create_app(Settings(label_delay=0))
    return loaded


upstream = _upstream_schema() if UPSTREAM_SPEC.exists() else None


def _sendcloud_error_format(ctx, response, case) -> None:
    """Every 4xx is JSON in one of Sendcloud's error formats."""
    if 400 <= response.status_code < 500:
        body = response.json()
        assert isinstance(body, dict) and ("errors" in body or "error" in body), body


if upstream is not None:

    @upstream.parametrize()
    @FUZZ
    def test_upstream_spec_cases_never_break_the_fake(case) -> None:
        """Requests generated from Sendcloud's own spec never get a 5xx, and 4xx answers are Sendcloud errors."""
        CASES["upstream " + case.operation.label] += 1
        response = case.call(headers=AUTH)
        assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:300])
        _sendcloud_error_format(None, response, case)
