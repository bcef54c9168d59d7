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

import os
from typing import Any, Iterator

import pytest

OPTIONS = (
    ("base-url", "API to check, e.g. https://panel.sendcloud.sc or http://127.0.0.1:8080"),
    ("service-points-url", "service points API (default: servicepoints.sendcloud.sc for production)"),
    ("api-key", "API key (default: SENDCLOUD_API_KEY)"),
    ("api-secret", "API secret (default: SENDCLOUD_API_SECRET)"),
    ("admin-token", "the fake's admin token, when it was started with --admin-token "
                    "(default: SENDCLOUD_MOCK_ADMIN_TOKEN)"),
    ("brand-domain", "brand whose return portal to use"),
    ("tracking-number", "outgoing parcel of that brand"),
    ("postal-code", "postal code of that parcel"),
    ("return-id", "existing return to read"),
    ("other-brand-domain", "second brand, for the cross-brand token rule"),
    ("max-examples", "generated cases per property (default 10)"),
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("sendcloud", "Sendcloud contract kit (sendcloud-contracts)")
    for name, text in OPTIONS:
        group.addoption(f"--sendcloud-{name}", dest=f"sendcloud_{name.replace('-', '_')}", default=None, help=text)
    group.addoption("--sendcloud-in-process", dest="sendcloud_in_process", action="store_true",
                    help="check a fresh fake in this process instead of a URL")
    group.addoption("--sendcloud-read-only", dest="sendcloud_read_only", action="store_true",
                    help="only contracts that read")
    group.addoption("--sendcloud-allow-writes", dest="sendcloud_allow_writes", action="store_true",
                    help="also run writing contracts against a real API (they create and cancel returns)")
    group.addoption("--sendcloud-contract", dest="sendcloud_contracts", action="append", default=None,
                    help="run only this contract (repeatable)")


def _enabled(config: pytest.Config) -> bool:
    return bool(config.getoption("sendcloud_base_url") or config.getoption("sendcloud_in_process"))


def pytest_configure(config: pytest.Config) -> None:
    """With a target but without the contracts extra: one sentence naming the install command, no traceback."""
    from . import extra

    if _enabled(config) and (missing := extra.missing()):
        raise pytest.UsageError(extra.message(missing))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "sendcloud_contract" not in metafunc.fixturenames:
        return
    from .contracts import CONTRACTS, select

    names = [c.name for c in select(metafunc.config.getoption("sendcloud_contracts"))] if _enabled(metafunc.config) \
        else [c.name for c in CONTRACTS]
    metafunc.parametrize("sendcloud_contract", names, indirect=True, ids=names)


@pytest.fixture(scope="session")
def sendcloud_transport(pytestconfig: pytest.Config) -> Iterator[Any]:
    """The transport to the target (skips the test when no target was given)."""
    if not _enabled(pytestconfig):
        pytest.skip("no target: pass --sendcloud-base-url URL (or --sendcloud-in-process)")
    from .transport import HttpTransport, WsgiTransport, in_process_app

    get = pytestconfig.getoption
    key = get("sendcloud_api_key") or os.environ.get("SENDCLOUD_API_KEY")
    secret = get("sendcloud_api_secret") or os.environ.get("SENDCLOUD_API_SECRET")
    read_only = bool(get("sendcloud_read_only"))
    if get("sendcloud_in_process"):
        from .cli import FAKE_KEY, FAKE_SECRET

        transport = WsgiTransport(in_process_app(), key or FAKE_KEY, secret or FAKE_SECRET, read_only=read_only)
    else:
        transport = HttpTransport(get("sendcloud_base_url"), key, secret,
                                  service_points_url=get("sendcloud_service_points_url"), read_only=read_only,
                                  admin_token=get("sendcloud_admin_token") or os.environ.get("SENDCLOUD_MOCK_ADMIN_TOKEN"))
        transport.use_fake_account()
    from .account import close_run_account, open_run_account

    if not read_only:
        open_run_account(transport)  # on the fake: an account of the session's own, deleted at its end
    try:
        yield transport
    finally:
        close_run_account(transport)
        transport.close()


@pytest.fixture(scope="session")
def sendcloud_context(pytestconfig: pytest.Config, sendcloud_transport: Any) -> Any:
    """The contracts' context: identifiers from the options (or the fake's fixtures), the example budget."""
    from .context import Context, Identifiers, fake_identifiers

    get = pytestconfig.getoption
    return_id = get("sendcloud_return_id")
    given = Identifiers(brand_domain=get("sendcloud_brand_domain"), tracking_number=get("sendcloud_tracking_number"),
                        postal_code=get("sendcloud_postal_code"), return_id=int(return_id) if return_id else None,
                        other_brand_domain=get("sendcloud_other_brand_domain"))
    if sendcloud_transport.is_fake:
        given = given.merged(fake_identifiers(sendcloud_transport))
    writes = not get("sendcloud_read_only") and (bool(get("sendcloud_allow_writes")) or sendcloud_transport.is_fake)
    return Context(sendcloud_transport, given, max_examples=int(get("sendcloud_max_examples") or 10),
                   allow_writes=writes)


class ContractCheck:
    """One contract, bound to the session's context; `check()` passes, skips or fails the test."""

    def __init__(self, contract: Any, context: Any) -> None:
        self.contract = contract
        self.context = context
        self.name = contract.name

    def check(self) -> None:
        from .runner import ERROR, FAILED, SKIPPED, run_one

        result = run_one(self.contract, self.context)
        if result.status == SKIPPED:
            pytest.skip(result.detail)
        if result.status in (FAILED, ERROR):
            pytest.fail(f"contract {self.name} does not hold:\n{result.detail}", pytrace=False)


@pytest.fixture
def sendcloud_contract(request: pytest.FixtureRequest, sendcloud_context: Any) -> ContractCheck:
    """The contract this test instance checks (see pytest_generate_tests)."""
    from .contracts import BY_NAME

    return ContractCheck(BY_NAME[request.param], sendcloud_context)
