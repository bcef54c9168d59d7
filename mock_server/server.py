"""gunicorn, embedded: the production WSGI server behind `sendcloud-mock serve`."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from .config import Settings

TEXT_ACCESS_FORMAT = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms'


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
            # (benchmarks/README.md): more threads only add GIL contention.
            "worker_class": "gthread",
            "threads": 2,
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
        if s.log_format == "json":
            options["logger_class"] = JsonAccessLogger
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from .app import create_app

        logging.basicConfig(level=self.settings.log_level.upper())
        return create_app(self.settings)


def run(settings: Settings) -> None:
    FakeServer(settings).run()
