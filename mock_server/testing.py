"""The fake from your own tests: a handle on one account, an in-process server, and interception.

`SendcloudFake` is what the pytest fixture `sendcloud_fake` and `mock_sendcloud()` give a
test: the URL, credentials and data of its own account, and its clock, faults and journal,
all scoped to that account so parallel tests never see each other. Only the standard library
is used here (plus requests/httpx when they are installed and intercepted), so the pytest
plugin imports, and stays inert, with the base install.
"""

from __future__ import annotations

import base64
import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from datetime import datetime
from typing import Any

Caller = Callable[[str, str, Any, dict[str, Any]], tuple[int, Any]]


class FakeAdminError(RuntimeError):
    """An admin call the fake refused (the message holds its status and answer)."""


class AdminClient:
    """Calls the fake's /__admin API over HTTP (with the admin token, when the fake wants one)."""

    def __init__(self, url: str, *, admin_token: str | None = None, timeout: float = 30) -> None:
        self.url = url.rstrip("/")
        self._token = admin_token
        self._timeout = timeout

    def __call__(self, method: str, path: str, body: Any = None,
                 query: dict[str, Any] | None = None) -> tuple[int, Any]:
        target = self.url + path + ("?" + urllib.parse.urlencode(_query(query)) if query else "")
        data = None if body is None else json.dumps(body).encode()
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        request = urllib.request.Request(target, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as answer:
                return answer.status, _json(answer.read())
        except urllib.error.HTTPError as refused:
            return refused.code, _json(refused.read())


class WsgiAdminClient:
    """Calls the /__admin API of an app in this process, without a socket."""

    def __init__(self, app: Any) -> None:
        self._app = app

    def __call__(self, method: str, path: str, body: Any = None,
                 query: dict[str, Any] | None = None) -> tuple[int, Any]:
        answer = self._app.test_client().open(path, method=method, json=body, query_string=_query(query or {}))
        return answer.status_code, answer.get_json(silent=True)


class SendcloudFake:
    """One account on a fake: its URL, credentials, brands and parcels, and its clock, faults and journal.

    With `scoped=False` (inside `mock_sendcloud()`, where the fake is private to the block) the
    clock, faults and journal calls act on the whole fake instead of one account.
    """

    def __init__(self, admin: Caller, url: str, account: dict[str, Any], *, scoped: bool = True) -> None:
        self._admin = admin
        self.url = url.rstrip("/")
        self.account = account
        self.api_key: str = account["api_key"]
        self.api_secret: str = account["api_secret"]
        self.auth: tuple[str, str] = (self.api_key, self.api_secret)
        self.brands: list[dict[str, Any]] = account["brands"]
        self.outgoing_parcels: list[dict[str, Any]] = account["outgoing_parcels"]
        self._scoped = scoped

    def __repr__(self) -> str:
        return f"<SendcloudFake {self.url} account={self.api_key!r}>"

    @property
    def headers(self) -> dict[str, str]:
        """The Basic Authorization header of this account."""
        token = base64.b64encode(f"{self.api_key}:{self.api_secret}".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    @property
    def brand(self) -> dict[str, Any]:
        """The account's first brand (the one its first outgoing parcels belong to)."""
        return self.brands[0]

    # -- time ------------------------------------------------------------------------------

    def now(self) -> datetime:
        return datetime.fromisoformat(self._call("GET", "/__admin/clock", query=self._scope())["now"])

    def advance(self, seconds: float) -> datetime:
        """Move this account's clock forward; answers its new now."""
        answer = self._call("POST", "/__admin/clock/advance", {"seconds": seconds, **self._scope()})
        return datetime.fromisoformat(answer["now"])

    def freeze(self, frozen: bool = True) -> datetime:
        """Stop (or restart) wall time on this account's clock; only advance() moves a frozen clock."""
        answer = self._call("POST", "/__admin/clock/freeze", {"frozen": frozen, **self._scope()})
        return datetime.fromisoformat(answer["now"])

    # -- faults ----------------------------------------------------------------------------

    def fault(self, **rule: Any) -> dict[str, Any]:
        """Add a fault rule for this account's requests (see the README for its fields)."""
        rule.setdefault("path", "/*")
        return self._call("POST", "/__admin/faults", {**rule, **self._scope()})

    def faults(self) -> list[dict[str, Any]]:
        return self._call("GET", "/__admin/faults", query=self._scope())["faults"]

    def clear_faults(self) -> int:
        return self._call("DELETE", "/__admin/faults", query=self._scope())["deleted"]

    # -- journal ---------------------------------------------------------------------------

    def requests(self, **filters: Any) -> list[dict[str, Any]]:
        """This account's journaled API requests, newest first (filters: method, path glob, operation,
        status, since, limit)."""
        filters.setdefault("limit", 1000)
        return self._call("GET", "/__admin/requests", query={**filters, **self._scope()})["requests"]

    def count(self, **filters: Any) -> int:
        """How many of this account's API requests match the filters."""
        return self._call("GET", "/__admin/requests/count", query={**filters, **self._scope()})["count"]

    # -- state -----------------------------------------------------------------------------

    def reset(self) -> None:
        """This account's returns, clock, fault rules, portal tokens and journal, back to the start."""
        self._call("POST", "/__admin/reset", self._scope())

    def delete(self) -> None:
        """Remove the account and everything it owns (the fixture does this when the test ends)."""
        status, answer = self._admin("DELETE", f"/__admin/accounts/{urllib.parse.quote(self.api_key, safe='')}",
                                     None, {})
        if status not in (200, 404):
            raise FakeAdminError(f"DELETE account answered {status}: {answer}")

    def _scope(self) -> dict[str, Any]:
        return {"account": self.api_key} if self._scoped else {}

    def _call(self, method: str, path: str, body: Any = None, query: dict[str, Any] | None = None) -> Any:
        status, answer = self._admin(method, path, body, query or {})
        if not 200 <= status < 300:
            raise FakeAdminError(f"{method} {path} answered {status}: {answer}")
        return answer


def clone_account(admin: Caller, source: str | None = None) -> dict[str, Any]:
    """A new account cloned from `source` (default: the fake's default fixture account)."""
    if source is None:
        source = default_account_key(admin)
    status, answer = admin("POST", "/__admin/accounts", {"from": source}, {})
    if status != 201:
        raise FakeAdminError(f"cloning account {source!r} answered {status}: {answer}")
    return answer


def default_account_key(admin: Caller) -> str:
    status, answer = admin("GET", "/__admin/accounts", None, {})
    if status != 200:
        raise FakeAdminError(f"GET /__admin/accounts answered {status}: {answer}")
    accounts = answer["accounts"]
    fixtures = [a for a in accounts if a.get("from_fixtures")] or accounts
    if not fixtures:
        raise FakeAdminError("the fake has no account to clone")
    return fixtures[0]["api_key"]


class InProcessServer:
    """A fake served on a free loopback port by a thread of this process (for the pytest fixture)."""

    def __init__(self, **settings: Any) -> None:
        from werkzeug.serving import WSGIRequestHandler, make_server

        from . import Settings, create_app

        class QuietHandler(WSGIRequestHandler):
            def log_request(self, *args: Any, **kwargs: Any) -> None:
                """The fake's journal has every request; a line per request on stderr is noise."""

        self.app = create_app(Settings(**settings))
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True, request_handler=QuietHandler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="sendcloud-fake", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
        self.app.extensions["sendcloud_mock"].store.close()

    def __enter__(self) -> InProcessServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _query(query: dict[str, Any] | None) -> dict[str, Any]:
    return {k: ("true" if v is True else "false" if v is False else v)
            for k, v in (query or {}).items() if v is not None}


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw.decode("utf-8", "replace")
