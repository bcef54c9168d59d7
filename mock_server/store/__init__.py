"""Where the fake keeps its state: one narrow interface (`Store`), one engine per database.

The domain talks only to `Store`: transactions, the write counter's caches, and named
queries (interface.py). Engines: SQLite (the default: one file shared by every worker) and
PostgreSQL (shared by many instances, `--db postgresql://...`). `open_store` picks one.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

from .base import (
    CACHE_ENTRIES,
    FIRST_IDS,
    Conflict,
    Counters,
    Row,
    StoreRefused,
    dumps,
    loads,
)
from .interface import ClockState, OwnClock, ParcelRow, Store, StoredReturn
from .migrations import CURRENT as SCHEMA_VERSION
from .sqlite import SqliteStore, check_existing, remove_in_owner

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres_url(db: str | os.PathLike[str] | None) -> bool:
    return isinstance(db, str) and db.startswith(POSTGRES_SCHEMES)


def open_store(db: str | os.PathLike[str] | None = None) -> Store:
    """The store at `db`: a PostgreSQL URL, an SQLite file path, or None for a temporary SQLite file.

    Refuses (StoreRefused) a database that is not ours, is corrupt, or is of a newer schema.
    """
    if is_postgres_url(db):
        return _postgres().PostgresStore(str(db))
    return SqliteStore(db)


def _postgres() -> Any:
    """The PostgreSQL engine, imported only when a URL asks for it (its driver is an optional extra)."""
    return importlib.import_module(".postgres", __package__)


def check_db(db: str | os.PathLike[str] | None) -> None:
    """Refuse an unusable --db before serving, without modifying it."""
    if db is None:
        return
    if is_postgres_url(db):
        _postgres().check_database(str(db))
        return
    check_existing(db)


__all__ = [
    "CACHE_ENTRIES", "FIRST_IDS", "SCHEMA_VERSION", "ClockState", "Conflict", "Counters", "OwnClock", "ParcelRow",
    "Row", "SqliteStore", "Store", "StoreRefused", "StoredReturn", "check_db", "check_existing", "dumps",
    "is_postgres_url", "loads", "open_store", "remove_in_owner",
]
