"""The one source of "now": wall time plus an offset kept in the store, so every worker agrees.

Admin calls move the offset forward, or freeze time at a point; nothing sleeps.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

from .store import Store


class Clock:
    def __init__(self, store: Store) -> None:
        self._store = store

    def now(self) -> float:
        """Seconds since the epoch on the server's clock."""
        offset, frozen = self._store.cached("clock", self._read)
        if frozen is not None:
            return frozen + offset
        return time.time() + offset

    def _read(self) -> tuple[float, float | None]:
        row = self._store.query_one(
            "SELECT (SELECT value FROM meta WHERE key = 'clock_offset') AS offset,"
            " (SELECT value FROM meta WHERE key = 'clock_frozen_at') AS frozen"
        )
        offset = float(row["offset"]) if row and row["offset"] is not None else 0.0
        frozen = float(row["frozen"]) if row and row["frozen"] is not None else None
        return offset, frozen

    def advance(self, seconds: float) -> float:
        """Move time forward by `seconds` (never backwards) and return the new now."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._store.transaction() as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'clock_offset'").fetchone()
            offset = float(row["value"]) if row else 0.0
            self._store.set_meta(db, "clock_offset", repr(offset + seconds))
        return self.now()

    def freeze(self, frozen: bool) -> float:
        """Stop wall time from flowing (only admin advances move it), or let it flow again."""
        now = self.now()
        with self._store.transaction() as db:
            if frozen:
                self._store.set_meta(db, "clock_offset", "0")
                self._store.set_meta(db, "clock_frozen_at", repr(now))
            else:
                db.execute("DELETE FROM meta WHERE key = 'clock_frozen_at'")
                self._store.set_meta(db, "clock_offset", repr(now - time.time()))
        return self.now()

    def is_frozen(self) -> bool:
        return self._store.get_meta("clock_frozen_at") is not None

    def reset(self) -> None:
        with self._store.transaction() as db:
            db.execute("DELETE FROM meta WHERE key IN ('clock_offset', 'clock_frozen_at')")


def iso(ts: float) -> str:
    """An ISO 8601 timestamp with microseconds and offset, as Sendcloud writes them."""
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat(timespec="microseconds")
