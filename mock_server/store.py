"""The SQLite store every worker process shares: one file, WAL mode, a connection per thread."""

from __future__ import annotations

import errno
import fcntl
import json
import mmap
import os
import secrets
import shutil
import sqlite3
import struct
import tempfile
import threading
import urllib.parse
import weakref
from collections import OrderedDict
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
CREATE TABLE IF NOT EXISTS store_identity (
    id TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS faults (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    data TEXT NOT NULL,
    remaining INTEGER,
    hits INTEGER NOT NULL DEFAULT 0,
    window_start REAL,
    window_count INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS account_clocks (
    account_id INTEGER PRIMARY KEY,
    advanced REAL NOT NULL DEFAULT 0,
    skew REAL NOT NULL DEFAULT 0,
    frozen_at REAL
);
"""

# Ids start where real Sendcloud ids live, so they look like production ones.
FIRST_IDS = {"returns": 1_750_000, "parcels": 300_000_000, "brands": 100, "outgoing_parcels": 250_000_000}

SQLITE_MAX_INT = 2**63 - 1
# Values each thread remembers between writes (see Store.cached): bounded, least recently used out.
CACHE_ENTRIES = 4096
T = TypeVar("T")


class StoreRefused(Exception):
    """The --db file is not one of ours (foreign tables) or is not a readable SQLite database."""


# Tables whose presence marks a database as a fake's store (older stores lack store_identity).
OUR_CORE_TABLES = {"meta", "accounts", "returns"}
SQLITE_HEADER = b"SQLite format 3\x00"


def check_existing(path: str | os.PathLike[str]) -> None:
    """Refuse a database file that is not ours, or is corrupt, without modifying it in any way.

    Opened read-only and immutable: no WAL switch, no -wal/-shm side files, no tables.
    An absent or empty file is fine (it becomes a new store).
    """
    path = str(path)
    try:
        size = os.path.getsize(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StoreRefused(f"cannot read {path}: {exc.strerror or exc}") from None
    if size == 0:
        return
    try:
        with open(path, "rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise StoreRefused(f"cannot read {path}: {exc.strerror or exc}") from None
    if header != SQLITE_HEADER:
        raise StoreRefused(f"{path} is not an SQLite database (or its header is corrupt)")
    uri = "file:" + urllib.parse.quote(os.path.abspath(path)) + "?mode=ro&immutable=1"
    try:
        conn = sqlite3.connect(uri, uri=True)
        try:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            problem = conn.execute("PRAGMA quick_check(1)").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise StoreRefused(f"{path} is a corrupt SQLite database ({exc})") from None
    if problem != "ok":
        raise StoreRefused(f"{path} is a corrupt SQLite database ({problem})")
    user_tables = {name for name in tables if not name.startswith("sqlite_")}
    if user_tables and not OUR_CORE_TABLES <= user_tables:
        shown = ", ".join(sorted(user_tables)[:5]) + (", ..." if len(user_tables) > 5 else "")
        raise StoreRefused(f"{path} is not a sendcloud-mock store (it holds other tables: {shown})")


def is_storage_failure(error: BaseException) -> bool:
    """A write the disk refused (full, read-only, I/O error), as opposed to a bug or a constraint."""
    if not isinstance(error, sqlite3.OperationalError):
        return isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO)
    text = str(error).lower()
    return any(part in text for part in ("full", "disk i/o", "readonly", "read-only", "unable to open"))


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
            check_existing(path)
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
            if db.execute("SELECT 1 FROM store_identity").fetchone() is None:
                db.execute("INSERT INTO store_identity (id) VALUES (?)", (secrets.token_hex(16),))
        # Which store this is: random per database file, kept through resets. Tokens carry it,
        # so a token of an earlier store (another file, a fresh temporary one) is never valid here.
        self.identity: str = self.connection().execute("SELECT id FROM store_identity").fetchone()[0]

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (a new one after a fork, since SQLite handles must not cross it)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            return conn
        self._local.cache = OrderedDict()
        self._local.__dict__.pop("cache_version", None)
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
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
            try:
                db.execute("COMMIT")
            except sqlite3.DatabaseError:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
        except (sqlite3.DatabaseError, OSError) as error:
            if is_storage_failure(error):
                self._version.set_degraded(True)
            raise
        else:
            self._version.bump()
            if self._version.degraded():
                self._version.set_degraded(False)
        finally:
            self._local.own_writes = getattr(self._local, "own_writes", 0) + 1

    def writable(self) -> bool:
        """Whether writes succeed. After a refused write (say, a full disk), this tries one small
        write (taking and freeing a few pages) so the answer changes as soon as writes work again."""
        if not self._version.degraded():
            return True
        try:
            with self.transaction() as db:
                db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('write_probe', ?)",
                           (secrets.token_hex(16 * 1024),))
                db.execute("DELETE FROM meta WHERE key = 'write_probe'")
        except (sqlite3.DatabaseError, OSError):
            return False
        return True

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
        At most CACHE_ENTRIES values are kept per thread, the least recently used dropped first;
        callers only remember what exists (never a miss keyed by a value a client chose).
        """
        cache = self._cache()
        try:
            value = cache[key]
        except KeyError:
            value = load()
            self._keep(cache, key, value)
            return value
        cache.move_to_end(key)
        return value

    def remember(self, key: Any, value: Any) -> None:
        self._keep(self._cache(), key, value)

    def recall(self, key: Any) -> Any:
        cache = self._cache()
        value = cache.get(key)
        if value is not None:
            cache.move_to_end(key)
        return value

    @staticmethod
    def _keep(cache: OrderedDict[Any, Any], key: Any, value: Any) -> None:
        cache[key] = value
        if len(cache) > CACHE_ENTRIES:
            cache.popitem(last=False)

    def _cache(self) -> OrderedDict[Any, Any]:
        local = self._local.__dict__
        if not local.get("pinned", False) or "data_version" not in local:
            self._refresh()
        version = (local["data_version"], local.get("own_writes", 0))
        cache = local.get("cache")
        if cache is None or local.get("cache_version") != version:
            cache = local["cache"] = OrderedDict()
            local["cache_version"] = version
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

    SIZE = 16  # the counter, then the "a write was refused" flag

    def __init__(self, path: str) -> None:
        self._path = path
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        if os.fstat(fd).st_size < self.SIZE:
            os.ftruncate(fd, self.SIZE)
        self._map = mmap.mmap(fd, self.SIZE)
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

    def degraded(self) -> bool:
        return struct.unpack_from("<Q", self._map, 8)[0] != 0

    def set_degraded(self, value: bool) -> None:
        struct.pack_into("<Q", self._map, 8, 1 if value else 0)

    def _fd(self) -> int:
        if self._lock_fd is None or self._lock_fd[0] != os.getpid():
            self._lock_fd = (os.getpid(), os.open(self._path, os.O_RDWR))
        return self._lock_fd[1]
