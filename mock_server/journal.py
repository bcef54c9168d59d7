"""The journal of received requests that GET /__admin/requests shows, and tests assert on.

Each entry holds the request (method, path, query, headers, body) and the answer (status,
body), the account, the operation, the fault rule hit, why a 4xx was refused, and the
server-clock and wall-clock times. Tokens and credentials never reach it: they are
replaced by a short hash of the whole value (see redact.py).

Each request appends one JSON line to a file beside the store, with a single O_APPEND
write: lines from several workers never interleave, and recording costs a system call
instead of a database transaction. The file is rotated past a size, so it stays small.
A store shared by several instances (PostgreSQL) keeps the lines in a table instead, so
every instance shows every instance's requests.
"""

from __future__ import annotations

import fnmatch
import json
import logging
import os
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from flask import Flask, Response, g, request

from . import redact
from .clock import iso
from .errors import ApiError
from .operations import body_for_hooks
from .scope import request_account
from .store import Store

ROTATE_BYTES = 4 * 1024 * 1024
CHECK_EVERY = 256
# Request and response bodies are kept up to this many characters (cut beyond, and marked so).
BODY_LIMIT = 8192
# Secrets are replaced in this much more than is kept, so no token is cut before it is replaced.
REDACT_MARGIN = 4096
# Distinct bodies remembered with their journal form (each at most BODY_LIMIT + REDACT_MARGIN bytes).
BODIES_KEPT = 256

log = logging.getLogger("sendcloud_mock")


class RequestJournal:
    def __init__(self, store: Store, *, size: int) -> None:
        self._size = size
        self._local = threading.local()
        self._bodies: dict[tuple[bytes, bool], tuple[Any, bool]] = {}
        self._shared: Store | None = store if store.journal_in_database else None
        self.path = "" if self._shared is not None else str(store.location) + ".requests.jsonl"
        if self._shared is None:
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
        line = _line(entry)
        if self._shared is not None:
            try:
                self._shared.append_journal(line, keep=self._size)
            except self._shared.database_errors:
                pass  # a full disk: the request itself must still be answered
            return
        try:
            os.write(self._fd(), (line + "\n").encode())
        except OSError:
            pass  # a full disk: the request itself must still be answered

    def body(self, raw: bytes) -> tuple[Any, bool]:
        """A body as the journal keeps it (see _body_text), remembered: the same answers recur
        (a return read again and again), and redacting and re-encoding them is most of an entry's cost."""
        key = raw[:BODY_LIMIT + REDACT_MARGIN], len(raw) > BODY_LIMIT
        kept = self._bodies.get(key)
        if kept is None:
            kept = _body_text(raw)
            if len(self._bodies) >= BODIES_KEPT:
                self._bodies.clear()
            self._bodies[key] = kept
        return kept

    def newest(self, limit: int, where: Filter | None = None) -> list[dict[str, Any]]:
        """The newest `limit` matching entries (of the last `size` recorded), newest first."""
        entries = []
        for entry in self._visible():
            if where is None or where.matches(entry):
                entries.append(entry)
                if len(entries) >= limit:
                    break
        return entries

    def count(self, where: Filter | None = None) -> int:
        return sum(1 for entry in self._visible() if where is None or where.matches(entry))

    def _visible(self) -> Iterator[dict[str, Any]]:
        """The last `size` entries, newest first, without those an account's reset hid."""
        lines: list[str] = []
        if self._shared is not None:
            lines = self._shared.journal_lines(self._size + 64)
        else:
            for path in (self.path, self.path + ".1"):
                lines.extend(reversed(_tail(path, self._size + 64 - len(lines))))
        cleared: set[str] = set()
        shown = 0
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if "cleared" in entry:
                # An account's reset or deletion: its older entries are gone from view.
                cleared.add(entry["cleared"])
                continue
            if entry.get("account") in cleared:
                continue
            yield entry
            shown += 1
            if shown >= self._size:
                return

    def clear(self, account: str | None = None) -> None:
        """Forget every entry, or one account's (a marker line hides its older entries)."""
        if account is not None:
            self.record({"cleared": account})
            return
        if self._shared is not None:
            self._shared.clear_journal()
            return
        for path in (self.path + ".1", self.path):
            try:
                os.truncate(path, 0)
            except FileNotFoundError:
                pass


@dataclass(frozen=True)
class Filter:
    """Which journal entries to show: every given field must match (path is a glob)."""

    account: str | None = None
    method: str | None = None
    path: str | None = None
    operation: str | None = None
    status: int | None = None
    since: float | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> Filter:
        since = params.get("since")
        moment = None
        if since is not None:
            try:
                parsed = datetime.fromisoformat(since.replace("Z", "+00:00"))
                moment = (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).timestamp()
            except (ValueError, OverflowError, OSError):
                raise ApiError.one(400, "invalid", "Expected an ISO 8601 date-time.", parameter="since") from None
        method = params.get("method")
        return cls(account=params.get("account"), method=method.upper() if method else None, path=params.get("path"),
                   operation=params.get("operation"), status=params.get("status"), since=moment)

    def matches(self, entry: Mapping[str, Any]) -> bool:
        if self.account is not None and entry.get("account") != self.account:
            return False
        if self.method is not None and entry.get("method") != self.method:
            return False
        if self.path is not None and not fnmatch.fnmatchcase(entry.get("path", ""), self.path):
            return False
        if self.operation is not None and entry.get("operation") != self.operation:
            return False
        if self.status is not None and entry.get("status") != self.status:
            return False
        return self.since is None or _seconds(entry.get("at")) >= self.since


def _seconds(when: Any) -> float:
    try:
        return datetime.fromisoformat(when).timestamp()
    except (TypeError, ValueError):
        return 0.0


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
        mock = app.extensions["sendcloud_mock"]
        try:
            mock.journal.record(entry(mock, response))
        except OSError:
            # A journal that cannot be written (a full disk) must not fail the request.
            log.warning("could not append to the request journal", exc_info=True)
        return response


def entry(mock: Any, response: Response) -> dict[str, Any]:
    """One journal entry: the request and answer as received and sent, secrets replaced by marks."""
    # The objects behind Flask's proxies, looked up once (each proxy access is a context lookup).
    context, current = g._get_current_object(), request._get_current_object()  # type: ignore[attr-defined]
    account = getattr(context, "account", None)
    if account is not None:
        key, account_id = account.api_key, account.id
    else:
        named = request_account(mock.store, current)
        key, account_id = named if named else (None, None)
    request_body, request_cut = mock.journal.body(body_for_hooks(mock.settings.max_body_bytes) or b"")
    answer, answer_cut = (mock.journal.body(response.get_data()) if (response.mimetype or "").endswith("json")
                          and not response.direct_passthrough and not response.is_streamed else (None, False))
    status = response.status_code
    return {
        "at": iso(time.time()),
        "server_at": iso(mock.clock.now(account_id)),
        "method": current.method,
        "path": current.path,
        "query": redact.query(current.query_string.decode("latin-1")),
        "headers": redact.headers(list(current.headers.items())),
        "body": request_body,
        "body_truncated": request_cut,
        "status": status,
        "response": answer,
        "response_truncated": answer_cut,
        "why": _why(json.loads(answer) if isinstance(answer, EncodedJson) else answer) if 400 <= status < 500 else None,
        "account": key,
        "operation": getattr(context, "operation_id", None),
        "rule": getattr(context, "fault_rule", None),
        "duration_ms": round((time.perf_counter() - getattr(context, "started", time.perf_counter())) * 1000, 3),
    }


class EncodedJson(str):
    """JSON text that goes into a journal line as it is: already valid, redacted and on one line."""


def _line(entry: dict[str, Any]) -> str:
    """The entry as one line of JSON; EncodedJson members are put in as they are, not re-encoded."""
    encoded = [(name, value) for name, value in entry.items() if isinstance(value, EncodedJson)]
    if not encoded:
        return json.dumps(entry, separators=(",", ":"))
    rest = json.dumps({name: value for name, value in entry.items() if not isinstance(value, EncodedJson)},
                      separators=(",", ":"))
    members = ",".join(f"{json.dumps(name)}:{value}" for name, value in encoded)
    return "{" + members + "}" if rest == "{}" else rest[:-1] + "," + members + "}"


def _body_text(raw: bytes) -> tuple[Any, bool]:
    """A body for the journal: its JSON value when it is JSON and fits (as EncodedJson text when
    it is on one line), else its text cut at BODY_LIMIT."""
    if not raw:
        return None, False
    # Redact before cutting: a token straddling the cut would otherwise leave its head behind.
    text = redact.body(raw[:BODY_LIMIT + REDACT_MARGIN].decode("utf-8", "replace"))
    if len(raw) <= BODY_LIMIT and len(text) <= BODY_LIMIT:
        try:
            value = json.loads(text)
        except ValueError:
            return text, False
        # One line, and not a bare string, so readers still find a string where a text was kept.
        if "\n" not in text and "\r" not in text and not isinstance(value, str):
            return EncodedJson(text.strip()), False
        return value, False
    return text[:BODY_LIMIT], True


def _why(answer: Any) -> str | None:
    """The error a 4xx answered, in one line: code, message and the field it names."""
    if isinstance(answer, dict) and isinstance(answer.get("error"), dict):
        error = answer["error"]
        return f"{error.get('code')}: {error.get('message')}"
    if isinstance(answer, dict) and isinstance(answer.get("errors"), list):
        parts = []
        for error in answer["errors"][:5]:
            if not isinstance(error, dict):
                continue
            where = error.get("source") or {}
            named = next(iter(where.values()), None) if isinstance(where, dict) else None
            named = named or error.get("field")
            text = f"{error.get('code')}: {error.get('detail') or error.get('message')}"
            parts.append(f"{text} ({named})" if named else text)
        return "; ".join(parts) or None
    if answer is None:
        return None
    return str(answer)[:200]
