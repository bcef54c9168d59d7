"""The store's schema, as numbered migrations per engine; `meta.schema_version` says which ran.

Version 1 is the schema of every release up to 0.2.0 (which wrote no version: a store with
our tables and no version is at 1). A store is migrated on start, inside one transaction;
a store written by a newer version (a version above CURRENT) is refused untouched.

To change the schema: add a step to the end of each engine's list and bump CURRENT; never
edit a step that has shipped. A step that changes what a JSON `data` column holds names a
function in REWRITES: every engine runs it on each row after that version's statements.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..returns.migrations import portal_fragments_to_record
from .base import FIRST_IDS

CURRENT = 3
VERSION_KEY = "schema_version"

STORE_IDENTITY = "CREATE TABLE IF NOT EXISTS store_identity (id TEXT NOT NULL)"

# The schema of sendcloud-mock 0.2.0 and before, frozen (store.py, oauth/models.py, webhooks/models.py).
SQLITE_V1: tuple[str, ...] = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS accounts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        api_key TEXT NOT NULL UNIQUE,
        api_secret TEXT NOT NULL,
        name TEXT NOT NULL,
        from_fixtures INTEGER NOT NULL DEFAULT 0)""",
    """CREATE TABLE IF NOT EXISTS brands (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        account_id INTEGER NOT NULL,
        domain TEXT NOT NULL UNIQUE,
        data TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS outgoing_parcels (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        account_id INTEGER NOT NULL,
        brand_id INTEGER,
        tracking_number TEXT NOT NULL,
        order_number TEXT,
        postal_code TEXT NOT NULL,
        data TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS outgoing_by_tracking ON outgoing_parcels (tracking_number)",
    "CREATE INDEX IF NOT EXISTS outgoing_by_order ON outgoing_parcels (order_number)",
    """CREATE TABLE IF NOT EXISTS returns (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        account_id INTEGER NOT NULL,
        external_reference TEXT,
        created_at REAL NOT NULL,
        cancelled_at REAL,
        data TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS returns_by_account ON returns (account_id, id)",
    """CREATE UNIQUE INDEX IF NOT EXISTS returns_external_reference
        ON returns (account_id, external_reference) WHERE external_reference IS NOT NULL""",
    """CREATE TABLE IF NOT EXISTS parcels (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        return_id INTEGER NOT NULL,
        account_id INTEGER NOT NULL,
        collo_index INTEGER NOT NULL,
        tracking_number TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS parcels_by_return ON parcels (return_id)",
    STORE_IDENTITY,
    """CREATE TABLE IF NOT EXISTS faults (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        data TEXT NOT NULL,
        remaining INTEGER,
        hits INTEGER NOT NULL DEFAULT 0,
        window_start REAL,
        window_count INTEGER NOT NULL DEFAULT 0)""",
    """CREATE TABLE IF NOT EXISTS account_clocks (
        account_id INTEGER PRIMARY KEY,
        advanced REAL NOT NULL DEFAULT 0,
        skew REAL NOT NULL DEFAULT 0,
        frozen_at REAL)""",
    """CREATE TABLE IF NOT EXISTS oauth_tokens (
        token_hash TEXT PRIMARY KEY,
        api_key TEXT NOT NULL,
        issued_at REAL NOT NULL,
        expires_at REAL NOT NULL,
        generation INTEGER NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS oauth_tokens_by_expiry ON oauth_tokens (expires_at)",
    """CREATE TABLE IF NOT EXISTS webhook_configs (
        api_key TEXT PRIMARY KEY,
        url TEXT,
        signature_key TEXT,
        events TEXT NOT NULL DEFAULT '[]',
        since REAL NOT NULL DEFAULT 0)""",
    """CREATE TABLE IF NOT EXISTS webhook_watch (
        return_id INTEGER PRIMARY KEY,
        account_id INTEGER NOT NULL,
        next_due REAL)""",
    "CREATE INDEX IF NOT EXISTS webhook_watch_due ON webhook_watch (account_id, next_due)",
    """CREATE TABLE IF NOT EXISTS webhook_deliveries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        account TEXT NOT NULL,
        event TEXT NOT NULL,
        event_key TEXT UNIQUE,
        return_id INTEGER,
        due_at REAL NOT NULL,
        url TEXT NOT NULL,
        body TEXT NOT NULL,
        signature TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        history TEXT NOT NULL DEFAULT '[]',
        next_attempt_at REAL,
        lease_until REAL,
        lease_owner TEXT,
        redelivery_of INTEGER)""",
    "CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries (account, status, next_attempt_at)",
    "CREATE INDEX IF NOT EXISTS webhook_deliveries_lease ON webhook_deliveries (account, lease_until)",
    "CREATE INDEX IF NOT EXISTS webhook_deliveries_pending ON webhook_deliveries (status, account)",
    # Triggers note which returns changed, so the returns code knows nothing of webhooks.
    """CREATE TRIGGER IF NOT EXISTS webhook_watch_created AFTER INSERT ON returns BEGIN
        INSERT OR REPLACE INTO webhook_watch (return_id, account_id, next_due)
        VALUES (NEW.id, NEW.account_id, NEW.created_at);
    END""",
    """CREATE TRIGGER IF NOT EXISTS webhook_watch_changed AFTER UPDATE OF cancelled_at, data ON returns BEGIN
        INSERT OR REPLACE INTO webhook_watch (return_id, account_id, next_due) VALUES (NEW.id, NEW.account_id, -1);
    END""",
    """CREATE TRIGGER IF NOT EXISTS webhook_watch_deleted AFTER DELETE ON returns BEGIN
        DELETE FROM webhook_watch WHERE return_id = OLD.id;
    END""",
    *(f"INSERT INTO sqlite_sequence (name, seq) SELECT '{table}', {first}"
      f" WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = '{table}')"
      for table, first in FIRST_IDS.items()),
)

# Version 2: a fault rule's account is a column, so every engine selects by it without JSON functions.
SQLITE_V2: tuple[str, ...] = (
    "ALTER TABLE faults ADD COLUMN account TEXT",
    "UPDATE faults SET account = json_extract(data, '$.account')",
    "CREATE INDEX faults_by_account ON faults (account)",
)

# Version 3: a return's data is the typed record (returns/record.py): a portal return keeps what
# its v2-shaped fragments were made of. No statements; its rows are rewritten (REWRITES).
SQLITE: Sequence[tuple[int, tuple[str, ...]]] = ((1, SQLITE_V1), (2, SQLITE_V2), (3, ()))

# (version, table, function from a row's old `data` to its new one), engine-neutral.
Rewrite = Callable[[dict[str, Any]], dict[str, Any]]
REWRITES: Sequence[tuple[int, str, Rewrite]] = ((3, "returns", portal_fragments_to_record),)


def rewrites(version: int) -> list[tuple[str, Rewrite]]:
    """The rows `version` rewrites: (table, function)."""
    return [(table, rewrite) for number, table, rewrite in REWRITES if number == version]


def newer_than_known(version: int, where: str) -> str:
    """The one line that says why a store from a newer version is refused."""
    return (f"{where} was written by a newer sendcloud-mock (store schema version {version}; "
            f"this version knows up to {CURRENT}): upgrade sendcloud-mock, or use another --db")
