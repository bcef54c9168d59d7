"""The pytest plugin: one test per contract against --sendcloud-base-url, and nothing without it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import RETURN_BODY, basic

from contracts.testing import ServedApp, drifted
from mock_server import Settings, create_app

pytest_plugins = ["pytester"]

KEY, SECRET = "test_api_key_stroopwafel", "test_api_secret_stroopwafel"
TEST_FILE = """
def test_sendcloud(sendcloud_contract):
    sendcloud_contract.check()

def test_ordinary():
    assert True
"""


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[str]:
    with ServedApp(create_app(Settings(db=str(tmp_path / "plugin.sqlite3")))) as server:
        yield server.url


def test_plugin_runs_the_contracts_against_a_url(pytester: pytest.Pytester, fake: str) -> None:
    """With --sendcloud-base-url each selected contract is a passing test; ordinary tests are untouched."""
    pytester.makepyfile(test_target=TEST_FILE)
    result = pytester.runpytest_inprocess(
        f"--sendcloud-base-url={fake}", f"--sendcloud-api-key={KEY}", f"--sendcloud-api-secret={SECRET}",
        "--sendcloud-contract=token_rules", "--sendcloud-contract=returns_lifecycle",
        "--sendcloud-max-examples=3", "-v")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*test_sendcloud?token_rules? PASSED*", "*test_sendcloud?returns_lifecycle? PASSED*"])
    assert SECRET not in result.stdout.str() + result.stderr.str()


def test_plugin_does_nothing_without_a_target(pytester: pytest.Pytester) -> None:
    """Without the options the contract tests are skipped with a hint and other tests run as usual."""
    pytester.makepyfile(test_target=TEST_FILE)
    result = pytester.runpytest_inprocess("-rs")
    result.assert_outcomes(passed=1, skipped=8)
    result.stdout.fnmatch_lines(["*--sendcloud-base-url*"])


def test_plugin_fails_against_a_drifted_api(pytester: pytest.Pytester, tmp_path: Path) -> None:
    """A drifted answer fails the contract's test, naming the field, with the secret kept out."""
    app = create_app(Settings(db=str(tmp_path / "drifted.sqlite3")))
    client = app.test_client()
    return_id = client.post("/api/v3/returns", json=RETURN_BODY, headers=basic(KEY, SECRET)).json["return_id"]
    pytester.makepyfile(test_target=TEST_FILE)
    with ServedApp(drifted(app)) as production:
        result = pytester.runpytest_inprocess(
            f"--sendcloud-base-url={production.url}", f"--sendcloud-api-key={KEY}", f"--sendcloud-api-secret={SECRET}",
            f"--sendcloud-return-id={return_id}", "--sendcloud-contract=retrieve_known_return")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*contract retrieve_known_return does not hold*", "*created_at*missing_required*"])
    assert SECRET not in result.stdout.str() + result.stderr.str()


def test_plugin_works_in_an_account_of_its_own(pytester: pytest.Pytester, fake: str) -> None:
    """Against the fake the plugin's session writes in a cloned account, deleted at the session's end."""
    import requests

    accounts = requests.get(f"{fake}/__admin/accounts", timeout=10).json()["accounts"]
    pytester.makepyfile(test_target=TEST_FILE)
    result = pytester.runpytest_inprocess(f"--sendcloud-base-url={fake}", "--sendcloud-contract=returns_lifecycle")
    result.assert_outcomes(passed=2)
    assert requests.get(f"{fake}/__admin/accounts", timeout=10).json()["accounts"] == accounts
    listed = requests.get(f"{fake}/api/v2/returns", auth=(KEY, SECRET), timeout=10).json()["returns"]
    assert listed == []


OPTIONS_TEST = """
from pathlib import Path

def test_options(pytestconfig):
    from contracts.pytest_plugin import options_from
    options = options_from(pytestconfig)
    print("OPTIONS", repr(options))
    assert options.seed == 7 and options.poll_tries == 3 and options.poll_interval == 0.5
    assert options.return_body == Path("body.json") and options.max_examples == 4
    assert options.contracts == ["token_rules", "portal_flow"] and options.timeout == 9.0
"""


def test_the_plugin_has_every_option_of_the_cli(pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]) -> None:
    """One options model: each CLI option is a --sendcloud-... option, and the same values make the same Options."""
    from contracts.cli import build_parser, options_from
    from contracts.runner.options import OPTIONS

    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "--help"])
    cli_help = capsys.readouterr().out
    assert [option.spelling for option in OPTIONS if f"--{option.spelling}" not in cli_help] == []
    help_text = pytester.runpytest_inprocess("--help").stdout.str()
    missing = [option.spelling for option in OPTIONS if f"--sendcloud-{option.spelling}" not in help_text]
    assert missing == []

    values = ["--in-process", "--seed", "7", "--poll-tries", "3", "--poll-interval", "0.5", "--return-body",
              "body.json", "--max-examples", "4", "--contract", "token_rules", "--contract", "portal_flow",
              "--timeout", "9"]
    from_cli = options_from(build_parser().parse_args(["run", *values]))
    pytester.makepyfile(test_options=OPTIONS_TEST)
    result = pytester.runpytest_inprocess(*[v.replace("--", "--sendcloud-", 1) if v.startswith("--") else v
                                            for v in values], "-s")
    result.assert_outcomes(passed=1)
    assert f"OPTIONS {from_cli!r}" in result.stdout.str()
    result.stdout.fnmatch_lines(["sendcloud-contracts: seed 7*"])
