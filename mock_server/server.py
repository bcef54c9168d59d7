"""gunicorn, embedded: the production WSGI server behind `sendcloud-mock serve`.

The workers are gevent workers (measured against gthread and others: see the README's
"Production server"): slow or idle clients and delayed answers cost a greenlet each, so
they can never starve the admin API or other clients, and the request path costs no more
CPU than gthread's.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import time
from collections.abc import MutableMapping
from datetime import datetime, timezone
from typing import Any

from gunicorn import util as gunicorn_util
from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from . import redact
from .config import Settings

TEXT_ACCESS_FORMAT = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms'


class TextAccessLogger(Logger):
    """The text access line, written with one system call (gunicorn's formatter costs more)."""

    def access(self, resp: Any, req: Any, environ: MutableMapping[str, Any], request_time: Any) -> None:
        query = redact.query(environ.get("QUERY_STRING", ""))
        target = environ.get("PATH_INFO", "") + ("?" + query if query else "")
        if self.cfg.accesslog != "-":
            # gunicorn's own line shows the raw request URI: give it the redacted one.
            super().access(resp, req, {**environ, "RAW_URI": target, "QUERY_STRING": query}, request_time)
            return
        status = resp.status_code if hasattr(resp, "status_code") else str(resp.status).split()[0]
        line = (f'{environ.get("REMOTE_ADDR", "-")} "{environ.get("REQUEST_METHOD")} {target} '
                f'{environ.get("SERVER_PROTOCOL", "")}" {status} {getattr(resp, "sent", 0)} '
                f"{int(request_time.total_seconds() * 1000)}ms\n")
        try:
            os.write(1, line.encode("utf-8", "replace"))
        except OSError:
            pass


class JsonAccessLogger(Logger):
    """One JSON object per request on the access log (values escaped, unlike a format string)."""

    def access(self, resp: Any, req: Any, environ: MutableMapping[str, Any], request_time: Any) -> None:
        if not (self.cfg.accesslog or self.cfg.logconfig or self.cfg.syslog):
            return
        line = {
            "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "remote": environ.get("REMOTE_ADDR"),
            "method": environ.get("REQUEST_METHOD"),
            "path": environ.get("PATH_INFO"),
            "query": redact.query(environ.get("QUERY_STRING", "")),
            "status": resp.status_code if hasattr(resp, "status_code") else int(str(resp.status).split()[0]),
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 3),
            "user_agent": environ.get("HTTP_USER_AGENT"),
        }
        try:
            self.access_log.info(json.dumps(line))
        except Exception:  # noqa: BLE001 - a log line must never break a request
            self.exception("could not write the access log line")


def write_json_error(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's error answer (sent before the app sees the request), as a v2 JSON error."""
    body = json.dumps({"error": {"code": status_int, "message": f"{reason}: {mesg}"[:500], "request": ""}},
                      ensure_ascii=True).encode()
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode("latin-1", "replace")
    gunicorn_util.write_nonblock(sock, head + body)


def closing_on_request(app: Any) -> Any:
    """Let the app close the connection: a `Connection: close` header it sets (after a body it
    did not read to the end) makes gunicorn close instead of reading the rest as a next request."""

    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if any(name.lower() == "connection" and value.lower() == "close" for name, value in headers):
                owner = getattr(start_response, "__self__", None)
                if owner is not None and hasattr(owner, "force_close"):
                    owner.force_close()
            return start_response(status, headers, exc_info)

        return app(environ, start)

    return wsgi


# Larger bodies go out after their head as before: copying them behind it costs more than a call.
ONE_CALL_BYTES = 64 * 1024


def head_with_body(response_class: Any) -> None:
    """Make gunicorn send a whole-body answer's head and body with one system call, not two.

    gunicorn writes the head, then the body; on loopback each send is a wake-up of the client,
    and for a small JSON answer they cost a third of the request. Streamed, chunked, bodiless
    and partial writes keep gunicorn's own path."""
    original = response_class.write
    if getattr(original, "head_with_body", False):
        return

    def write(self: Any, arg: Any) -> None:
        if (self.headers_sent or self.chunked or self._omits_body or not isinstance(arg, bytes)
                or self.response_length != len(arg) or not arg or len(arg) > ONE_CALL_BYTES):
            original(self, arg)
            return
        head = self.default_headers()
        head.extend([f"{name}: {value}\r\n" for name, value in self.headers])
        head.append("\r\n")
        self.headers_sent = True
        self.sent += len(arg)
        gunicorn_util.write(self.sock, gunicorn_util.to_bytestring("".join(head), "latin-1") + arg)

    write.head_with_body = True  # type: ignore[attr-defined]
    response_class.write = write


def second_date(formatted: Any) -> Any:
    """gunicorn's Date header formatter, made once per second instead of once per answer."""
    kept: dict[int, str] = {}

    def http_date(timestamp: float | None = None) -> str:
        if timestamp is not None:
            return str(formatted(timestamp))
        second = int(time.time())
        text = kept.get(second)
        if text is None:
            kept.clear()
            text = kept[second] = str(formatted(second))
        return text

    http_date.second_date = True  # type: ignore[attr-defined]
    return http_date


# Below this many connections held, a worker pauses accepting briefly after each one (balance).
BALANCE_BELOW = 10


def _gevent_worker_class() -> type:
    """gunicorn's gevent worker, patched without `thread`: one OS thread per worker keeps one
    SQLite connection and one set of read caches (threading.local stays per thread, not per
    greenlet), while sockets and sleeps become cooperative, so a slow client or a fault
    rule's delay holds a greenlet, never the worker."""
    import gunicorn.workers.ggevent as ggevent
    from gevent.server import StreamServer

    class BalancedStreamServer(StreamServer):
        """Accepts like gevent's, but after taking a connection while already holding a few,
        pauses accepting for a moment so an idler sibling worker takes the next one. Clients
        open their keep-alive connections all at once (test suites, wrk), and without this one
        worker can end up with all of them while the other idles, halving throughput.

        It overrides gevent's private accept loop (`_do_read`, `_watcher`,
        `_start_accepting_if_started`), which gevent's stubs do not describe: hence the ignores."""

        balance = False

        def _do_read(self) -> None:
            # Few connections: one accept at a time (and a pause, below). Many (a crowd of slow
            # clients): accept in bursts, so a request behind them in the backlog is reached soon.
            self.max_accept = 1 if self._held() <= BALANCE_BELOW else 100
            super()._do_read()  # type: ignore[misc]

        def _held(self) -> int:
            return (self.pool.size or 0) - self.pool.free_count() if self.pool is not None else 0

        def do_handle(self, *args: Any) -> None:
            super().do_handle(*args)
            held = self._held()
            if self.balance and 1 < held <= BALANCE_BELOW and self._watcher is not None:  # type: ignore[attr-defined]
                self.stop_accepting()
                self._timer = self.loop.timer(0.0002 * held)
                # (the stubs make `update` required; gevent defaults it)
                self._timer.start(self._start_accepting_if_started)  # type: ignore[attr-defined, call-arg]

    class FakeGeventWorker(ggevent.GeventWorker):
        def init_process(self) -> None:
            # The server's own rejections (request line or headers too long, broken framing)
            # answer in Sendcloud's v2 error format too, not in gunicorn's HTML page.
            gunicorn_util.write_error = write_json_error
            from gunicorn.http import wsgi

            head_with_body(wsgi.Response)
            if not getattr(gunicorn_util.http_date, "second_date", False):
                gunicorn_util.http_date = second_date(gunicorn_util.http_date)
            super().init_process()

        def run(self) -> None:
            BalancedStreamServer.balance = self.cfg.workers > 1
            ggevent.StreamServer = BalancedStreamServer  # type: ignore[attr-defined]  # gunicorn's import of it
            super().run()

        def patch(self) -> None:
            import socket
            import warnings

            from gevent import monkey

            with warnings.catch_warnings():
                # ssl was imported before the fork (jwt imports it); the fake makes no TLS calls itself.
                warnings.simplefilter("ignore", monkey.MonkeyPatchWarning)
                monkey.patch_all(thread=False)
            # gunicorn's listeners are its own socket wrappers (the stubs say plain sockets).
            listeners: list[Any] = self.sockets
            self.sockets = [socket.socket(s.FAMILY, socket.SOCK_STREAM, fileno=s.sock.detach()) for s in listeners]

    return FakeGeventWorker


class FakeServer(BaseApplication):
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        s = self.settings
        options: dict[str, Any] = {
            "bind": f"{s.host}:{s.port}",
            "workers": max(1, s.workers),
            # gevent workers: a connection (idle, half-sent, or waiting out a fault rule's delay)
            # holds a greenlet, not the worker; see _gevent_worker_class.
            "worker_class": _gevent_worker_class(),
            "worker_connections": max(1, s.max_connections),
            "preload_app": True,
            "graceful_timeout": 20,
            "timeout": 60,
            "keepalive": 5,
            "loglevel": s.log_level,
            "accesslog": "-",
            "errorlog": "-",
            "access_log_format": TEXT_ACCESS_FORMAT,
            "proc_name": "sendcloud-mock",
        }
        # Several fakes may run side by side: no gunicornc control socket (gunicorn 25.1+).
        if "control_socket_disable" in self.cfg.settings:
            options["control_socket_disable"] = True
        options["logger_class"] = JsonAccessLogger if s.log_format == "json" else TextAccessLogger
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from .app import create_app

        logging.basicConfig(level=self.settings.log_level.upper())
        app = closing_on_request(create_app(self.settings))
        # Everything built so far (modules, the compiled spec, fixtures, the service point index)
        # lives as long as the process: out of the collector's sight, a full collection in a worker
        # no longer walks it (those were the long pauses behind the p99), and the pages it sits in
        # stay shared with the workers instead of being copied when the collector touches them.
        gc.collect()
        gc.freeze()
        return app


def run(settings: Settings) -> None:
    FakeServer(settings).run()
