"""The journal of received requests that GET /__admin/requests shows.

Each request appends one JSON line to a file beside the store, with a single O_APPEND
write: lines from several workers never interleave, and recording costs a system call
instead of a database transaction. The file is rotated past a size, so it stays small.
"""

from __future__ import annotations

import json
import os
import threading
import time
from typing import Any

from flask import Flask, Response, g, request

from .clock import iso

ROTATE_BYTES = 4 * 1024 * 1024
CHECK_EVERY = 256


class RequestJournal:
    def __init__(self, store_path: str, *, size: int) -> None:
        self.path = store_path + ".requests.jsonl"
        self._size = size
        self._local = threading.local()
        self._fd()

    def _fd(self) -> int:
        fd = getattr(self._local, "fd", None)
        if fd is not None and self._local.pid == os.getpid():
            self._local.writes += 1
            if self._local.writes % CHECK_EVERY == 0:
                fd = self._rotate_if_needed(fd)
            return fd
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._local.fd, self._local.pid, self._local.writes = fd, os.getpid(), 0
        return fd

    def _rotate_if_needed(self, fd: int) -> int:
        """Past ROTATE_BYTES, start a new file (keeping the previous one); follow others' rotations."""
        try:
            current = os.stat(self.path)
        except FileNotFoundError:
            current = None
        mine = os.fstat(fd)
        if current is None or current.st_ino != mine.st_ino:
            os.close(fd)
            self._local.fd = None
            return self._reopen()
        if mine.st_size > ROTATE_BYTES:
            os.replace(self.path, self.path + ".1")
            os.close(fd)
            self._local.fd = None
            return self._reopen()
        return fd

    def _reopen(self) -> int:
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._local.fd, self._local.pid = fd, os.getpid()
        return fd

    def record(self, entry: dict[str, Any]) -> None:
        try:
            os.write(self._fd(), (json.dumps(entry, separators=(",", ":")) + "\n").encode())
        except OSError:
            pass  # a full disk: the request itself must still be answered

    def newest(self, limit: int) -> list[dict[str, Any]]:
        """The newest `limit` entries (at most the configured journal size), newest first."""
        limit = min(limit, self._size)
        lines: list[str] = []
        for path in (self.path, self.path + ".1"):
            lines.extend(reversed(_tail(path, self._size + 64 - len(lines))))
        entries, cleared = [], set()
        for line in lines:
            entry = json.loads(line)
            if "cleared" in entry:
                # An account's reset: its older entries are gone from view.
                cleared.add(entry["cleared"])
                continue
            if entry.get("account") in cleared:
                continue
            entries.append(entry)
            if len(entries) >= limit:
                break
        return entries

    def clear(self, account: str | None = None) -> None:
        """Forget every entry, or one account's (a marker line hides its older entries)."""
        if account is not None:
            self.record({"cleared": account})
            return
        for path in (self.path + ".1", self.path):
            try:
                os.truncate(path, 0)
            except FileNotFoundError:
                pass


def _tail(path: str, count: int) -> list[str]:
    """The last `count` complete lines of a file, oldest first."""
    if count <= 0:
        return []
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            end = handle.tell()
            block, data = 64 * 1024, b""
            position = end
            while position > 0 and data.count(b"\n") <= count:
                step = min(block, position)
                position -= step
                handle.seek(position)
                data = handle.read(step) + data
    except FileNotFoundError:
        return []
    lines = data.decode("utf-8", "replace").split("\n")
    complete = [line for line in lines[:-1] if line] if not data.endswith(b"\n") else [line for line in lines if line]
    if position > 0:
        complete = complete[1:]  # the first line may be cut
    return complete[-count:]


def install(app: Flask) -> None:
    @app.before_request
    def _start_timer() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def _record(response: Response) -> Response:
        path = request.path
        if path.startswith("/__admin"):
            return response
        context = g._get_current_object()
        account = getattr(context, "account", None)
        app.extensions["sendcloud_mock"].journal.record({
            # Wall-clock time: reading the server clock again would cost more than the entry.
            "at": iso(time.time()),
            "method": request.method,
            "path": path,
            "query": request.query_string.decode("latin-1"),
            "status": response.status_code,
            "account": account.api_key if account else None,
            "operation": getattr(context, "operation_id", None),
            "rule": getattr(context, "fault_rule", None),
            "duration_ms": round((time.perf_counter() - getattr(context, "started", time.perf_counter())) * 1000, 3),
        })
        return response
