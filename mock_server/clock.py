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

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Protocol

from .store import ClockState, OwnClock, Store

# No clock may pass this instant: every date the API renders (plus the longest schedules and
# token lifetimes) must stay representable. Advances that would cross it are refused.
LATEST = datetime(3000, 1, 1, tzinfo=timezone.utc).timestamp()


class HasId(Protocol):
    @property
    def id(self) -> int: ...


AccountRef = HasId | int | None


class ClockLimitError(ValueError):
    """An advance would move a clock past LATEST."""


# The store's clock change counters (see Counters): changes started and finished, by every process.
#
# A change reads the wall clock only after counting itself as started; a reader trusts a
# reading only when no change was in progress while it read the state and the wall clock.
# So a reader never pairs a state from before a freeze with a wall time from after it,
# which would show a time the frozen clock then steps back from.
STARTED, FINISHED = 0, 1


class Clock:
    """Reads and moves the clocks; all arithmetic in integer microseconds, so readings are exact."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._changes = store.clock_counters()

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
        return _reading(*self._store.clock_state(account_id), _wall())

    def _state(self, account_id: int | None, changes: int | None = None) -> State:
        # Global and account state come from one statement: one consistent snapshot.
        return self._store.cached(("clock", account_id, changes), lambda: self._store.clock_state(account_id))

    @contextmanager
    def _changing(self) -> Iterator[Store]:
        """A write transaction that counts itself as a clock change (see the counters above)."""
        with self._store.transaction():
            self._changes.bump(STARTED)
            try:
                yield self._store
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
                advanced = db.clock_state(None)[0]
                # Every account moves with the global clock: the farthest one must stay in range.
                farthest = max([_reading(*db.clock_state(other), wall) for other in db.clock_account_ids()]
                               + [_reading(*db.clock_state(None), wall)])
                _check_limit(farthest + step)
                db.set_meta("clock_advanced", str(advanced + step))
            else:
                db.own_clock(account_id)
                state = db.clock_state(account_id)
                _check_limit(_reading(*state, wall) + step)
                db.advance_own_clock(account_id, step)
        return self.now(account_id)

    def freeze(self, frozen: bool, account: AccountRef = None) -> float:
        """Stop wall time from flowing on a clock (only advances move it), or let it flow again."""
        account_id = _account_id(account)
        with self._changing() as db:
            wall = _wall()
            _, skew, global_frozen, _ = db.clock_state(None)
            base = global_frozen if global_frozen is not None else wall + skew
            if account_id is None:
                if frozen and global_frozen is None:
                    db.set_meta("clock_frozen_at", str(base))
                elif not frozen and global_frozen is not None:
                    db.delete_meta("clock_frozen_at")
                    db.set_meta("clock_skew", str(global_frozen - wall))
            else:
                _, own_skew, own_frozen = db.own_clock(account_id)
                if frozen and own_frozen is None:
                    db.freeze_own_clock(account_id, base + own_skew)
                elif not frozen and own_frozen is not None:
                    stopped_at = min(own_frozen, base + own_skew)
                    db.thaw_own_clock(account_id, stopped_at - base)
        return self.now(account_id)

    def reset(self, account: AccountRef = None) -> None:
        """Back to wall time: the global clock (and every account's), or one account's own clock."""
        with self._changing() as db:
            db.reset_clocks(_account_id(account))


State = ClockState


def _reading(advanced: int, skew: int, frozen: int | None, own: OwnClock | None,
             wall: int) -> int:
    base = frozen if frozen is not None else wall + skew
    if own is None:
        return base + advanced
    own_advanced, own_skew, own_frozen = own
    if own_frozen is not None:
        # Both frozen: the account stays where it stopped first.
        return min(own_frozen, base + own_skew) + advanced + own_advanced
    return base + own_skew + advanced + own_advanced


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
