"""Units for the clock that every worker shares through the store."""

from __future__ import annotations

import pytest

from mock_server.clock import Clock, iso
from mock_server.store import open_store


def test_advance_is_seen_by_another_handle(db: str) -> None:
    """Two store handles on one database (two workers, or two instances) agree on the advanced time."""
    first, second = open_store(db), open_store(db)
    one, two = Clock(first), Clock(second)
    before = two.now()
    one.advance(3600)
    assert two.now() - before >= 3600


def test_frozen_clock_moves_only_when_advanced(db: str) -> None:
    """A frozen clock stands still until an advance moves it by exactly that much."""
    clock = Clock(open_store(db))
    frozen = clock.freeze(True)
    assert clock.now() == frozen
    clock.advance(10)
    assert clock.now() == frozen + 10
    clock.freeze(False)
    assert clock.now() >= frozen + 10


def test_clock_never_goes_back(db: str) -> None:
    """Negative advances are refused."""
    with pytest.raises(ValueError):
        Clock(open_store(db)).advance(-1)


def test_iso_has_offset_and_microseconds() -> None:
    """Timestamps render like Sendcloud's: microseconds and an explicit offset."""
    assert iso(0) == "1970-01-01T00:00:00.000000+00:00"
