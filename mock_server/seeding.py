"""Fixture data (accounts, brands, outgoing parcels, partner ids): loaded into the store, and reset to."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .accounts import Accounts
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
    """Load the fixtures; with only_if_empty, leave a store that already holds accounts alone.

    Exclusive: instances starting together on one database seed it once.
    """
    with store.transaction(exclusive=True):
        if only_if_empty and store.any_account():
            return False
        seed_in(store, accounts, fixtures)
    return True


def seed_in(store: Store, accounts: Accounts, fixtures: dict[str, Any]) -> None:
    """seed(), inside a transaction the caller holds."""
    store.set_meta("partners", dumps(fixtures["partners"]))
    for account in fixtures["accounts"]:
        accounts.insert(
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
    with store.transaction():
        if account_key is not None:
            account_id = store.account_id_of(account_key)
            if account_id is None:
                raise KeyError(account_key)
            forget_account_state(store, account_id, account_key)
            return
        generation = store.clear_all()
        # Tokens carry the generation they were issued in; bumping it refuses them all.
        store.set_meta("generation", str(generation + 1))
        seed_in(store, accounts, fixtures)


def forget_account_state(store: Store, account_id: int, api_key: str) -> None:
    """An account's returns, clock, fault rules and tokens, gone (its brands and parcels stay)."""
    store.forget_account_state(account_id, api_key)
    # Tokens carry their account's generation too: bumping it refuses that account's tokens.
    store.bump_meta_counter(f"generation:{account_id}")


def partner_ids(store: Store) -> set[str]:
    return store.cached("partners", lambda: set(loads(store.get_meta("partners", "[]") or "[]")))
