"""pytest plugin: the `sendcloud_fake` fixture, one account of a session-wide fake per test.

Registered through the `pytest11` entry point, so it is there wherever the package is
installed, and does nothing until a test asks for the fixture (no server is started
otherwise). By default each pytest process (each pytest-xdist worker too) starts one fake on
a free loopback port, in a thread; `--sendcloud-fake-url URL` (or SENDCLOUD_FAKE_URL) uses
one already running instead, e.g. the Docker image shared by every worker, with
`--sendcloud-fake-admin-token` (SENDCLOUD_FAKE_ADMIN_TOKEN) when it protects its admin API.

Every test gets its own account, cloned from the fake's default account and deleted when the
test ends: its own returns, clock, fault rules and journal, so tests never see each other.

    def test_label_arrives(sendcloud_fake):
        created = requests.post(sendcloud_fake.url + "/api/v3/returns", json=..., auth=sendcloud_fake.auth)
        sendcloud_fake.advance(10)
        ...
        assert sendcloud_fake.count(method="POST", path="/api/v3/returns") == 1

Settings of the in-process fake (a 10 s label delay, ... as the server's defaults) are
changed by overriding the session-scoped `sendcloud_fake_settings` fixture.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from .testing import AdminClient, InProcessServer, SendcloudFake, clone_account, default_account_key

URL_VARIABLE = "SENDCLOUD_FAKE_URL"
TOKEN_VARIABLE = "SENDCLOUD_FAKE_ADMIN_TOKEN"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("sendcloud_fake", "sendcloud-mock fixture (sendcloud_fake)")
    group.addoption("--sendcloud-fake-url", dest="sendcloud_fake_url", default=None,
                    help=f"use the fake running at this URL instead of one in process (or {URL_VARIABLE})")
    group.addoption("--sendcloud-fake-admin-token", dest="sendcloud_fake_admin_token", default=None,
                    help=f"admin token of that fake, sent as Authorization: Bearer (or {TOKEN_VARIABLE})")


class FakeSession:
    """The session-wide fake: where it is, how to call its admin API, which account to clone."""

    def __init__(self, url: str, admin: AdminClient, server: InProcessServer | None = None) -> None:
        self.url = url
        self.admin = admin
        self.server = server
        self.source = default_account_key(admin)

    def new_account(self) -> SendcloudFake:
        return SendcloudFake(self.admin, self.url, clone_account(self.admin, self.source))

    def close(self) -> None:
        if self.server is not None:
            self.server.close()


@pytest.fixture(scope="session")
def sendcloud_fake_settings() -> dict[str, Any]:
    """Settings of the in-process fake (e.g. {"label_delay": 0}); override in your conftest.py."""
    return {}


@pytest.fixture(scope="session")
def sendcloud_fake_session(request: pytest.FixtureRequest, sendcloud_fake_settings: dict[str, Any]
                           ) -> Iterator[FakeSession]:
    """One fake for the whole session (of this worker): the given URL, or one started in process."""
    config = request.config
    url = config.getoption("sendcloud_fake_url") or os.environ.get(URL_VARIABLE)
    token = config.getoption("sendcloud_fake_admin_token") or os.environ.get(TOKEN_VARIABLE)
    if url:
        session = FakeSession(url.rstrip("/"), AdminClient(url, admin_token=token))
    else:
        server = InProcessServer(**sendcloud_fake_settings)
        session = FakeSession(server.url, AdminClient(server.url), server)
    yield session
    session.close()


@pytest.fixture
def sendcloud_fake(sendcloud_fake_session: FakeSession) -> Iterator[SendcloudFake]:
    """This test's own account on the session's fake (deleted afterwards)."""
    handle = sendcloud_fake_session.new_account()
    yield handle
    handle.delete()
