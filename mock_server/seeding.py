"""Fixture data (accounts, brands, outgoing parcels, partner ids): loaded into the store, and reset to."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from .accounts import Accounts
from .clock import Clock
from .config import resource_dir
from .store import Store, dumps, loads


def load(folder: Path) -> dict[str, Any]:
    """Read the fixture folder: accounts.json (required) and partners.json (else the bundled one)."""
    with (folder / "accounts.json").open(encoding="utf-8") as handle:
        accounts = json.load(handle)["accounts"]
    partners_file = folder / "partners.json"
    if not partners_file.exists():
        partners_file = resource_dir("fixtures") / "partners.json"
    with partners_file.open(encoding="utf-8") as handle:
        partners = json.load(handle)["partners"]
    return {"accounts": accounts, "partners": [p.lower() for p in partners]}


def seed(store: Store, accounts: Accounts, fixtures: dict[str, Any], *, only_if_empty: bool = False) -> bool:
    """Load the fixtures; with only_if_empty, leave a store that already holds accounts alone."""
    with store.transaction() as db:
        if only_if_empty and db.execute("SELECT 1 FROM accounts LIMIT 1").fetchone():
            return False
        seed_in(db, store, accounts, fixtures)
    return True


def seed_in(db: sqlite3.Connection, store: Store, accounts: Accounts, fixtures: dict[str, Any]) -> None:
    """seed(), inside a transaction the caller holds."""
    store.set_meta(db, "partners", dumps(fixtures["partners"]))
    for account in fixtures["accounts"]:
        accounts.insert(
            db,
            name=account["name"],
            api_key=account["api_key"],
            api_secret=account["api_secret"],
            brands=account.get("brands", []),
            outgoing_parcels=account.get("outgoing_parcels", []),
            from_fixtures=True,
        )


def reset(store: Store, accounts: Accounts, fixtures: dict[str, Any], account_key: str | None = None) -> None:
    """Back to the fixtures: everything, or one account's returns, clock, fault rules and tokens.

    One transaction: a reader sees the state before or after, never the empty store between.
    """
    with store.transaction() as db:
        if account_key is not None:
            row = db.execute("SELECT id FROM accounts WHERE api_key = ?", (account_key,)).fetchone()
            if row is None:
                raise KeyError(account_key)
            forget_account_state(db, store, row["id"], account_key)
            return
        for table in ("parcels", "returns", "outgoing_parcels", "brands", "accounts", "faults"):
            db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
        Clock.reset_in(db)
        generation = int((db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone() or ["0"])[0])
        db.execute("DELETE FROM meta")
        # Tokens carry the generation they were issued in; bumping it refuses them all.
        store.set_meta(db, "generation", str(generation + 1))
        seed_in(db, store, accounts, fixtures)


def forget_account_state(db: sqlite3.Connection, store: Store, account_id: int, api_key: str) -> None:
    """An account's returns, clock, fault rules and tokens, gone (its brands and parcels stay)."""
    db.execute("DELETE FROM parcels WHERE account_id = ?", (account_id,))
    db.execute("DELETE FROM returns WHERE account_id = ?", (account_id,))
    db.execute("DELETE FROM faults WHERE json_extract(data, '$.account') = ?", (api_key,))
    Clock.reset_in(db, account_id)
    # Tokens carry their account's generation too: bumping it refuses that account's tokens.
    key = f"generation:{account_id}"
    current = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    store.set_meta(db, key, str(int(current[0]) + 1 if current else 1))


def partner_ids(store: Store) -> set[str]:
    return store.cached("partners", lambda: set(loads(store.get_meta("partners", "[]") or "[]")))
