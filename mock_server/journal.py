"""The journal of received requests that GET /__admin/requests shows."""

from __future__ import annotations

import time

from flask import Flask, Response, g, request

from .clock import iso
from .store import dumps


def install(app: Flask) -> None:
    @app.before_request
    def _start_timer() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def _record(response: Response) -> Response:
        if request.path.startswith("/__admin"):
            return response
        mock = app.extensions["sendcloud_mock"]
        account = getattr(g, "account", None)
        entry = {
            # Wall-clock time: reading the server clock again would cost a query per request.
            "at": iso(time.time()),
            "method": request.method,
            "path": request.path,
            "query": request.query_string.decode("latin-1"),
            "status": response.status_code,
            "account": account.api_key if account else None,
            "operation": getattr(g, "operation_id", None),
            "rule": getattr(g, "fault_rule", None),
            "duration_ms": round((time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 3),
        }
        db = mock.store.connection()
        # One statement in autocommit: its own transaction, no BEGIN/COMMIT round trips.
        cursor = db.execute("INSERT INTO journal (at, data) VALUES (?, ?)", (entry["at"], dumps(entry)))
        if cursor.lastrowid and cursor.lastrowid % 100 == 0:
            db.execute("DELETE FROM journal WHERE id <= ?", (cursor.lastrowid - mock.settings.journal_size,))
        return response
