"""What the fake answers validates against Sendcloud's own published v3 Returns OpenAPI schemas."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest
import yaml
from conftest import LIST_URL, UPSTREAM
from flask import Flask, Response, g, request
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

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


# ==========================================================================================
# Conformance, measured: every answer of every served operation against the newest upstream
# files (the v3 Returns spec; the v2 Returns and Service points spec, nullable-aware).
# ==========================================================================================

V2_FILE = UPSTREAM / "sendcloud-v2-openapi-merged.json"
PORTAL_PREFIX = "/api/v2/brand/"
PORTAL_ERROR = "/components/responses/400/content/application~1json/schema"

# Reviewed differences: an answer matching one is counted as an exception, not a violation.
# Keys: (our operation id, status, JSON path of the failing value with indexes as '*', validator);
# a path of None stands for "the status itself is not documented upstream".
EXCEPTIONS: dict[tuple[str, int, str | None, str | None], str] = {
    ("returns_v3_list", 400, None, None):
        "upstream documents no 400 for the list; production answers one for a bad page_size, cursor, date or "
        "status filter, in the same `errors` shape as create",
    ("returns_v3_list", 401, None, None): "upstream documents no 401 anywhere; the body is the v3 `errors` shape",
    ("returns_v3_create", 401, None, None): "as the list's 401",
    ("returns_v3_retrieve", 401, None, None): "as the list's 401",
    ("returns_v3_cancel", 401, None, None): "as the list's 401",
    ("returns_v3_validate", 401, None, None): "as the list's 401",
    ("returns_v3_announce_synchronously", 401, None, None): "as the list's 401",
    ("returns_v3_list", 200, "next", "type"): "null on the last page, as production sends; upstream types it string",
    ("returns_v3_list", 200, "previous", "type"): "null on the first page, as production sends",
    ("returns_v2_list", 401, None, None): "upstream documents no 401; the body is the v2 error with code 401",
    ("returns_v2_retrieve", 401, None, None): "as the list's 401",
    ("returns_v2_list", 400, None, None): "a forged cursor; upstream documents only 200 for the list",
    ("service_points_search", 401, None, None): "upstream documents no 401; the body is the v2 error with code 401",
    ("service_points_retrieve", 401, None, None): "as the search's 401",
    ("service_points_retrieve", 400, None, None): "a bad access_token parameter; upstream documents 200 and 404",
    ("service_points_search", 403, None, None): "a token of another brand; upstream documents 200 and 400",
}


def _nullable_aware(node: Any) -> Any:
    """OpenAPI `nullable: true` as JSON Schema: the type admits null (both upstream files use it)."""
    if isinstance(node, dict):
        out = {key: _nullable_aware(value) for key, value in node.items()}
        if out.pop("nullable", False) is True:
            if isinstance(out.get("type"), str):
                out["type"] = [out["type"], "null"]
            elif "type" not in out:
                out = {"anyOf": [out, {"type": "null"}]}
        return out
    if isinstance(node, list):
        return [_nullable_aware(value) for value in node]
    return node


@dataclass
class UpstreamFile:
    """One upstream OpenAPI file, ready to validate our answers against its responses."""

    name: str
    prefix: str
    document: dict[str, Any]
    # The v2 merge was down-converted to OpenAPI 3.0 and lost `type: [x, "null"]`: a null it
    # refuses is unknown, not a violation.
    null_unknown: bool

    def __post_init__(self) -> None:
        self.uri = f"https://upstream.invalid/{self.name}"
        self.registry = Registry().with_resource(
            self.uri, Resource.from_contents(self.document, default_specification=DRAFT202012))
        self.templates = {re.sub(r"\{[^}]+\}", "{}", path): path for path in self.document["paths"]}

    def response(self, method: str, path: str, status: int) -> tuple[bool, str | None]:
        """Whether upstream documents this status here, and the pointer of its JSON schema if any."""
        key = re.sub(r"\{[^}]+\}", "{}", path.removeprefix(self.prefix).rstrip("/") or "/")
        upstream_path = self.templates.get(key)
        if upstream_path is None:
            raise KeyError(path)
        escaped = upstream_path.replace("~", "~0").replace("/", "~1")
        pointer = f"/paths/{escaped}/{method.lower()}/responses"
        responses = self.document["paths"][upstream_path][method.lower()]["responses"]
        answer = responses.get(str(status))
        if answer is None:
            return False, None
        pointer += f"/{status}"
        if "$ref" in answer:
            pointer = answer["$ref"][1:]
            answer = _follow(self.document, pointer)
        if "schema" not in answer.get("content", {}).get("application/json", {}):
            return True, None
        return True, pointer + "/content/application~1json/schema"

    def errors(self, pointer: str, body: Any) -> tuple[list[Any], int]:
        """Violations of the schema at pointer, and how many nulls were unknown rather than wrong."""
        validator = Draft202012Validator({"$ref": f"{self.uri}#{pointer}"}, registry=self.registry,
                                         format_checker=Draft202012Validator.FORMAT_CHECKER)
        found, unknown = [], 0
        for error in validator.iter_errors(body):
            if self.null_unknown and error.instance is None and error.validator in ("type", "enum"):
                unknown += 1
            else:
                found.append(error)
        return found, unknown


def _follow(document: dict[str, Any], pointer: str) -> Any:
    node: Any = document
    for part in pointer.strip("/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


@dataclass
class Tally:
    checked: int = 0
    unknown_nulls: int = 0
    without_schema: int = 0
    exceptions: dict[tuple[Any, ...], int] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    operations: set[str] = field(default_factory=set)


def _star(path: Iterable[Any]) -> str:
    return ".".join("*" if isinstance(p, int) else str(p) for p in path)


def check_answers(answers: list[tuple[str, str, str, int, Any]], files: list[UpstreamFile]) -> Tally:
    """Validate each recorded (operation id, method, path template, status, body) against its upstream file."""
    tally = Tally()
    portal_errors = next((f for f in files if f.name == "returns-v3.yml"), None)
    for operation_id, method, path, status, body in answers:
        if path.startswith(PORTAL_PREFIX) and status >= 400 and portal_errors is not None:
            # The v3 Returns file documents the Return portal's error body (components/responses/400).
            tally.checked += 1
            tally.operations.add(operation_id)
            errors, _ = portal_errors.errors(PORTAL_ERROR, body)
            if errors:
                tally.violations.append(f"{method} {path} {status}: " + "; ".join(e.message[:160] for e in errors))
            continue
        upstream = next((f for f in files if path.startswith(f.prefix)), None)
        if upstream is None:
            continue
        try:
            documented, pointer = upstream.response(method, path, status)
        except KeyError:
            continue
        tally.checked += 1
        tally.operations.add(operation_id)
        if not documented:
            key: tuple[Any, ...] = (operation_id, status, None, None)
            if key in EXCEPTIONS:
                tally.exceptions[key] = tally.exceptions.get(key, 0) + 1
            else:
                tally.violations.append(f"{method} {path} {status}: status not documented upstream")
            continue
        if pointer is None:
            tally.without_schema += 1
            continue
        errors, unknown = upstream.errors(pointer, body)
        tally.unknown_nulls += unknown
        wrong = []
        for error in errors:
            key = (operation_id, status, _star(error.absolute_path), error.validator)
            if key in EXCEPTIONS:
                tally.exceptions[key] = tally.exceptions.get(key, 0) + 1
            else:
                wrong.append(f"{list(error.absolute_path)} {error.validator}: {error.message[:160]}")
        if wrong:
            tally.violations.append(f"{method} {path} {status}: " + "; ".join(wrong[:5]))
    return tally


@pytest.fixture
def recorded(app: Flask) -> list[tuple[str, str, str, int, Any]]:
    """Every JSON answer of a documented operation this test's app gives, with its operation."""
    answers: list[tuple[str, str, str, int, Any]] = []
    operations = app.extensions["sendcloud_mock"].spec.operations

    @app.after_request
    def _record(response: Response) -> Response:
        view = app.view_functions.get(request.endpoint or "")
        operation_id = getattr(g, "operation_id", None) or getattr(view, "operation_id", None)
        op = operations.get(operation_id) if operation_id else None
        if op is not None and response.mimetype == "application/json":
            answers.append((op.operation_id, op.method, op.path, response.status_code,
                            json.loads(response.get_data(as_text=True))))
        return response

    return answers


def _drive_every_operation(client: Any, auth: dict[str, str], return_body: Any, advance: Any) -> None:
    """Requests reaching every served operation that has an upstream counterpart, in its answers' variety."""
    v3 = "/api/v3/returns"
    swiss = {"name": "Lea Meier", "address_line_1": "Bahnhofstrasse", "house_number": "1", "postal_code": "8001",
             "city": "Zürich", "country_code": "CH"}
    swiss_items = [{"description": "Watch strap", "quantity": 1, "hs_code": "9113.90", "origin_country": "CH",
                    "price": {"value": 40, "currency": "EUR"}}]
    plain_item = {k: v for k, v in return_body()["parcel_items"][0].items() if k != "return_reason_id"}
    changes: list[dict[str, Any]] = [
        {}, {"collo_count": 2}, {"weight": {"value": 40, "unit": "kg"}},
        {"parcel_items": [plain_item], "order_number": None},
        {"from_address": swiss, "parcel_items": swiss_items, "customs_invoice_nr": "INV-1"},
    ]
    created = []
    for change in changes:
        answer = client.post(v3, json=return_body(**change), headers=auth)
        assert answer.status_code == 201, answer.json
        created.append(answer.json["return_id"])
    cancelled = [client.post(v3, json=return_body(), headers=auth).json["return_id"] for _ in range(2)]
    for rid in cancelled:
        client.patch(f"{v3}/{rid}/cancel", headers=auth)
        client.patch(f"{v3}/{rid}/cancel/", headers=auth)
    created += cancelled
    for bad in ({"weight": None}, {"collo_count": "two"}, {"delivery_option": "by_pigeon"}, {"brand_id": 999},
                {"weight": {"value": -1, "unit": "kg"}}):
        client.post(v3, json=return_body(**bad), headers=auth)
        client.post(v3 + "/validate", json=return_body(**bad), headers=auth)
        client.post(v3 + "/announce-synchronously", json=return_body(**bad), headers=auth)
    client.post(v3, data=b"{", headers={**auth, "Content-Type": "application/json"})
    client.post(v3 + "/validate", json=return_body(), headers=auth)
    client.post(v3 + "/announce-synchronously", json=return_body(), headers=auth)
    client.post(v3 + "/announce-synchronously", json=return_body(weight={"value": 40, "unit": "kg"}), headers=auth)
    lists = ["", "&page_size=2", "&parent_parcel_status=ready-to-send", "&page_size=0", "&cursor=%25%25",
             "&from_date=yesterday"]
    for moment in (0, 10, 200_000):
        advance(moment)
        for rid in created:
            client.get(f"{v3}/{rid}", headers=auth)
            client.get(f"/api/v2/returns/{rid}", headers=auth)
        for query in lists:
            client.get(LIST_URL + query, headers=auth)
        client.get("/api/v2/returns", headers=auth)
        client.get("/api/v2/returns?page_size=2", headers=auth)
    for missing in (f"{v3}/987654", f"{v3}/987654/cancel", "/api/v2/returns/987654"):
        client.get(missing, headers=auth) if "cancel" not in missing else client.patch(missing, headers=auth)
    client.get(f"{v3}/{created[0]}")
    client.get("/api/v2/returns", headers={"Authorization": "Basic eDp5"})
    client.get("/api/v2/returns?cursor=%25%25", headers=auth)
    # The Return portal's refusals, in the error body the v3 Returns file documents for it.
    portal = "/api/v2/brand/stroopwafel-co/return-portal"
    client.get(portal + "/outgoing", query_string={"postal_code": "9999 ZZ", "identifier": "3SSCRT10493821"})
    client.get(portal + "/outgoing", query_string={"postal_code": "3511 AZ", "identifier": "NOPE"})
    client.get(portal + "/outgoing", query_string={"identifier": "3SSCRT10493821"})
    client.get("/api/v2/brand/nobody/return-portal")
    client.get(portal + "?language=xx-XX")
    client.post(portal + "/incoming", json={}, headers={"Authorization": "Bearer not-a-token"})
    client.get(portal + "/label/polling", query_string={"token": "not-a-token"})
    # Service points, with the portal's token and every search the spec documents.
    token = client.get("/api/v2/brand/stroopwafel-co/return-portal/outgoing",
                       query_string={"postal_code": "3511 AZ", "identifier": "3SSCRT10493821"}).json[
        "service_points_token"]
    searches = [{"latitude": "52.0907", "longitude": "5.1214", "radius": 3000}, {"city": "Utrecht"},
                {"postal_code": "3511 AZ", "carrier": "postnl"}, {"address": "Oudegracht 158 Utrecht"},
                {"ne_latitude": 52.12, "ne_longitude": 5.16, "sw_latitude": 52.06, "sw_longitude": 5.08},
                {"city": "Utrecht", "general_shop_type": "locker"}, {}, {"latitude": "north", "longitude": "5"},
                {"radius": 10}]
    found: list[dict[str, Any]] = []
    for search in searches:
        answer = client.get("/api/v2/service-points/", query_string={"access_token": token, "country": "NL",
                                                                      **search})
        if answer.status_code == 200 and isinstance(answer.json, list):
            found.extend(answer.json[:3])
    client.get("/api/v2/service-points/", query_string={"country": "NL", "city": "Utrecht"})
    for point in found[:6]:
        client.get(f"/api/v2/service-points/{point['id']}", query_string={"access_token": token})
        client.get(f"/api/v2/service-points/{point['id']}/check-availability", query_string={"access_token": token})
    client.get("/api/v2/service-points/987654321", query_string={"access_token": token})
    client.get("/api/v2/service-points/987654321/check-availability", query_string={"access_token": token})
    client.get("/api/v2/carriers", query_string={"access_token": token})
    client.get("/api/v2/carriers", headers=auth)


def test_every_answer_conforms_to_the_newest_upstream_files(client, auth, return_body, advance, recorded,
                                                            upstream) -> None:
    """Each answer of each served operation with an upstream counterpart validates against it.

    Statuses upstream does not document, and the reviewed differences, are exceptions listed in
    EXCEPTIONS with their reason; anything else is a violation. The figures go in the README.
    """
    if not V2_FILE.exists():
        pytest.skip("the v2 upstream file is not beside the project")
    files = [UpstreamFile("returns-v3.yml", "/api/v3", upstream, null_unknown=False),
             UpstreamFile("v2-merged.json", "/api/v2", json.loads(V2_FILE.read_text(encoding="utf-8")),
                          null_unknown=True)]
    _drive_every_operation(client, auth, return_body, advance)
    tally = check_answers(recorded, files)
    per_operation: dict[tuple[str, int], int] = {}
    for operation_id, _, _, status, _ in recorded:
        per_operation[(operation_id, status)] = per_operation.get((operation_id, status), 0) + 1
    print("\n" + "\n".join(f"  {op} {status}: {count}" for (op, status), count in sorted(per_operation.items())))
    print(f"\nupstream conformance: {tally.checked} responses checked over {len(tally.operations)} operations, "
          f"{len(tally.violations)} violations, {sum(tally.exceptions.values())} reviewed exceptions "
          f"({len(tally.exceptions)} kinds), {tally.without_schema} without an upstream schema, "
          f"{tally.unknown_nulls} nulls unknown to the v2 file")
    assert tally.violations == []
    served = {op.operation_id for op in client.application.extensions["sendcloud_mock"].spec.operations.values()
              if any(op.path.startswith(f.prefix) and _maps(f, op) for f in files)}
    assert served - tally.operations == set(), "served operations with an upstream counterpart but no answer checked"
    assert tally.checked >= 100


def _maps(upstream: UpstreamFile, op: Any) -> bool:
    try:
        upstream.response(op.method, op.path, 200)
    except KeyError:
        return False
    return True


def test_conformance_check_can_fail(upstream) -> None:
    """A Return without its required fields, and an undocumented status, are counted as violations."""
    files = [UpstreamFile("returns-v3.yml", "/api/v3", upstream, null_unknown=False)]
    tally = check_answers([("returns_v3_retrieve", "GET", "/api/v3/returns/{id}", 200, {"status": 12}),
                           ("returns_v3_retrieve", "GET", "/api/v3/returns/{id}", 418, {})], files)
    assert tally.checked == 2 and len(tally.violations) == 2


def test_v2_nulls_are_unknown_not_wrong() -> None:
    """In the v2 file a null where upstream says string is unknown; a number there is a violation."""
    if not V2_FILE.exists():
        pytest.skip("the v2 upstream file is not beside the project")
    files = [UpstreamFile("v2-merged.json", "/api/v2", json.loads(V2_FILE.read_text(encoding="utf-8")),
                          null_unknown=True)]
    document = json.loads(V2_FILE.read_text(encoding="utf-8"))
    example = document["paths"]["/service-points"]["get"]["responses"]["200"]["content"]["application/json"]
    point = {**example["examples"]["RetrieveServicePoints"]["value"][0], "name": None}
    tally = check_answers([("service_points_retrieve", "GET", "/api/v2/service-points/{id}", 200, point)], files)
    assert tally.violations == [] and tally.unknown_nulls >= 1
    tally = check_answers([("service_points_retrieve", "GET", "/api/v2/service-points/{id}", 200,
                            {**point, "name": 12})], files)
    assert len(tally.violations) == 1


# -- drift --spec against the files with schema pairs -------------------------------------


def test_spec_drift_against_v3_returns_and_v2_merged(tmp_path, capsys) -> None:
    """`drift --spec` against the v3 Returns file and the v2 merged file finds no error-level drift,
    compares the v2 pairs with the v2 file, and files its lost nulls and required lists as info."""
    from contracts.cli import main

    if not V2_FILE.exists():
        pytest.skip("the v2 upstream file is not beside the project")
    report = tmp_path / "spec.json"
    code = main(["drift", "--spec", str(SPEC_FILE), "--spec", str(V2_FILE), "--report", str(report)])
    capsys.readouterr()
    data = json.loads(report.read_text(encoding="utf-8"))
    errors = [f for f in data["findings"] if f["severity"] == "error"]
    assert code == 0 and errors == []
    compared = {(e["endpoint"], e["upstream"]) for e in data["endpoints"]}
    assert ("service-points/service-point.json", "#/components/schemas/service-point") in compared
    assert ("returns-v2/return.json", "#/components/schemas/Return") in compared
    assert ("returns-v3/return.json", "#/components/schemas/Return") in compared
    assert any("lost its `type: [x, null]` unions" in f["detail"] for f in data["findings"])


def test_spec_drift_reports_a_v2_type_change(tmp_path, capsys) -> None:
    """A derived v2 file where a service point's distance became a string is an error finding (exit 1)."""
    from contracts.cli import main

    if not V2_FILE.exists():
        pytest.skip("the v2 upstream file is not beside the project")
    document = json.loads(V2_FILE.read_text(encoding="utf-8"))
    document["components"]["schemas"]["service-point"]["properties"]["distance"] = {"type": "string"}
    derived = tmp_path / "v2-derived.json"
    derived.write_text(json.dumps(document), encoding="utf-8")
    report = tmp_path / "spec.json"
    assert main(["drift", "--spec", str(derived), "--report", str(report)]) == 1
    capsys.readouterr()
    findings = json.loads(report.read_text(encoding="utf-8"))["findings"]
    assert {"endpoint": "service-points/service-point.json", "path": "/distance", "kind": "type_changed",
            "severity": "error"}.items() <= next(f for f in findings if f["path"] == "/distance"
                                                  and f["endpoint"] == "service-points/service-point.json").items()
