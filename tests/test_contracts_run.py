"""`sendcloud-contracts run`: passes against the fake, stays read-only when asked, never shows secrets."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from contracts.cli import main
from contracts.contracts import CONTRACTS
from contracts.testing import ServedApp, drifted
from mock_server import Settings, create_app

KEY, SECRET = "test_api_key_stroopwafel", "test_api_secret_stroopwafel"
CREDENTIALS = ["--api-key", KEY, "--api-secret", SECRET]
SCRIPT = Path(sys.executable).with_name("sendcloud-contracts")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[ServedApp]:
    """A fresh fake served over HTTP on a free local port."""
    with ServedApp(create_app(Settings(db=str(tmp_path / "served.sqlite3")))) as server:
        yield server


def test_run_in_process_passes_and_writes_junit(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Every contract holds against the in-process fake; the JUnit file lists them all, without the secret."""
    monkeypatch.setenv("SENDCLOUD_API_KEY", KEY)
    monkeypatch.setenv("SENDCLOUD_API_SECRET", SECRET)
    junit = tmp_path / "contracts.xml"
    code = main(["run", "--in-process", "--max-examples", "5", "--junit", str(junit), "--seed", "1"])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert f"{len(CONTRACTS)} passed, 0 failed, 0 error, 0 skipped" in out
    assert "WRITES ENABLED" in out
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == str(len(CONTRACTS)) and suite.get("failures") == "0"
    assert {case.get("name") for case in suite.iter("testcase")} == {c.name for c in CONTRACTS}
    for text in (out, err, junit.read_text()):
        assert SECRET not in text


def test_read_only_over_http_sends_only_gets(served: ServedApp, capsys: pytest.CaptureFixture[str]) -> None:
    """With --read-only the writing contracts are skipped and the fake's journal holds no POST or PATCH."""
    code = main(["run", "--read-only", "--base-url", served.url, *CREDENTIALS, "--max-examples", "3"])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert "SKIPPED returns_lifecycle" in out and "not run with --read-only" in out
    journal = requests.get(f"{served.url}/__admin/requests", params={"limit": 1000}, timeout=10).json()["requests"]
    assert journal, "the run sent nothing"
    assert {entry["method"] for entry in journal} == {"GET"}
    assert SECRET not in out + err


def test_a_real_api_gets_no_writes_without_the_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Against an API that is not the fake, writing contracts are skipped unless --allow-writes is given."""
    app = create_app(Settings(db=str(tmp_path / "prod.sqlite3")))
    with ServedApp(drifted(app)) as production:
        code = main(["run", "--base-url", production.url, *CREDENTIALS, "--contract", "returns_lifecycle"])
        out = capsys.readouterr().out
        assert code == 0 and "SKIPPED returns_lifecycle" in out and "--allow-writes" in out
        code = main(["run", "--base-url", production.url, *CREDENTIALS, "--allow-writes",
                     "--contract", "returns_lifecycle"])
        out = capsys.readouterr().out
    assert "WRITES ENABLED" in out
    assert code == 1 and "FAILED  returns_lifecycle" in out and "created_at" in out


def test_unknown_contract_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """Naming a contract that does not exist exits 2 and lists the known ones."""
    assert main(["run", "--in-process", "--contract", "no_such_contract"]) == 2
    assert "openapi_conformance" in capsys.readouterr().err


@pytest.mark.skipif(not SCRIPT.exists(), reason="console script not installed (pip install -e .)")
def test_console_script_lists_the_contracts() -> None:
    """The installed `sendcloud-contracts` entry point works and says which contracts write."""
    listed = subprocess.run([str(SCRIPT), "list"], capture_output=True, text=True, timeout=60, check=True).stdout
    for contract in CONTRACTS:
        line = next(line for line in listed.splitlines() if line.startswith(contract.name))
        assert line.split()[1] == ("writes" if contract.writes else "reads")


def test_portal_flow_polls_a_real_api_with_bounded_sleeps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Without the fake's clock (admin hidden), the portal flow waits for the label by polling, and passes."""
    app = create_app(Settings(db=str(tmp_path / "slow.sqlite3"), label_delay=1))
    with ServedApp(drifted(app)) as production:
        code = main(["run", "--base-url", production.url, *CREDENTIALS, "--allow-writes", "--contract", "portal_flow",
                     "--brand-domain", "stroopwafel-co", "--tracking-number", "3SSCRT10493821",
                     "--postal-code", "3511 AZ", "--poll-interval", "0.3", "--poll-tries", "20"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "PASSED  portal_flow" in out
