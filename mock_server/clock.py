"""The one source of "now": wall time plus offsets kept in the store, so every worker agrees.

There is a global clock and, on top of it, one clock per account. Admin calls advance a
clock or freeze it; nothing sleeps.

    global now  = base + advanced           base: wall time + skew, or the frozen base
    account now = global now + own advanced + own skew      (flowing)
                = own frozen base + advanced + own advanced  (frozen)

Advances only ever add to a counter that a freeze never touches, and every change is one
read-modify-write inside a write transaction, so concurrent advances and freezes never lose
an advance; freezing and unfreezing keep the reading continuous, so time never moves back.
A global advance or freeze moves every account; an account's advance moves only that account.
"""

from __future__ import annotations

import fcntl
import mmap
import os
import sqlite3
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Protocol

from .store import Store

# No clock may pass this instant: every date the API renders (plus the longest schedules and
# token lifetimes) must stay representable. Advances that would cross it are refused.
LATEST = datetime(3000, 1, 1, tzinfo=timezone.utc).timestamp()


class HasId(Protocol):
    id: int


AccountRef = HasId | int | None


class ClockLimitError(ValueError):
    """An advance would move a clock past LATEST."""


class ChangeCounters:
    """Two counters in a small shared file: clock changes started and finished, by every process.

    A change reads the wall clock only after counting itself as started; a reader trusts a
    reading only when no change was in progress while it read the state and the wall clock.
    So a reader never pairs a state from before a freeze with a wall time from after it,
    which would show a time the frozen clock then steps back from.
    """

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


STARTED, FINISHED = 0, 1


class Clock:
    """Reads and moves the clocks; all arithmetic in integer microseconds, so readings are exact."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._changes = ChangeCounters(store.path + ".clock")

    def now(self, account: AccountRef = None) -> float:
        """Seconds since the epoch on the server's clock, or on one account's clock."""
        return self._micros(_account_id(account)) / 1e6

    def is_frozen(self, account: AccountRef = None) -> bool:
        state = self._state(_account_id(account))
        return state[2] is not None or (state[3] is not None and state[3][2] is not None)

    def _micros(self, account_id: int | None) -> int:
        for _ in range(2000):
            started, finished = self._changes.read()
            if started != finished:
                time.sleep(0.00005)  # a change is being written: its commit is a moment away
                continue
            state = self._state(account_id, started)
            wall = _wall()
            if self._changes.read()[0] == started:
                return _reading(*state, wall)
        # A writer died mid-change (the counters never meet again): read without the guarantee.
        return _reading(*_read(self._store.connection(), account_id), _wall())

    def _state(self, account_id: int | None, changes: int | None = None) -> State:
        # Global and account state come from one statement: one consistent snapshot.
        return self._store.cached(("clock", account_id, changes),
                                  lambda: _read(self._store.connection(), account_id))

    @contextmanager
    def _changing(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that counts itself as a clock change (see ChangeCounters)."""
        with self._store.transaction() as db:
            self._changes.bump(STARTED)
            try:
                yield db
            except BaseException:
                self._changes.bump(FINISHED)
                raise
        self._changes.bump(FINISHED)

    # -- changes ---------------------------------------------------------------------------

    def advance(self, seconds: float, account: AccountRef = None) -> float:
        """Move a clock forward by `seconds` (never backwards) and return its new now."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        step = round(seconds * 1_000_000)
        account_id = _account_id(account)
        with self._changing() as db:
            wall = _wall()
            if account_id is None:
                advanced = _read(db, None)[0]
                # Every account moves with the global clock: the farthest one must stay in range.
                farthest = max([_reading(*_read(db, row[0]), wall) for row in
                                db.execute("SELECT account_id FROM account_clocks").fetchall()]
                               + [_reading(*_read(db, None), wall)])
                _check_limit(farthest + step)
                self._store.set_meta(db, "clock_advanced", str(advanced + step))
            else:
                _own(db, account_id)
                state = _read(db, account_id)
                _check_limit(_reading(*state, wall) + step)
                db.execute("UPDATE account_clocks SET advanced = advanced + ? WHERE account_id = ?",
                           (step, account_id))
        return self.now(account_id)

    def freeze(self, frozen: bool, account: AccountRef = None) -> float:
        """Stop wall time from flowing on a clock (only advances move it), or let it flow again."""
        account_id = _account_id(account)
        with self._changing() as db:
            wall = _wall()
            _, skew, global_frozen, _ = _read(db, None)
            base = global_frozen if global_frozen is not None else wall + skew
            if account_id is None:
                if frozen and global_frozen is None:
                    self._store.set_meta(db, "clock_frozen_at", str(base))
                elif not frozen and global_frozen is not None:
                    db.execute("DELETE FROM meta WHERE key = 'clock_frozen_at'")
                    self._store.set_meta(db, "clock_skew", str(global_frozen - wall))
            else:
                _, own_skew, own_frozen = _own(db, account_id)
                if frozen and own_frozen is None:
                    db.execute("UPDATE account_clocks SET frozen_at = ? WHERE account_id = ?",
                               (base + own_skew, account_id))
                elif not frozen and own_frozen is not None:
                    stopped_at = min(own_frozen, base + own_skew)
                    db.execute("UPDATE account_clocks SET frozen_at = NULL, skew = ? WHERE account_id = ?",
                               (stopped_at - base, account_id))
        return self.now(account_id)

    def reset(self, account: AccountRef = None) -> None:
        """Back to wall time: the global clock (and every account's), or one account's own clock."""
        with self._changing() as db:
            self.reset_in(db, _account_id(account))

    @staticmethod
    def reset_in(db: sqlite3.Connection, account_id: int | None = None) -> None:
        """reset(), inside a transaction the caller holds."""
        if account_id is None:
            db.execute("DELETE FROM meta WHERE key IN ('clock_advanced', 'clock_skew', 'clock_frozen_at')")
            db.execute("DELETE FROM account_clocks")
        else:
            db.execute("DELETE FROM account_clocks WHERE account_id = ?", (account_id,))


# (global advanced, global skew, global frozen base, (own advanced, own skew, own frozen base) or None)
State = tuple[int, int, "int | None", "tuple[int, int, int | None] | None"]


def _read(db: sqlite3.Connection, account_id: int | None) -> State:
    row = db.execute(
        "SELECT (SELECT value FROM meta WHERE key = 'clock_advanced'),"
        " (SELECT value FROM meta WHERE key = 'clock_skew'),"
        " (SELECT value FROM meta WHERE key = 'clock_frozen_at'),"
        " c.account_id, c.advanced, c.skew, c.frozen_at"
        " FROM (SELECT 1) LEFT JOIN account_clocks c ON c.account_id = ?", (account_id,)).fetchone()
    own = None if row[3] is None else (int(row[4]), int(row[5]), None if row[6] is None else int(row[6]))
    return int(row[0] or 0), int(row[1] or 0), None if row[2] is None else int(row[2]), own


def _reading(advanced: int, skew: int, frozen: int | None, own: tuple[int, int, int | None] | None,
             wall: int) -> int:
    base = frozen if frozen is not None else wall + skew
    if own is None:
        return base + advanced
    own_advanced, own_skew, own_frozen = own
    if own_frozen is not None:
        # Both frozen: the account stays where it stopped first.
        return min(own_frozen, base + own_skew) + advanced + own_advanced
    return base + own_skew + advanced + own_advanced


def _own(db: sqlite3.Connection, account_id: int) -> tuple[int, int, int | None]:
    """An account's clock row, created (all zero, flowing) on first change."""
    db.execute("INSERT OR IGNORE INTO account_clocks (account_id) VALUES (?)", (account_id,))
    row = db.execute("SELECT advanced, skew, frozen_at FROM account_clocks WHERE account_id = ?",
                     (account_id,)).fetchone()
    return int(row[0]), int(row[1]), None if row[2] is None else int(row[2])


def _account_id(account: AccountRef) -> int | None:
    if account is None or isinstance(account, int):
        return account
    return account.id


def _wall() -> int:
    return time.time_ns() // 1000


def _check_limit(micros: int) -> None:
    if micros > LATEST * 1_000_000:
        raise ClockLimitError(f"The clock cannot move past {iso(LATEST)}.")


def iso(ts: float) -> str:
    """An ISO 8601 timestamp with microseconds and offset, as Sendcloud writes them."""
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat(timespec="microseconds")
