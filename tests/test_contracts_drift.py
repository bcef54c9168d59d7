"""`sendcloud-contracts drift`: quiet against the fake, loud against a drifted stand-in, and --spec."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import RETURN_BODY, UPSTREAM, basic

from contracts.cli import main
from contracts.testing import DRIFTS, ServedApp, drifted
from mock_server import Settings, create_app

KEY, SECRET = "test_api_key_stroopwafel", "test_api_secret_stroopwafel"
CREDENTIALS = ["--api-key", KEY, "--api-secret", SECRET]
PORTAL = ["--brand-domain", "stroopwafel-co", "--tracking-number", "3SSCRT10493821", "--postal-code", "3511 AZ"]
SCRIPT = Path(sys.executable).with_name("sendcloud-contracts")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One fake with an announced return, served as itself and as a drifted production stand-in."""
    app = create_app(Settings(db=str(tmp_path_factory.mktemp("drift") / "store.sqlite3")))
    client = app.test_client()
    created = client.post("/api/v3/returns", json=RETURN_BODY, headers=basic(KEY, SECRET))
    assert created.status_code == 201
    client.post("/__admin/clock/advance", json={"seconds": 11})
    with ServedApp(app) as fake, ServedApp(drifted(app)) as production:
        yield {"fake": fake.url, "production": production.url, "return_id": str(created.json["return_id"])}


def read(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def test_drift_against_the_fake_exits_0(world: dict[str, Any], tmp_path: Path) -> None:
    """The installed console script finds nothing against the fake and reaches the list, detail, label and portal."""
    report = tmp_path / "drift.json"
    result = subprocess.run([str(SCRIPT), "drift", "--base-url", world["fake"], "--report", str(report)],
                            capture_output=True, text=True, timeout=120,
                            env={"SENDCLOUD_API_KEY": KEY, "SENDCLOUD_API_SECRET": SECRET, "PATH": ""})
    assert result.returncode == 0, result.stdout + result.stderr
    data = read(report)
    assert data["findings"] == [] and data["summary"]["errors"] == 0
    reached = {e["endpoint"] for e in data["endpoints"]}
    assert {"GET /api/v3/returns", "GET /api/v3/returns/{id}", "GET /api/v2/returns/{id}",
            "GET /api/v3/parcels/{id}/documents/label", "GET /api/v2/service-points/{id}"} <= reached
    assert SECRET not in result.stdout + result.stderr + report.read_text()


def test_drift_against_a_drifted_api_names_each_field(world: dict[str, Any], tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """Removed required field, changed type, unknown enum value (errors) and a new field (info) are all named."""
    report, markdown, junit = tmp_path / "drift.json", tmp_path / "drift.md", tmp_path / "drift.xml"
    code = main(["drift", "--base-url", world["production"], *CREDENTIALS, *PORTAL, "--return-id", world["return_id"],
                 "--report", str(report), "--markdown", str(markdown), "--junit", str(junit)])
    out, err = capsys.readouterr()
    assert code == 1
    findings = {(f["endpoint"], f["path"]): (f["kind"], f["severity"]) for f in read(report)["findings"]}
    for name, (kind, _) in DRIFTS.items():
        severity = "info" if kind == "unknown_field" else "error"
        assert findings[("GET /api/v3/returns/{id}", f"/{name}")] == (kind, severity)
        assert findings[("GET /api/v3/returns", f"/data/0/{name}")] == (kind, severity)
        assert f"/{name}" in markdown.read_text()
    assert all(severity == "info" for (endpoint, _), (_, severity) in findings.items() if "v2" in endpoint)
    cases = ET.parse(junit).getroot().iter("testcase")
    failed = {case.get("name") for case in cases if case.find("failure") is not None}
    assert failed == {"GET /api/v3/returns", "GET /api/v3/returns/{id}"}
    for text in (out, err, report.read_text(), markdown.read_text(), junit.read_text()):
        assert SECRET not in text


def test_read_only_run_against_a_drifted_api_fails(world: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    """The read-only contracts fail against the stand-in and say which fields drifted."""
    code = main(["run", "--read-only", "--base-url", world["production"], *CREDENTIALS, *PORTAL,
                 "--return-id", world["return_id"], "--max-examples", "5"])
    out = capsys.readouterr().out
    assert code == 1
    assert "FAILED  retrieve_known_return" in out
    for name in ("created_at", "is_cancellable", "teleported"):
        assert name in out
    assert SECRET not in out


@pytest.mark.skipif(not (UPSTREAM / "sendcloud-v3-returns-openapi.yml").is_file(), reason="no upstream reference")
def test_spec_drift_against_the_published_documents(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--spec with Sendcloud's published documents reports our known extras as info and exits 0."""
    report, markdown = tmp_path / "spec.json", tmp_path / "spec.md"
    code = main(["drift", "--spec", str(UPSTREAM / "sendcloud-v3-returns-openapi.yml"),
                 "--spec", str(UPSTREAM / "sendcloud-v3-service-points-openapi.yml"),
                 "--report", str(report), "--markdown", str(markdown)])
    capsys.readouterr()
    assert code == 0
    findings = read(report)["findings"]
    extra_id = next(f for f in findings if f["endpoint"] == "returns-v3/return.json" and f["path"] == "/id")
    assert extra_id["kind"] == "field_removed" and extra_id["severity"] == "info"
    assert extra_id["upstream"] == "#/components/schemas/Return"
    assert "returns-v3/return.json" in markdown.read_text()


def test_drift_without_credentials_uses_the_fakes_account(world: dict[str, Any], tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """With no key or secret anywhere, a run against the fake signs in as its first fixture account."""
    monkeypatch.delenv("SENDCLOUD_API_KEY", raising=False)
    monkeypatch.delenv("SENDCLOUD_API_SECRET", raising=False)
    report = tmp_path / "drift.json"
    assert main(["drift", "--base-url", world["fake"], "--report", str(report)]) == 0
    assert "using the fake's default fixture account" in capsys.readouterr().err
    assert {"endpoint": "GET /api/v3/returns", "status": 200, "findings": 0} in read(report)["endpoints"]


def test_drift_against_an_unreachable_api_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A target that does not answer exits 3 with one line, and the report still holds an unreachable error."""
    server = ServedApp(create_app(Settings(db=str(tmp_path / "gone.sqlite3"))))
    url = server.url
    server.close()
    report = tmp_path / "drift.json"
    assert main(["drift", "--base-url", url, *CREDENTIALS, "--report", str(report), "--timeout", "5"]) == 3
    out, err = capsys.readouterr()
    assert out == "" and err == f"sendcloud-contracts: cannot reach {url} (connection refused)\n"
    assert {f["kind"] for f in read(report)["findings"]} == {"unreachable"}


def test_the_endpoints_visited_come_from_the_document(tmp_path: Path) -> None:
    """drift.py names no operation: a GET operation with `x-drift` in openapi.json is visited, one without is not."""
    import ast
    import shutil

    from contracts.contracts.context import Context, fake_identifiers
    from contracts.drift import live_drift
    from contracts.transport import WsgiTransport
    from mock_server.config import resource_dir
    from mock_server.spec import ApiSpec

    source = (Path(__file__).resolve().parents[1] / "contracts" / "drift.py").read_text()
    documented = set(ApiSpec(resource_dir("schemas")).operations)
    literals = {node.value for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Constant)}
    assert literals & documented == set()

    folder = tmp_path / "schemas"
    shutil.copytree(resource_dir("schemas"), folder)
    document = json.loads((folder / "openapi.json").read_text())
    carriers = document["paths"]["/api/v2/carriers"]["get"]
    carriers["x-drift"] = {"query": {"access_token": "@service_points_token"}}
    (folder / "openapi.json").write_text(json.dumps(document))
    app = create_app(Settings(db=str(tmp_path / "store.sqlite3"), schemas=str(folder)))
    transport = WsgiTransport(app, "test_api_key_stroopwafel", "test_api_secret_stroopwafel", read_only=True)
    ctx = Context(transport, fake_identifiers(transport))
    ctx.__dict__["spec"] = ApiSpec(folder)
    visited = [e["endpoint"] for e in live_drift(ctx).endpoints]
    assert "GET /api/v2/carriers" in visited and "GET /api/v2/service-points" in visited
    assert "GET /api/v2/service-points/{id}/check-availability" not in visited  # no x-drift: not visited
