"""What a kit run tells you: unreachable (exit 3) and refused credentials (exit 4) in one line, the seed and the
command that replays a failure, progress per contract, and --quiet."""

from __future__ import annotations

import io
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from contracts.cli import main, replay_command
from contracts.contracts import BY_NAME
from contracts.contracts.context import Context
from contracts.reporting.progress import Progress
from contracts.runner.run import Result, run_one
from contracts.testing import ServedApp, drifted
from contracts.transport import Answer, WsgiTransport, in_process_app
from mock_server import Settings, create_app

KEY, SECRET = "test_api_key_stroopwafel", "test_api_secret_stroopwafel"
CREDENTIALS = ["--api-key", KEY, "--api-secret", SECRET]
SCRIPT = Path(sys.executable).with_name("sendcloud-contracts")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[ServedApp]:
    with ServedApp(create_app(Settings(db=str(tmp_path / "served.sqlite3")))) as server:
        yield server


@pytest.fixture
def closed_url(tmp_path: Path) -> str:
    """A loopback URL where nothing listens any more."""
    server = ServedApp(create_app(Settings(db=str(tmp_path / "gone.sqlite3"))))
    server.close()
    return server.url


def test_unreachable_target_exits_3_with_one_line(closed_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Nothing listening: exit 3, one line naming the URL and why, no contract reported, no traceback."""
    assert main(["run", "--base-url", closed_url, *CREDENTIALS]) == 3
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"sendcloud-contracts: cannot reach {closed_url} (connection refused)\n"


def test_unreachable_service_points_host_is_named(served: ServedApp, closed_url: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """A separate service points URL that does not answer is named as the unreachable one."""
    assert main(["run", "--base-url", served.url, "--service-points-url", closed_url, *CREDENTIALS]) == 3
    assert capsys.readouterr().err == f"sendcloud-contracts: cannot reach {closed_url} (connection refused)\n"


@pytest.mark.skipif(not SCRIPT.exists(), reason="console script not installed (pip install -e .)")
def test_the_installed_command_prints_no_traceback(closed_url: str) -> None:
    """The real command line, as CI runs it: exit 3 and one line on stderr."""
    done = subprocess.run([str(SCRIPT), "run", "--base-url", closed_url], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 3 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr and closed_url in done.stderr


def test_refused_credentials_exit_4_with_one_line(served: ServedApp, capsys: pytest.CaptureFixture[str]) -> None:
    """A wrong secret: exit 4 before any contract, one line, and neither the key nor the secret shown."""
    wrong = "not-the-secret-at-all"
    assert main(["run", "--base-url", served.url, "--api-key", KEY, "--api-secret", wrong]) == 4
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert "refused" in err and "401" in err and "SENDCLOUD_API_SECRET" in err
    assert wrong not in err and KEY not in err


def test_no_credentials_against_a_real_api_exit_4(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Against an API that is not the fake and with no credentials anywhere: exit 4, saying none were given."""
    monkeypatch.delenv("SENDCLOUD_API_KEY", raising=False)
    monkeypatch.delenv("SENDCLOUD_API_SECRET", raising=False)
    with ServedApp(drifted(create_app(Settings(db=str(tmp_path / "prod.sqlite3"))))) as production:
        assert main(["run", "--base-url", production.url, "--read-only"]) == 4
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no API key/secret given" in err


def test_drift_also_checks_credentials(served: ServedApp, capsys: pytest.CaptureFixture[str]) -> None:
    """drift refuses to report on a target that refuses the credentials (exit 4), rather than listing 401s."""
    assert main(["drift", "--base-url", served.url, "--api-key", KEY, "--api-secret", "wrong-secret-123"]) == 4
    assert capsys.readouterr().err.count("\n") == 1


def test_seed_is_printed_with_the_command_that_replays_the_run(capsys: pytest.CaptureFixture[str]) -> None:
    """Without --seed a random one is chosen, printed at the start with the replay command, and in the summary."""
    assert main(["run", "--in-process", "--contract", "token_rules", "--max-examples", "2"]) == 0
    out = capsys.readouterr().out
    first, replay = out.splitlines()[:2]
    seed = first.rsplit("seed ", 1)[1]
    assert seed.isdigit()
    assert replay == f"replay with: sendcloud-contracts run --in-process --contract token_rules --max-examples 2 " \
                     f"--seed {seed}"
    assert out.splitlines()[-1].endswith(f"(seed {seed})")


def test_replay_command_drops_reports_credentials_and_old_seed() -> None:
    """A replay command keeps the target and options, takes the new seed and contracts, never the credentials."""
    argv = ["run", "--base-url", "http://127.0.0.1:8080", "--api-key", KEY, f"--api-secret={SECRET}", "--seed", "7",
            "--junit", "out.xml", "--quiet", "--contract", "portal_flow", "--max-examples", "5"]
    assert replay_command(argv, 99) == ("sendcloud-contracts run --base-url http://127.0.0.1:8080 --contract "
                                        "portal_flow --max-examples 5 --seed 99")
    assert replay_command(argv, 99, ["returns_lifecycle"]) == (
        "sendcloud-contracts run --base-url http://127.0.0.1:8080 --max-examples 5 --seed 99 "
        "--contract returns_lifecycle")


def test_a_failure_names_its_replay_in_the_output_and_the_junit(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """A failing contract: the summary and the JUnit report carry the seed and a replay command that fails again."""
    junit = tmp_path / "contracts.xml"
    app = create_app(Settings(db=str(tmp_path / "prod.sqlite3")))
    with ServedApp(drifted(app)) as production:
        argv = ["run", "--base-url", production.url, *CREDENTIALS, "--allow-writes", "--contract", "returns_lifecycle",
                "--contract", "token_rules", "--junit", str(junit)]
        assert main(argv) == 1
        out = capsys.readouterr().out
        replay = next(line for line in out.splitlines() if line.startswith("replay the failures: "))
        command = replay.removeprefix("replay the failures: ").split(" (with the credentials")[0]
        parts = shlex.split(command)
        assert parts[0] == "sendcloud-contracts" and parts[-2:] == ["--contract", "returns_lifecycle"]
        assert SECRET not in out and KEY not in command
        seed = parts[parts.index("--seed") + 1]
        suite = ET.parse(junit).getroot().find("testsuite")
        assert suite is not None
        properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
        assert properties == {"seed": seed, "replay": command}
        case = next(case for case in suite.iter("testcase") if case.get("name") == "returns_lifecycle")
        failure = case.find("failure")
        assert failure is not None and f"replay: {command}" in (failure.text or "")
        # The replay, with the credentials from the environment as the note says, fails the same way.
        import os
        os.environ["SENDCLOUD_API_KEY"], os.environ["SENDCLOUD_API_SECRET"] = KEY, SECRET
        try:
            assert main(parts[1:]) == 1
        finally:
            del os.environ["SENDCLOUD_API_KEY"], os.environ["SENDCLOUD_API_SECRET"]
        again = capsys.readouterr().out
    assert f"seed {seed}" in again and "FAILED  returns_lifecycle" in again and "token_rules" not in again


class Recording(WsgiTransport):
    """An in-process transport that remembers every request it sends, bodies included."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.log: list[tuple[str, str, str]] = []

    def _send(self, method: str, url: str, *, params: Mapping[str, Any] | None, json_body: Any,
              headers: Mapping[str, str]) -> Answer:
        self.log.append((method, url + repr(sorted((params or {}).items())), repr(json_body)))
        return super()._send(method, url, params=params, json_body=json_body, headers=headers)


def _requests_of(contract: str, seed: int) -> list[tuple[str, str, str]]:
    transport = Recording(in_process_app(), KEY, SECRET)
    ctx = Context(transport, max_examples=3, allow_writes=True, seed=seed)
    ctx.identifiers.brand_id = 101
    result = run_one(BY_NAME[contract], ctx)
    assert result.status == "passed", result.detail
    assert result.cases > 0
    return transport.log


@pytest.mark.parametrize("contract", ["create_bodies_round_trip", "returns_state_machine"])
def test_the_same_seed_sends_the_same_requests(contract: str) -> None:
    """On fresh fakes, one seed generates the same requests twice, and another seed different ones."""
    first = _requests_of(contract, 1234)
    assert _requests_of(contract, 1234) == first
    assert _requests_of(contract, 4321) != first


def test_each_contract_prints_a_line_with_its_time_and_cases(capsys: pytest.CaptureFixture[str]) -> None:
    """Not on a terminal: no live counter, one line per contract with elapsed seconds and generated cases."""
    assert main(["run", "--in-process", "--contract", "create_bodies_round_trip", "--contract", "token_rules",
                 "--max-examples", "3"]) == 0
    out = capsys.readouterr().out
    assert "\r" not in out
    bodies = next(line for line in out.splitlines() if line.startswith("PASSED  create_bodies_round_trip"))
    assert bodies.startswith("PASSED  create_bodies_round_trip (") and " s, " in bodies and bodies.endswith(" cases)")
    assert any(line.startswith("PASSED  token_rules (") and line.endswith(" s)") for line in out.splitlines())


def test_quiet_prints_only_the_summary(capsys: pytest.CaptureFixture[str]) -> None:
    """--quiet: a passing run prints its summary line and nothing else."""
    assert main(["run", "--in-process", "--contract", "token_rules", "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert err == "" and out.count("\n") == 1 and out.startswith("1 passed, 0 failed, 0 error, 0 skipped (seed ")


def test_quiet_still_shows_failures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--quiet keeps the failed contract, its detail and the replay command."""
    with ServedApp(drifted(create_app(Settings(db=str(tmp_path / "prod.sqlite3"))))) as production:
        assert main(["run", "--base-url", production.url, *CREDENTIALS, "--allow-writes", "--quiet",
                     "--contract", "returns_lifecycle"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("FAILED  returns_lifecycle") and "created_at" in out and "replay the failures:" in out


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_a_live_counter_runs_and_is_cleared() -> None:
    """On a terminal the running contract's case count is redrawn in place, then replaced by its result line."""
    now = [0.0]
    screen = FakeTerminal()
    progress = Progress(screen, str, clock=lambda: now[0])
    assert progress.live
    progress.start(BY_NAME["openapi_conformance"])
    for count in range(1, 31):
        now[0] += 0.05
        progress.case(count)
    progress.result(Result("openapi_conformance", "passed", "", 1.5, False, 30))
    text = screen.getvalue()
    assert "\r\x1b[K  running openapi_conformance: 0 cases, 0 s" in text
    assert "running openapi_conformance: 30 cases" in text or "running openapi_conformance: 29 cases" in text
    assert 10 <= text.count("\r\x1b[K  running") <= 20  # throttled to every 0.1 s, not one redraw per case
    assert text.endswith("\r\x1b[KPASSED  openapi_conformance (1.5 s, 30 cases)\n")


def test_quiet_has_no_live_counter_even_on_a_terminal() -> None:
    """--quiet on a terminal draws nothing while contracts run."""
    screen = FakeTerminal()
    progress = Progress(screen, str, quiet=True)
    progress.start(BY_NAME["token_rules"])
    progress.case(1)
    progress.result(Result("token_rules", "passed", "", 0.1, False, 0))
    assert screen.getvalue() == ""
