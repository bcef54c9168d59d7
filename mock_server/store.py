"""The SQLite store every worker process shares: one file, WAL mode, a connection per thread."""

from __future__ import annotations

import fcntl
import json
import mmap
import os
import shutil
import sqlite3
import struct
import tempfile
import threading
import weakref
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS accounts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    api_key TEXT NOT NULL UNIQUE,
    api_secret TEXT NOT NULL,
    name TEXT NOT NULL,
    from_fixtures INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS brands (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL,
    domain TEXT NOT NULL UNIQUE,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outgoing_parcels (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL,
    brand_id INTEGER,
    tracking_number TEXT NOT NULL,
    order_number TEXT,
    postal_code TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS outgoing_by_tracking ON outgoing_parcels (tracking_number);
CREATE INDEX IF NOT EXISTS outgoing_by_order ON outgoing_parcels (order_number);
CREATE TABLE IF NOT EXISTS returns (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL,
    external_reference TEXT,
    created_at REAL NOT NULL,
    cancelled_at REAL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS returns_by_account ON returns (account_id, id);
CREATE UNIQUE INDEX IF NOT EXISTS returns_external_reference
    ON returns (account_id, external_reference) WHERE external_reference IS NOT NULL;
CREATE TABLE IF NOT EXISTS parcels (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    return_id INTEGER NOT NULL,
    account_id INTEGER NOT NULL,
    collo_index INTEGER NOT NULL,
    tracking_number TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS parcels_by_return ON parcels (return_id);
CREATE TABLE IF NOT EXISTS faults (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    data TEXT NOT NULL,
    remaining INTEGER,
    hits INTEGER NOT NULL DEFAULT 0,
    window_start REAL,
    window_count INTEGER NOT NULL DEFAULT 0
);
"""

# Ids start where real Sendcloud ids live, so they look like production ones.
FIRST_IDS = {"returns": 1_750_000, "parcels": 300_000_000, "brands": 100, "outgoing_parcels": 250_000_000}

SQLITE_MAX_INT = 2**63 - 1
T = TypeVar("T")


class Store:
    """A handle on one SQLite database file; safe to share between threads and forked workers."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        if path is None:
            folder = tempfile.mkdtemp(prefix="sendcloud-mock-")
            path = os.path.join(folder, "store.sqlite3")
            self.temporary = True
            owner = os.getpid()
            weakref.finalize(self, lambda: os.getpid() == owner and shutil.rmtree(folder, ignore_errors=True))
        else:
            self.temporary = False
        self.path = str(Path(path).resolve())
        self._local = threading.local()
        self._version = WriteCounter(self.path + ".version")
        self._initialise()

    def _initialise(self) -> None:
        self.connection().executescript(SCHEMA)
        with self.transaction() as db:
            for table, first in FIRST_IDS.items():
                row = db.execute("SELECT seq FROM sqlite_sequence WHERE name = ?", (table,)).fetchone()
                if row is None:
                    db.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (table, first))

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (a new one after a fork, since SQLite handles must not cross it)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            return conn
        self._local.cache = {}
        self._local.__dict__.pop("data_version", None)
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=30000")
        self._local.conn = conn
        self._local.pid = os.getpid()
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction, taken immediately so concurrent writers queue instead of failing."""
        db = self.connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        else:
            db.execute("COMMIT")
            self._version.bump()
        finally:
            self._local.own_writes = getattr(self._local, "own_writes", 0) + 1

    def begin_request(self) -> None:
        """Look once whether another connection committed; keep that answer until end_request()."""
        self._refresh()
        self._local.pinned = True

    def end_request(self) -> None:
        self._local.pinned = False

    def _refresh(self) -> None:
        self._local.data_version = self._version.read()

    def cached(self, key: Any, load: Callable[[], T]) -> T:
        """`load()`, remembered by this thread until anyone writes to the database.

        For state read on every request but rarely changed (the clock offset, fault rules,
        accounts, settled views): the shared write counter, read once per request (or per call
        outside one), tells when any process committed; this thread's own commits are counted too.
        """
        cache = self._cache()
        if key not in cache:
            cache[key] = load()
        return cache[key]

    def remember(self, key: Any, value: Any) -> None:
        self._cache()[key] = value

    def recall(self, key: Any) -> Any:
        return self._cache().get(key)

    def _cache(self) -> dict[Any, Any]:
        if not getattr(self._local, "pinned", False) or "data_version" not in self._local.__dict__:
            self._refresh()
        version = (self._local.data_version, getattr(self._local, "own_writes", 0))
        cache = self._local.__dict__.setdefault("cache", {})
        if cache.get("__version__") != version:
            cache.clear()
            cache["__version__"] = version
        return cache

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        return self.connection().execute(sql, params).fetchall()

    def query_one(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Row | None:
        return self.connection().execute(sql, params).fetchone()

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.query_one("SELECT value FROM meta WHERE key = ?", (key,))
        return default if row is None else row["value"]

    def set_meta(self, db: sqlite3.Connection, key: str, value: str) -> None:
        db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def loads(text: str) -> Any:
    return json.loads(text)


class WriteCounter:
    """A counter in a small shared file, bumped after every commit by every process.

    Reading it is a memory read (the file is mapped), so a request can tell whether
    anything changed since it last looked without asking SQLite. Every write to the store
    goes through Store.transaction(), which bumps it.
    """

    def __init__(self, path: str) -> None:
        self._path = path
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        if os.fstat(fd).st_size < 8:
            os.ftruncate(fd, 8)
        self._map = mmap.mmap(fd, 8)
        os.close(fd)
        self._thread_lock = threading.Lock()
        self._lock_fd: tuple[int, int] | None = None

    def read(self) -> int:
        return struct.unpack_from("<Q", self._map, 0)[0]

    def bump(self) -> None:
        # POSIX record locks exclude other processes; the thread lock, other threads here.
        with self._thread_lock:
            fd = self._fd()
            fcntl.lockf(fd, fcntl.LOCK_EX)
            try:
                struct.pack_into("<Q", self._map, 0, self.read() + 1)
            finally:
                fcntl.lockf(fd, fcntl.LOCK_UN)

    def _fd(self) -> int:
        if self._lock_fd is None or self._lock_fd[0] != os.getpid():
            self._lock_fd = (os.getpid(), os.open(self._path, os.O_RDWR))
        return self._lock_fd[1]
