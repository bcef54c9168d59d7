"""The journal of received requests that GET /__admin/requests shows.

It lives in a database file of its own beside the store: one insert per request there
never contends with the writes (and the read caches) of the store itself.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from typing import Any

from flask import Flask, Response, g, request

from .clock import iso
from .store import dumps

SCHEMA = "CREATE TABLE IF NOT EXISTS journal (id INTEGER PRIMARY KEY AUTOINCREMENT, data TEXT NOT NULL)"


class RequestJournal:
    def __init__(self, store_path: str, *, size: int) -> None:
        self.path = store_path + ".requests"
        self._size = size
        self._local = threading.local()
        self._db().execute(SCHEMA)

    def _db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            return conn
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=OFF")
        self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def record(self, entry: dict[str, Any]) -> None:
        db = self._db()
        # One statement in autocommit: its own transaction, no BEGIN/COMMIT round trips.
        row_id = db.execute("INSERT INTO journal (data) VALUES (?)", (dumps(entry),)).lastrowid
        if row_id and row_id % 100 == 0:
            db.execute("DELETE FROM journal WHERE id <= ?", (row_id - self._size,))

    def newest(self, limit: int) -> list[dict[str, Any]]:
        rows = self._db().execute("SELECT data FROM journal ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [json.loads(row[0]) for row in rows]

    def clear(self) -> None:
        self._db().execute("DELETE FROM journal")


def install(app: Flask) -> None:
    @app.before_request
    def _start_timer() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def _record(response: Response) -> Response:
        if request.path.startswith("/__admin"):
            return response
        account = getattr(g, "account", None)
        app.extensions["sendcloud_mock"].journal.record({
            # Wall-clock time: reading the server clock again would cost more than the entry.
            "at": iso(time.time()),
            "method": request.method,
            "path": request.path,
            "query": request.query_string.decode("latin-1"),
            "status": response.status_code,
            "account": account.api_key if account else None,
            "operation": getattr(g, "operation_id", None),
            "rule": getattr(g, "fault_rule", None),
            "duration_ms": round((time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 3),
        })
        return response
