"""Helpers for testing the kit itself: a threaded local server and a deliberately drifted API.

A kit that cannot fail proves nothing, so its tests run it against `drifted(app)`: the fake
with its Return answers rewritten the way a changed production API might answer.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

DRIFTS = {
    "created_at": ("missing_required", "removed"),
    "is_cancellable": ("type_changed", "yes"),
    "status": ("enum_value_unknown", "teleported"),
    "carbon_footprint_g": ("unknown_field", 412),
}


class _QuietHandler(WSGIRequestHandler):
    """No access log: request lines carry portal tokens in their query strings."""

    def log(self, type: str, message: str, *args: Any) -> None:  # werkzeug's signature
        return


class ServedApp:
    """A WSGI app served on 127.0.0.1 (a free port) from a daemon thread, until `close()`."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self._server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="sendcloud-contracts-server",
                                        daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> ServedApp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def drift_return(item: dict[str, Any]) -> dict[str, Any]:
    """A v3 Return as a drifted API answers it: one field gone, one retyped, one unknown value, one new."""
    drifted = {k: v for k, v in item.items() if k != "created_at"}
    drifted["is_cancellable"] = DRIFTS["is_cancellable"][1]
    drifted["status"] = DRIFTS["status"][1]
    drifted["carbon_footprint_g"] = DRIFTS["carbon_footprint_g"][1]
    return drifted


Rewrite = Callable[[dict[str, Any], str, bytes], "tuple[str, bytes]"]


def rewriting(app: Callable[..., Any], rewrite: Rewrite) -> Callable[..., Any]:
    """WSGI middleware: every answer passes through `rewrite(environ, status, body) -> (status, body)`."""

    def wrapper(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], Any]:
            captured.update(status=status, headers=headers)
            return lambda data: None

        chunks = app(environ, capture)
        try:
            body = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        status, body = rewrite(environ, captured["status"], body)
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(body))))
        start_response(status, headers)
        return [body]

    return wrapper


def drifted(app: Callable[..., Any], *, hide_admin: bool = True) -> Callable[..., Any]:
    """The fake as a drifted production API: v3 Returns as `drift_return` says, /__admin hidden (404)."""

    def rewrite(environ: dict[str, Any], status: str, body: bytes) -> tuple[str, bytes]:
        path = environ.get("PATH_INFO", "")
        if hide_admin and path.startswith("/__admin"):
            return "404 NOT FOUND", b'{"error": {"code": "not_found", "message": "Not found.", "request": "__admin"}}'
        if path.startswith("/api/v3/returns") and status.startswith("200"):
            return status, _rewrite(body)
        return status, body

    return rewriting(app, rewrite)


def _rewrite(body: bytes) -> bytes:
    try:
        data = json.loads(body)
    except ValueError:
        return body
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        data["data"] = [drift_return(item) if isinstance(item, dict) else item for item in data["data"]]
    elif isinstance(data, dict) and "status_history" in data:
        data = drift_return(data)
    return json.dumps(data).encode()


def served(app: Callable[..., Any]) -> Iterator[ServedApp]:
    """Context-manager style generator for pytest fixtures: yields the server, closes it after."""
    server = ServedApp(app)
    try:
        yield server
    finally:
        server.close()
