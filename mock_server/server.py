"""gunicorn, embedded: the production WSGI server behind `sendcloud-mock serve`."""

from __future__ import annotations

import json
import logging
from typing import Any

from gunicorn.app.base import BaseApplication

from .config import Settings

JSON_ACCESS_FORMAT = json.dumps({
    "time": "%(t)s", "remote": "%(h)s", "method": "%(m)s", "path": "%(U)s", "query": "%(q)s",
    "status": "%(s)s", "bytes": "%(B)s", "duration_ms": "%(M)s", "user_agent": "%(a)s",
})
TEXT_ACCESS_FORMAT = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms'


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
            "access_log_format": JSON_ACCESS_FORMAT if s.log_format == "json" else TEXT_ACCESS_FORMAT,
            "proc_name": "sendcloud-mock",
        }
        # Several fakes may run side by side: no gunicornc control socket (gunicorn 25.1+).
        if "control_socket_disable" in self.cfg.settings:
            options["control_socket_disable"] = True
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from .app import create_app

        logging.basicConfig(level=self.settings.log_level.upper())
        return create_app(self.settings)


def run(settings: Settings) -> None:
    FakeServer(settings).run()
