"""pytest plugin: the contracts as tests, against the URL given with --sendcloud-base-url.

Registered through the `pytest11` entry point, so it is active wherever the package is
installed; without --sendcloud-base-url (or --sendcloud-in-process) it does nothing.
A test that asks for the `sendcloud_contract` fixture is run once per contract:

    def test_sendcloud(sendcloud_contract):
        sendcloud_contract.check()

`pytest --pyargs contracts.suite --sendcloud-base-url URL` runs exactly that test without
writing a file. The session-scoped `sendcloud_transport` and `sendcloud_context` fixtures
are there for your own tests against the same target.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from .runner.options import OPTIONS, Options

PREFIX = "sendcloud"
OPTIONS_KEY = pytest.StashKey[Options]()  # the session's options, once a target was given


def pytest_addoption(parser: pytest.Parser) -> None:
    """Every option of the shared table, as --sendcloud-NAME (the CLI's --NAME)."""
    group = parser.getgroup(PREFIX, "Sendcloud contract kit (sendcloud-contracts)")
    for option in OPTIONS:
        flag, dest = f"--{PREFIX}-{option.spelling}", f"{PREFIX}_{option.name}"
        help_text = option.help + (f" (or {option.env})" if option.env else "")
        if option.switch:
            group.addoption(flag, dest=dest, action="store_true", default=None, help=help_text)
        elif option.repeat:
            group.addoption(flag, dest=dest, action="append", default=None, help=help_text)
        else:
            group.addoption(flag, dest=dest, type=option.type, default=None, help=help_text)


def _enabled(config: pytest.Config) -> bool:
    return bool(config.getoption(f"{PREFIX}_base_url") or config.getoption(f"{PREFIX}_in_process"))


def options_from(config: pytest.Config) -> Options:
    """The shared options model from pytest's options (the environment filling what was not given)."""
    return Options.from_values({option.name: config.getoption(f"{PREFIX}_{option.name}") for option in OPTIONS})


def pytest_configure(config: pytest.Config) -> None:
    """With a target: the contracts extra must be there (one sentence naming the install command), options valid."""
    from . import extra

    if not _enabled(config):
        return
    if missing := extra.missing():
        raise pytest.UsageError(extra.message(missing))
    try:
        options = options_from(config)
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None
    if options.seed is None:  # one seed for the session, shown in the header, so a failure can be replayed
        options = replace(options, seed=random.SystemRandom().randrange(1, 2**32))
    config.stash[OPTIONS_KEY] = options


def pytest_report_header(config: pytest.Config) -> list[str]:
    if OPTIONS_KEY not in config.stash:
        return []
    return [f"sendcloud-contracts: seed {config.stash[OPTIONS_KEY].seed} (replay with --{PREFIX}-seed "
            f"{config.stash[OPTIONS_KEY].seed})"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "sendcloud_contract" not in metafunc.fixturenames:
        return
    from .contracts import CONTRACTS, select

    if _enabled(metafunc.config):
        try:
            names = [c.name for c in select(metafunc.config.getoption(f"{PREFIX}_contracts"))]
        except ValueError as exc:
            raise pytest.UsageError(str(exc)) from None
    else:
        names = [c.name for c in CONTRACTS]
    metafunc.parametrize("sendcloud_contract", names, indirect=True, ids=names)


@pytest.fixture(scope="session")
def sendcloud_context(pytestconfig: pytest.Config) -> Iterator[Any]:
    """The run's context, built as the CLI builds it (skips the test when no target was given).

    On the fake a writing session works in an account of its own, deleted when the session ends.
    """
    if OPTIONS_KEY not in pytestconfig.stash:
        pytest.skip("no target: pass --sendcloud-base-url URL (or --sendcloud-in-process)")
    from .runner.preflight import PreflightFailed
    from .runner.session import build_context

    try:
        context = build_context(pytestconfig.stash[OPTIONS_KEY])
    except PreflightFailed as failed:
        pytest.fail(f"sendcloud-contracts: {failed}", pytrace=False)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture(scope="session")
def sendcloud_transport(sendcloud_context: Any) -> Any:
    """The transport to the target, for your own checks (`.request()`, `.get()`, `.is_fake`)."""
    return sendcloud_context.transport


class ContractCheck:
    """One contract, bound to the session's context; `check()` passes, skips or fails the test."""

    def __init__(self, contract: Any, context: Any) -> None:
        self.contract = contract
        self.context = context
        self.name = contract.name

    def check(self) -> None:
        from .runner.run import ERROR, FAILED, SKIPPED, run_one

        result = run_one(self.contract, self.context)
        if result.status == SKIPPED:
            pytest.skip(result.detail)
        if result.status in (FAILED, ERROR):
            pytest.fail(f"contract {self.name} does not hold (seed {self.context.seed}):\n{result.detail}",
                        pytrace=False)


@pytest.fixture
def sendcloud_contract(request: pytest.FixtureRequest, sendcloud_context: Any) -> ContractCheck:
    """The contract this test instance checks (see pytest_generate_tests)."""
    from .contracts import BY_NAME

    return ContractCheck(BY_NAME[request.param], sendcloud_context)
