"""Two ways to reach an API with one interface: over HTTP (requests) or in process (WSGI).

Contracts only talk to a `Transport`: `request()` for their own calls and `call_case()` for
Schemathesis cases. A transport knows its credentials but never shows them: everything it
describes goes through its `Redactor`. A read-only transport refuses to send anything but
GET, HEAD and OPTIONS, so `--read-only` holds even if a contract forgets to check.
"""

from __future__ import annotations

import base64
import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import requests
from requests.structures import CaseInsensitiveDict
from werkzeug.test import Client

from .redact import Redactor
from .urls import PRODUCTION_SERVICE_POINTS_URL, PRODUCTION_URL

SERVICE_POINTS_PREFIX = "/api/v2/service-points"
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FAKE_PACKAGE = "sendcloud-mock"


class WriteRefused(RuntimeError):
    """A read-only transport was asked to send a request that could change something."""


@dataclass
class Answer:
    """One HTTP answer, whichever transport produced it."""

    method: str
    url: str
    status: int
    headers: Mapping[str, str]
    content: bytes
    raw: Any = field(default=None, repr=False)

    @property
    def content_type(self) -> str:
        """The media type without parameters, lower case ('' when absent)."""
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()

    @property
    def is_json(self) -> bool:
        return self.content_type == "application/json" or self.content_type.endswith("+json")

    def json(self) -> Any:
        """The decoded JSON body; ValueError when there is none."""
        return json.loads(self.content.decode("utf-8"))

    def json_or_none(self) -> Any:
        try:
            return self.json()
        except ValueError:
            return None

    def excerpt(self, limit: int = 300) -> str:
        text = self.content[:limit].decode("utf-8", errors="replace")
        return text + ("..." if len(self.content) > limit else "")


class Transport(ABC):
    """What contracts use to reach the target; subclasses decide how bytes travel."""

    name = "transport"
    base_url: str  # where the API lives; each transport sets it

    def __init__(self, api_key: str | None, api_secret: str | None, *, read_only: bool = False,
                 admin_token: str | None = None) -> None:
        self.api_key = api_key
        self._api_secret = api_secret
        self.read_only = read_only
        self.redact = Redactor()
        self.redact.add_pair(api_key, api_secret)
        # The fake's admin token (sendcloud-mock serve --admin-token), sent with every /__admin call.
        self._admin_token = admin_token
        self.redact.add(admin_token)
        self.sent: list[tuple[str, str, int]] = []  # (method, url, status), for reports and tests
        # On the fake, the API key of the account this run opened for itself (contracts.runner.account): its clock
        # is the one that moves.
        self.run_account: str | None = None

    # -- what subclasses provide ------------------------------------------------------------

    @abstractmethod
    def _send(self, method: str, url: str, *, params: Mapping[str, Any] | None, json_body: Any,
              headers: Mapping[str, str]) -> Answer:
        """Send one request; `url` is absolute or a path."""

    @abstractmethod
    def call_case(self, case: Any, *, headers: Mapping[str, str], excluded_checks: list[Any]) -> Any:
        """Send a Schemathesis case and run its checks (raises FailureGroup on a failed check)."""

    @abstractmethod
    def describe(self) -> str:
        """Where requests go, without credentials."""

    def prepare_schema(self, schema: Any) -> Any:
        """Bind a Schemathesis schema to this transport (the WSGI app, for in-process runs)."""
        return schema

    def base_urls(self) -> list[str]:
        """The base URLs requests go to (the API, and service points when they live elsewhere)."""
        return [self.base_url]

    def probe(self, base: str) -> None:
        """One unauthenticated request to `base`; raises when nothing answers (any HTTP status is an answer).

        The first base is asked for /__admin/health, which also tells whether it is the fake.
        """
        path = "/__admin/health" if base == self.base_urls()[0] else "/"
        headers = self.admin_headers() if path == "/__admin/health" else {}
        answer = self._send("GET", base.rstrip("/") + path, params=None, json_body=None, headers=headers)
        if path == "/__admin/health":
            self.__dict__["is_fake"] = _is_fake_health(answer)

    # -- shared behaviour --------------------------------------------------------------------

    def use_credentials(self, api_key: str | None, api_secret: str | None) -> None:
        """Switch to another key/secret pair (both masked from now on)."""
        self.api_key, self._api_secret = api_key, api_secret
        self.redact.add_pair(api_key, api_secret)

    def use_fake_account(self) -> bool:
        """Without credentials, on the fake: use its first fixture account. True when it did."""
        if self.has_credentials or not self.is_fake:
            return False
        accounts = (self.admin("GET", "/fixtures").json_or_none() or {}).get("accounts") or []
        if not accounts:
            return False
        self.use_credentials(accounts[0].get("api_key"), accounts[0].get("api_secret"))
        return self.has_credentials

    @property
    def has_credentials(self) -> bool:
        return bool(self.api_key and self._api_secret)

    def basic_headers(self) -> dict[str, str]:
        """The Basic Authorization header for the configured API key and secret."""
        if not self.has_credentials:
            return {}
        token = base64.b64encode(f"{self.api_key}:{self._api_secret}".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    def request(self, method: str, url: str, *, params: Mapping[str, Any] | None = None, json: Any = None,
                auth: str | None = "basic", bearer: str | None = None,
                headers: Mapping[str, str] | None = None) -> Answer:
        """Send a request: `auth="basic"` adds the API credentials; `bearer` a portal token."""
        method = method.upper()
        if self.read_only and method not in READ_METHODS:
            raise WriteRefused(f"read-only run: refused to send {method} {self.redact(url)}")
        all_headers: dict[str, str] = {"Accept": "application/json, application/pdf;q=0.9, */*;q=0.1"}
        if auth == "basic":
            all_headers.update(self.basic_headers())
        if bearer:
            all_headers["Authorization"] = f"Bearer {bearer}"
        all_headers.update(headers or {})
        answer = self._send(method, url, params=params, json_body=json, headers=all_headers)
        self.sent.append((method, answer.url, answer.status))
        return answer

    def get(self, url: str, **kwargs: Any) -> Answer:
        return self.request("GET", url, **kwargs)

    @cached_property
    def is_fake(self) -> bool:
        """Whether the target is sendcloud-mock (its /__admin/health says so)."""
        try:
            answer = self._send("GET", "/__admin/health", params=None, json_body=None, headers=self.admin_headers())
        except (requests.RequestException, OSError):
            return False
        return _is_fake_health(answer)

    def admin(self, method: str, path: str, body: Any = None) -> Answer:
        """Call the fake's own /__admin API (never counted as a write to the Sendcloud API)."""
        if not self.is_fake:
            raise RuntimeError("the /__admin API exists only on sendcloud-mock")
        return self._send(method.upper(), "/__admin" + path, params=None, json_body=body, headers=self.admin_headers())

    def admin_headers(self) -> dict[str, str]:
        """The Authorization header for the fake's admin API, when it is protected by a token."""
        return {"Authorization": f"Bearer {self._admin_token}"} if self._admin_token else {}

    def advance_clock(self, seconds: float) -> bool:
        """Move the fake's clock (only the run's own account's, when it has one); False when not the fake."""
        if not self.is_fake:
            return False
        body: dict[str, Any] = {"seconds": seconds}
        if self.run_account is not None:
            body["account"] = self.run_account
        answer = self.admin("POST", "/clock/advance", body)
        return answer.status == 200

    def close(self) -> None:  # noqa: B027 - a hook: only transports that hold connections override it
        """Release connections."""


def _is_fake_health(answer: Answer) -> bool:
    body = answer.json_or_none() if answer.status == 200 else None
    return isinstance(body, dict) and body.get("package") == FAKE_PACKAGE


class HttpTransport(Transport):
    """Requests over the network to a base URL (and a separate one for service points)."""

    name = "http"

    def __init__(self, base_url: str = PRODUCTION_URL, api_key: str | None = None, api_secret: str | None = None,
                 *, service_points_url: str | None = None, read_only: bool = False, timeout: float = 30.0,
                 admin_token: str | None = None) -> None:
        super().__init__(api_key, api_secret, read_only=read_only, admin_token=admin_token)
        self.base_url = base_url.rstrip("/")
        if service_points_url is None:
            service_points_url = (PRODUCTION_SERVICE_POINTS_URL if self.base_url == PRODUCTION_URL
                                  else self.base_url)
        self.service_points_url = service_points_url.rstrip("/")
        self.timeout = timeout
        self.session = _GuardedSession(self)
        self.session.headers["User-Agent"] = "sendcloud-contracts"

    def base_for(self, path: str) -> str:
        """The base URL that serves this path (service points may live on their own host)."""
        return self.service_points_url if path.startswith(SERVICE_POINTS_PREFIX) else self.base_url

    def absolute(self, url: str) -> str:
        if urlsplit(url).scheme:
            return url
        return urljoin(self.base_for(url) + "/", url.lstrip("/"))

    def _send(self, method: str, url: str, *, params: Mapping[str, Any] | None, json_body: Any,
              headers: Mapping[str, str]) -> Answer:
        kwargs: dict[str, Any] = {"params": params, "headers": dict(headers), "timeout": self.timeout,
                                  "allow_redirects": False}
        if json_body is not None:
            kwargs["json"] = json_body
        response = self.session.request(method, self.absolute(url), **kwargs)
        return Answer(method, response.url, response.status_code, response.headers, response.content, response)

    def call_case(self, case: Any, *, headers: Mapping[str, str], excluded_checks: list[Any]) -> Any:
        return case.call_and_validate(base_url=self.base_for(case.path), session=self.session, headers=dict(headers),
                                      excluded_checks=excluded_checks, timeout=self.timeout)

    def base_urls(self) -> list[str]:
        return list(dict.fromkeys([self.base_url, self.service_points_url]))

    def describe(self) -> str:
        where = self.base_url
        if self.service_points_url != self.base_url:
            where += f" (service points: {self.service_points_url})"
        return self.redact(where)

    def close(self) -> None:
        self.session.close()


class _GuardedSession(requests.Session):
    """A session that enforces its transport's read-only promise, also for Schemathesis' own calls."""

    def __init__(self, transport: Transport) -> None:
        super().__init__()
        self._transport = transport

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        verb = method.decode() if isinstance(method, bytes) else method
        if self._transport.read_only and verb.upper() not in READ_METHODS:
            path = urlsplit(url.decode() if isinstance(url, bytes) else url).path
            if not path.startswith("/__admin"):
                raise WriteRefused(f"read-only run: refused to send {verb.upper()} {path}")
        return super().request(method, url, *args, **kwargs)


class WsgiTransport(Transport):
    """Calls a WSGI app (the fake's Flask app) in process: no server, no network."""

    name = "wsgi"
    host = "http://localhost"

    def __init__(self, app: Any, api_key: str | None = None, api_secret: str | None = None, *,
                 read_only: bool = False, admin_token: str | None = None) -> None:
        super().__init__(api_key, api_secret, read_only=read_only, admin_token=admin_token)
        self.app = app
        # A Flask app has its own test client; plain WSGI callables (middleware) get werkzeug's.
        self.client = app.test_client() if hasattr(app, "test_client") else Client(app)
        self.base_url = self.host

    def _send(self, method: str, url: str, *, params: Mapping[str, Any] | None, json_body: Any,
              headers: Mapping[str, str]) -> Answer:
        parts = urlsplit(url)
        path = parts.path or "/"
        query = parts.query
        if params:
            extra = urlencode({k: v for k, v in params.items() if v is not None}, doseq=True)
            query = f"{query}&{extra}" if query else extra
        kwargs: dict[str, Any] = {"headers": dict(headers), "query_string": query}
        if json_body is not None:
            kwargs["json"] = json_body
        response = self.client.open(path, method=method, **kwargs)
        full = f"{self.host}{path}" + (f"?{query}" if query else "")
        return Answer(method, full, response.status_code, CaseInsensitiveDict(dict(response.headers)),
                      response.get_data(), response)

    def call_case(self, case: Any, *, headers: Mapping[str, str], excluded_checks: list[Any]) -> Any:
        if self.read_only and case.method.upper() not in READ_METHODS:
            raise WriteRefused(f"read-only run: refused to send {case.method.upper()} {case.path}")
        return case.call_and_validate(headers=dict(headers), excluded_checks=excluded_checks)

    def prepare_schema(self, schema: Any) -> Any:
        schema.app = self.app
        return schema

    def describe(self) -> str:
        return "the fake, in process (no server)"


def in_process_app(**settings: Any) -> Any:
    """A fresh fake (temporary store, bundled fixtures) for runs with no server."""
    from mock_server import Settings, create_app

    return create_app(Settings(**settings))
