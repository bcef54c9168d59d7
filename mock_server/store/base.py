"""What every store engine shares: transactions' bookkeeping, the write counter's caches, errors.

An engine (SQLite, PostgreSQL) supplies a handful of primitives: run one statement, insert
and answer the new id, a write transaction, the shared write counter. Everything else, the
named queries the domain calls, is written once in portable SQL (see queries.py) on top of them.
"""

from __future__ import annotations

import json
import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from typing import Any, Protocol, TypeVar

# Values each thread remembers between writes (see StoreBase.cached): bounded, least recently used out.
CACHE_ENTRIES = 4096
# Ids start where real Sendcloud ids live, so they look like production ones.
FIRST_IDS = {"returns": 1_750_000, "parcels": 300_000_000, "brands": 100, "outgoing_parcels": 250_000_000}
T = TypeVar("T")
# A row: columns by name (row["id"]); sqlite3.Row or a dict, depending on the engine.
Row = Any


class StoreRefused(Exception):
    """The --db is not one of ours (foreign tables), is corrupt, or was written by a newer version."""


class Conflict(Exception):
    """A write broke a uniqueness rule (a taken API key, brand domain, external reference)."""


class Counters(Protocol):
    """Two shared counters (a clock change started, finished), seen by every process of the fake."""

    def read(self) -> tuple[int, int]: ...

    def bump(self, which: int) -> None: ...


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def loads(text: str) -> Any:
    return json.loads(text)


class StoreBase(ABC):
    """The engine primitives and the per-thread caches every engine shares."""

    #: Which store this is: random per database, kept through resets; tokens carry it.
    identity: str
    #: Where the data lives, for messages (a file path, or a URL without its password).
    location: str
    #: The exception types the engine's driver raises for database trouble.
    database_errors: tuple[type[BaseException], ...]

    def __init__(self) -> None:
        self._local = threading.local()

    # -- primitives ---------------------------------------------------------------------------

    @abstractmethod
    def execute(self, sql: str, params: Iterable[Any] = ()) -> Any:
        """Run one statement (`?` placeholders) on this thread's connection; answers a cursor.
        A uniqueness violation raises Conflict."""

    @abstractmethod
    def insert(self, sql: str, params: Iterable[Any] = ()) -> int:
        """Run one INSERT into a table with an `id` key; answers the new row's id."""

    @abstractmethod
    def transaction(self, *, exclusive: bool = False) -> AbstractContextManager[None]:
        """A write transaction: statements inside commit together or not at all. `exclusive`
        also keeps other instances' exclusive transactions out (seeding, migrating)."""

    @abstractmethod
    def writable(self) -> bool:
        """Whether writes succeed (after a refused write, this tries one small write)."""

    @abstractmethod
    def is_storage_failure(self, error: BaseException) -> bool:
        """A write the storage refused (disk full, read-only, gone), as opposed to a bug or a constraint."""

    @abstractmethod
    def clock_counters(self) -> Counters:
        """The clock's change counters, shared by every process using this store."""

    @abstractmethod
    def _data_version(self) -> int:
        """The shared write counter: changes whenever anyone commits."""

    def data_version(self) -> int:
        """The shared write counter: changes whenever anyone commits (cheap: no statement on SQLite)."""
        return self._data_version()

    def close(self) -> None:  # noqa: B027 - a hook: engines that hold connections override it
        """Let go of this thread's connection."""

    # -- convenience ---------------------------------------------------------------------------

    def one(self, sql: str, params: Iterable[Any] = ()) -> Row | None:
        return self.execute(sql, params).fetchone()

    def all(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        return list(self.execute(sql, params).fetchall())

    def _wrote(self) -> None:
        """Count this thread's own commit (its caches must not outlive it)."""
        self._local.own_writes = getattr(self._local, "own_writes", 0) + 1

    # -- requests and caches -------------------------------------------------------------------

    def begin_request(self) -> None:
        """Look once whether anyone committed; keep that answer until end_request()."""
        self._refresh()
        self._local.pinned = True

    def end_request(self) -> None:
        self._local.pinned = False

    def _refresh(self) -> None:
        self._local.data_version = self._data_version()

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

    def _forget_caches(self) -> None:
        """A new connection (after a fork): nothing remembered before it holds."""
        self._local.cache = OrderedDict()
        self._local.__dict__.pop("cache_version", None)
        self._local.__dict__.pop("data_version", None)

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
