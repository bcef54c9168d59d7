"""`mock_sendcloud()`: Sendcloud's hosts answered in process, like moto's `mock_aws`.

Inside the block (or the decorated function), `requests` and `httpx` (sync and async) calls
to https://panel.sendcloud.sc, https://servicepoints.sendcloud.sc and https://account.sendcloud.com
(OAuth2 tokens) are answered by a fresh
fake in this process: no server, no socket, no change in the code under test. Calls to any
other host go out untouched. The interception sits in the libraries' transports
(`requests.adapters.HTTPAdapter.send`, `httpx.HTTPTransport.handle_request`,
`httpx.AsyncHTTPTransport.handle_async_request`), so sessions, clients, auth and hooks work
as usual; only a library that is installed is patched.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import io
import tempfile
import threading
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlsplit

from .testing import SendcloudFake, WsgiAdminClient, default_account_key

# Sendcloud's API hosts: the panel (returns, portal), service points, and OAuth2's token endpoint.
HOSTS = {host: f"https://{host}"
         for host in ("panel.sendcloud.sc", "servicepoints.sendcloud.sc", "account.sendcloud.com")}
# Hop-by-hop and framing headers: the in-process call frames its own body.
_DROPPED = {"host", "content-length", "transfer-encoding", "connection"}

F = TypeVar("F", bound=Callable[..., Any])


class _Active:
    """The fakes of the open mock_sendcloud() blocks (innermost last) and the originals they patched."""

    lock = threading.RLock()
    fakes: ClassVar[list[Any]] = []
    originals: ClassVar[dict[str, Any]] = {}


def _answer(method: str, url: str, headers: list[tuple[str, str]],
            body: bytes) -> tuple[int, list[tuple[str, str]], bytes] | None:
    """The fake's answer to a request for one of Sendcloud's hosts; None for any other host."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host not in HOSTS or not _Active.fakes or parts.scheme != "https":
        return None
    app = _Active.fakes[-1]
    response = app.test_client().open(
        parts.path or "/", base_url=HOSTS[host], method=method, query_string=parts.query,
        headers=[(k, v) for k, v in headers if k.lower() not in _DROPPED], data=body)
    data = response.get_data()
    return response.status_code, list(response.headers.items()), data


def _body_bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if hasattr(body, "read"):
        return _body_bytes(body.read())
    return b"".join(_body_bytes(chunk) for chunk in body)


# -- requests ------------------------------------------------------------------------------

def _patch_requests() -> None:
    try:
        from requests.adapters import HTTPAdapter
    except ImportError:
        return
    original = HTTPAdapter.send
    _Active.originals["requests"] = original

    @functools.wraps(original)
    def send(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        answered = _answer(request.method, request.url, list(request.headers.items()), _body_bytes(request.body))
        if answered is None:
            return original(self, request, *args, **kwargs)
        return _requests_response(self, request, *answered)

    HTTPAdapter.send = send  # type: ignore[method-assign]


def _requests_response(adapter: Any, request: Any, status: int, headers: list[tuple[str, str]], data: bytes) -> Any:
    from http.client import responses as reasons

    from requests.models import Response
    from requests.structures import CaseInsensitiveDict
    from requests.utils import get_encoding_from_headers

    response = Response()
    response.status_code = status
    response.reason = reasons.get(status, "")
    response.headers = CaseInsensitiveDict(headers)
    response.encoding = get_encoding_from_headers(response.headers)
    response.raw = io.BytesIO(data)
    response._content = data
    response._content_consumed = True  # type: ignore[attr-defined]  # requests' own flag, not in its stubs
    response.url = request.url
    response.request = request
    response.connection = adapter
    return response


# -- httpx ---------------------------------------------------------------------------------

def _patch_httpx() -> None:
    try:
        import httpx
    except ImportError:
        return
    sync_original = httpx.HTTPTransport.handle_request
    async_original = httpx.AsyncHTTPTransport.handle_async_request
    _Active.originals["httpx"] = sync_original
    _Active.originals["httpx_async"] = async_original

    @functools.wraps(sync_original)
    def handle_request(self: Any, request: Any) -> Any:
        answered = _answer(request.method, str(request.url), request.headers.multi_items(), request.read())
        if answered is None:
            return sync_original(self, request)
        return httpx.Response(answered[0], headers=answered[1], content=answered[2], request=request)

    @functools.wraps(async_original)
    async def handle_async_request(self: Any, request: Any) -> Any:
        body = await request.aread()
        # The fake may sleep (a fault's delay): answer in a thread, so the event loop keeps running.
        answered = await asyncio.to_thread(_answer, request.method, str(request.url),
                                           request.headers.multi_items(), body)
        if answered is None:
            return await async_original(self, request)
        return httpx.Response(answered[0], headers=answered[1], content=answered[2], request=request)

    httpx.HTTPTransport.handle_request = handle_request  # type: ignore[method-assign]
    httpx.AsyncHTTPTransport.handle_async_request = handle_async_request  # type: ignore[method-assign]


def _unpatch() -> None:
    if "requests" in _Active.originals:
        from requests.adapters import HTTPAdapter

        HTTPAdapter.send = _Active.originals.pop("requests")  # type: ignore[method-assign]
    if "httpx" in _Active.originals:
        import httpx

        httpx.HTTPTransport.handle_request = _Active.originals.pop("httpx")  # type: ignore[method-assign]
        httpx.AsyncHTTPTransport.handle_async_request = _Active.originals.pop("httpx_async")  # type: ignore[method-assign]


# -- the public API ------------------------------------------------------------------------

class mock_sendcloud:  # lower case like moto's mock_aws, which users know
    """Answer Sendcloud's hosts from a fresh in-process fake, as a context manager or a decorator.

        with mock_sendcloud() as fake:
            requests.get("https://panel.sendcloud.sc/api/v3/returns", auth=fake.auth)

    Any key/secret pair is accepted (open accounts: a new key is a clone of the default
    account); `fake` is the default account's handle, and its clock, faults and journal calls
    act on the whole (private) fake. Keyword arguments are settings (`label_delay=0`, ...).
    """

    def __init__(self, **settings: Any) -> None:
        self._settings = settings
        self._app: Any = None
        self._folder: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> SendcloudFake:
        from . import Settings, create_app

        self._folder = tempfile.TemporaryDirectory(prefix="sendcloud-mock-")
        options = {"open_accounts": True, "db": self._folder.name + "/store.sqlite3", **self._settings}
        self._app = create_app(Settings(**options))
        admin = WsgiAdminClient(self._app)
        with _Active.lock:
            if not _Active.fakes:
                _patch_requests()
                _patch_httpx()
            _Active.fakes.append(self._app)
        _status, account = admin("GET", f"/__admin/accounts/{default_account_key(admin)}", None, {})
        return SendcloudFake(admin, HOSTS["panel.sendcloud.sc"], account, scoped=False)

    def __exit__(self, *exc: object) -> None:
        with _Active.lock:
            _Active.fakes.remove(self._app)
            if not _Active.fakes:
                _unpatch()
        self._app.extensions["sendcloud_mock"].store.close()
        if self._folder is not None:
            self._folder.cleanup()

    def __call__(self, function: F) -> F:
        if inspect.iscoroutinefunction(function):
            @functools.wraps(function)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with mock_sendcloud(**self._settings):
                    return await function(*args, **kwargs)

            return run_async  # type: ignore[return-value]

        @functools.wraps(function)
        def run(*args: Any, **kwargs: Any) -> Any:
            with mock_sendcloud(**self._settings):
                return function(*args, **kwargs)

        return run  # type: ignore[return-value]
