"""The SQLite engine every worker process shares: one file, WAL mode, a connection per thread."""

from __future__ import annotations

import errno
import fcntl
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
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from . import migrations
from .base import Conflict, StoreRefused
from .interface import Store

# Tables whose presence marks a database as a fake's store (older stores lack store_identity).
OUR_CORE_TABLES = {"meta", "accounts", "returns"}
SQLITE_HEADER = b"SQLite format 3\x00"


def check_existing(path: str | os.PathLike[str]) -> None:
    """Refuse a database file that is not ours, is corrupt, or is of a newer schema, without
    modifying it in any way.

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
            version = None
            if "meta" in tables:
                row = conn.execute("SELECT value FROM meta WHERE key = ?", (migrations.VERSION_KEY,)).fetchone()
                version = None if row is None else row[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise StoreRefused(f"{path} is a corrupt SQLite database ({exc})") from None
    if problem != "ok":
        raise StoreRefused(f"{path} is a corrupt SQLite database ({problem})")
    user_tables = {name for name in tables if not name.startswith("sqlite_")}
    if user_tables and not user_tables >= OUR_CORE_TABLES:
        shown = ", ".join(sorted(user_tables)[:5]) + (", ..." if len(user_tables) > 5 else "")
        raise StoreRefused(f"{path} is not a sendcloud-mock store (it holds other tables: {shown})")
    if version is not None and (not str(version).isdigit() or int(version) > migrations.CURRENT):
        raise StoreRefused(migrations.newer_than_known(int(version) if str(version).isdigit() else -1, path))


def _is_storage_failure(error: BaseException) -> bool:
    if not isinstance(error, sqlite3.OperationalError):
        return isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO)
    text = str(error).lower()
    return any(part in text for part in ("full", "disk i/o", "readonly", "read-only", "unable to open"))


def remove_in_owner(folder: str, owner: int) -> None:
    """Remove a temporary store's folder, only from the process that made it (not a forked worker)."""
    if os.getpid() == owner:
        shutil.rmtree(folder, ignore_errors=True)


class SqliteStore(Store):
    """A handle on one SQLite database file; safe to share between threads and forked workers."""

    database_errors = (sqlite3.DatabaseError,)

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        super().__init__()
        if path is None:
            folder = tempfile.mkdtemp(prefix="sendcloud-mock-")
            path = os.path.join(folder, "store.sqlite3")
            self.temporary = True
            owner = os.getpid()
            weakref.finalize(self, remove_in_owner, folder, owner)
        else:
            self.temporary = False
            check_existing(path)
        self.path = str(Path(path).resolve())
        self.location = self.path
        self._version = WriteCounter(self.path + ".version")
        self._migrate()

    def _migrate(self) -> None:
        """Create the schema, or bring an older store's up to date, in one transaction."""
        with self.transaction(exclusive=True):
            # No version: a new file, or one of 0.2.0 or before (version 1's statements are all
            # "if not exists", so they complete whatever such a store lacks).
            tables = {row["name"] for row in self.all("SELECT name FROM sqlite_master WHERE type = 'table'")}
            version = int(self.get_meta(migrations.VERSION_KEY) or 0) if "meta" in tables else 0
            if version < migrations.CURRENT:
                for number, statements in migrations.SQLITE:
                    if number > version:
                        for statement in statements:
                            self.execute(statement)
                        for table, rewrite in migrations.rewrites(number):
                            self.rewrite_data(table, rewrite)
                self.set_meta(migrations.VERSION_KEY, str(migrations.CURRENT))
            self.execute(migrations.STORE_IDENTITY)  # a store from before it existed lacks it
            if self.one("SELECT 1 AS found FROM store_identity") is None:
                self.execute("INSERT INTO store_identity (id) VALUES (?)", (secrets.token_hex(16),))
        # Which store this is: random per database file, kept through resets. Tokens carry it,
        # so a token of an earlier store (another file, a fresh temporary one) is never valid here.
        self.identity = str(self.all("SELECT id FROM store_identity")[0]["id"])

    def schema_version(self) -> int:
        return int(self.get_meta(migrations.VERSION_KEY) or 0)

    # -- primitives ----------------------------------------------------------------------------

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (a new one after a fork, since SQLite handles must not cross it)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            return conn
        self._forget_caches()
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=30000")
        self._local.conn = conn
        self._local.pid = os.getpid()
        return conn

    def execute(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Cursor:
        try:
            return self.connection().execute(sql, tuple(params))
        except sqlite3.IntegrityError as error:
            raise Conflict(str(error)) from None

    def insert(self, sql: str, params: Iterable[Any] = ()) -> int:
        return int(self.execute(sql, params).lastrowid)  # type: ignore[arg-type]

    @contextmanager
    def transaction(self, *, exclusive: bool = False) -> Iterator[None]:
        """Taken immediately (every write transaction is exclusive here), so concurrent writers
        queue instead of failing."""
        db = self.connection()
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield None
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
            if _is_storage_failure(error):
                self._version.set_degraded(True)
            raise
        else:
            self._version.bump()
            if self._version.degraded():
                self._version.set_degraded(False)
        finally:
            self._wrote()

    def is_storage_failure(self, error: BaseException) -> bool:
        return _is_storage_failure(error)

    def writable(self) -> bool:
        """After a refused write (say, a full disk), this tries one small write (taking and freeing
        a few pages) so the answer changes as soon as writes work again."""
        if not self._version.degraded():
            return True
        try:
            with self.transaction():
                self.set_meta("write_probe", secrets.token_hex(16 * 1024))
                self.delete_meta("write_probe")
        except (sqlite3.DatabaseError, OSError):
            return False
        return True

    def clock_counters(self) -> FileCounters:
        return FileCounters(self.path + ".clock")

    def _data_version(self) -> int:
        return self._version.read()

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


class WriteCounter:
    """A counter in a small shared file, bumped after every commit by every process.

    Reading it is a memory read (the file is mapped), so a request can tell whether
    anything changed since it last looked without asking SQLite. Every write to the store
    goes through SqliteStore.transaction(), which bumps it.
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


class FileCounters:
    """Two counters in a small shared file (the clock's changes started and finished)."""

    def __init__(self, path: str) -> None:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if os.fstat(fd).st_size < 16:
                os.ftruncate(fd, 16)
            self._map = mmap.mmap(fd, 16)
        finally:
            os.close(fd)
        self._path = path
        self._lock = threading.Lock()
        self._lock_fd: tuple[int, int] | None = None

    def read(self) -> tuple[int, int]:
        finished = struct.unpack_from("<Q", self._map, 8)[0]
        return struct.unpack_from("<Q", self._map, 0)[0], finished

    def bump(self, which: int) -> None:
        # POSIX record locks exclude other processes; the thread lock, other threads here.
        with self._lock:
            fd = self._fd()
            fcntl.lockf(fd, fcntl.LOCK_EX)
            try:
                offset = 8 * which
                struct.pack_into("<Q", self._map, offset, struct.unpack_from("<Q", self._map, offset)[0] + 1)
            finally:
                fcntl.lockf(fd, fcntl.LOCK_UN)

    def _fd(self) -> int:
        if self._lock_fd is None or self._lock_fd[0] != os.getpid():
            self._lock_fd = (os.getpid(), os.open(self._path, os.O_RDWR))
        return self._lock_fd[1]
