"""gunicorn, embedded: the production WSGI server behind `sendcloud-mock serve`."""

from __future__ import annotations

import json
import logging
import os
import time
from datetime import datetime, timezone
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger
from gunicorn.workers.gthread import ThreadWorker

from .config import Settings

TEXT_ACCESS_FORMAT = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms'


class TextAccessLogger(Logger):
    """The text access line, written with one system call (gunicorn's formatter costs more)."""

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if self.cfg.accesslog != "-":
            super().access(resp, req, environ, request_time)
            return
        query = environ.get("QUERY_STRING")
        target = environ.get("PATH_INFO", "") + ("?" + query if query else "")
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

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if not (self.cfg.accesslog or self.cfg.logconfig or self.cfg.syslog):
            return
        line = {
            "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "remote": environ.get("REMOTE_ADDR"),
            "method": environ.get("REQUEST_METHOD"),
            "path": environ.get("PATH_INFO"),
            "query": environ.get("QUERY_STRING", ""),
            "status": resp.status_code if hasattr(resp, "status_code") else int(str(resp.status).split()[0]),
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 3),
            "user_agent": environ.get("HTTP_USER_AGENT"),
        }
        try:
            self.access_log.info(json.dumps(line))
        except Exception:  # noqa: BLE001 - a log line must never break a request
            self.exception("could not write the access log line")


class BalancedThreadWorker(ThreadWorker):
    """A gthread worker that lets an idler sibling take a new connection first.

    Clients open their keep-alive connections all at once (test suites, wrk); every worker
    is woken for each, and without a nudge one worker can end up holding all of them while
    the other idles, halving throughput.
    """

    def accept(self, listener: Any) -> None:
        if self.nr_conns:
            time.sleep(min(0.002, 0.0002 * self.nr_conns))
        super().accept(listener)


class FakeServer(BaseApplication):
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        s = self.settings
        options: dict[str, Any] = {
            "bind": f"{s.host}:{s.port}",
            "workers": max(1, s.workers),
            # gthread keeps connections alive; 2 threads per worker measured fastest on 2 cores
            # (benchmarks/run.py): more threads only add GIL contention.
            "worker_class": "mock_server.server.BalancedThreadWorker",
            "threads": max(1, s.threads),
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
        return create_app(self.settings)


def run(settings: Settings) -> None:
    FakeServer(settings).run()
