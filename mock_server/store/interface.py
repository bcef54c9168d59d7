"""The store interface: every query the domain asks of the store, named, in SQL that SQLite and PostgreSQL both run.

Grouped by the domain module that uses them. Methods that write must be called inside
`store.transaction()`; reads may be called anywhere. Placeholders are `?` (an engine
translates them); where the engines' SQL differs, the engine overrides one small method.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .base import Row, StoreBase, dumps, loads
from .migrations import VERSION_KEY

# One clock's stored state: (advanced, skew, frozen base) in microseconds, frozen base None when flowing.
OwnClock = tuple[int, int, "int | None"]
# (global advanced, global skew, global frozen base, the account's own clock or None)
ClockState = tuple[int, int, "int | None", "OwnClock | None"]
# A return's parcel: (id, collo index, tracking number).
ParcelRow = tuple[int, int, str]


@dataclass(frozen=True)
class StoredReturn:
    """A returns row; `data` is the domain's, kept as JSON and handed back as it was given."""

    id: int
    account_id: int
    created_at: float
    cancelled_at: float | None
    data: dict[str, Any]
    size: int  # bytes of the stored JSON

    @classmethod
    def of(cls, row: Row) -> StoredReturn:
        return cls(row["id"], row["account_id"], row["created_at"], row["cancelled_at"], loads(row["data"]),
                   len(row["data"]))


# Tables emptied by a full reset, in an order that never leaves a dangling reference.
RESET_TABLES = ("parcels", "returns", "outgoing_parcels", "brands", "accounts", "faults", "account_clocks")


class Store(StoreBase):
    #: Whether the request journal lives in the database (shared by instances) or in a file beside it.
    journal_in_database = False

    def shared_signing_key(self) -> str | None:
        """The JWT signing key every instance on this database uses (None: each start makes its own)."""
        return None

    def append_journal(self, line: str, *, keep: int) -> None:
        """One journal line (engines with journal_in_database); about the newest `keep` are kept."""
        raise NotImplementedError

    def journal_lines(self, count: int) -> list[str]:
        """The newest `count` journal lines, newest first."""
        raise NotImplementedError

    def clear_journal(self) -> None:
        raise NotImplementedError

    # -- meta ----------------------------------------------------------------------------------

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.one("SELECT value FROM meta WHERE key = ?", (key,))
        return default if row is None else row["value"]

    def set_meta(self, key: str, value: str) -> None:
        self.execute("INSERT INTO meta (key, value) VALUES (?, ?)"
                     " ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))

    def delete_meta(self, *keys: str) -> None:
        for key in keys:
            self.execute("DELETE FROM meta WHERE key = ?", (key,))

    def bump_meta_counter(self, key: str) -> int:
        value = int(self.get_meta(key, "0") or 0) + 1
        self.set_meta(key, str(value))
        return value

    # -- migrations ----------------------------------------------------------------------------

    def rewrite_data(self, table: str, rewrite: Callable[[dict[str, Any]], dict[str, Any]],
                     batch: int = 500) -> int:
        """Every row's JSON `data` through `rewrite` (a migration step), in id order and in batches;
        only the rows it changes are written. Answers how many it changed."""
        changed, after = 0, -1
        while True:
            rows = self.all(f"SELECT id, data FROM {table} WHERE id > ? ORDER BY id LIMIT ?", (after, batch))
            for row in rows:
                old = loads(row["data"])
                new = rewrite(old)
                if new != old:
                    self.execute(f"UPDATE {table} SET data = ? WHERE id = ?", (dumps(new), row["id"]))
                    changed += 1
            if len(rows) < batch:
                return changed
            after = rows[-1]["id"]

    # -- accounts, brands, outgoing parcels ----------------------------------------------------

    def any_account(self) -> bool:
        return self.one("SELECT 1 AS found FROM accounts LIMIT 1") is not None

    def default_account_key(self) -> str | None:
        row = self.one("SELECT api_key FROM accounts WHERE from_fixtures = 1 ORDER BY id LIMIT 1")
        return None if row is None else row["api_key"]

    def account_by_key(self, api_key: str) -> Row | None:
        """id, api_key, api_secret, name, from_fixtures."""
        return self.one("SELECT id, api_key, api_secret, name, from_fixtures FROM accounts WHERE api_key = ?",
                        (api_key,))

    def account_id_of(self, api_key: str) -> int | None:
        row = self.one("SELECT id FROM accounts WHERE api_key = ?", (api_key,))
        return None if row is None else int(row["id"])

    def count_accounts(self, *, open_only: bool = False) -> int:
        sql = "SELECT COUNT(*) AS n FROM accounts" + (" WHERE from_fixtures = 0" if open_only else "")
        return int(self.all(sql)[0]["n"])

    def all_accounts(self, limit: int | None = None) -> list[Row]:
        """Fixture accounts first, then by id."""
        sql = "SELECT * FROM accounts ORDER BY from_fixtures DESC, id"
        if limit:
            return self.all(sql + " LIMIT ?", (int(limit),))
        return self.all(sql)

    def insert_account(self, *, api_key: str, api_secret: str, name: str, from_fixtures: bool) -> int:
        return self.insert("INSERT INTO accounts (api_key, api_secret, name, from_fixtures) VALUES (?, ?, ?, ?)",
                           (api_key, api_secret, name, int(from_fixtures)))

    def insert_brand(self, account_id: int, domain: str, data: dict[str, Any], brand_id: int | None = None) -> int:
        if brand_id is None:
            return self.insert("INSERT INTO brands (account_id, domain, data) VALUES (?, ?, ?)",
                               (account_id, domain, dumps(data)))
        new_id = self.insert("INSERT INTO brands (id, account_id, domain, data) VALUES (?, ?, ?, ?)",
                             (brand_id, account_id, domain, dumps(data)))
        self._took_id("brands", new_id)
        return new_id

    def insert_outgoing_parcel(self, account_id: int, *, brand_id: int | None, tracking_number: str,
                               order_number: str | None, postal_code: str, data: dict[str, Any],
                               parcel_id: int | None = None) -> int:
        new_id = self.insert(
            "INSERT INTO outgoing_parcels (id, account_id, brand_id, tracking_number, order_number, postal_code,"
            " data) VALUES (?, ?, ?, ?, ?, ?, ?)" if parcel_id is not None else
            "INSERT INTO outgoing_parcels (account_id, brand_id, tracking_number, order_number, postal_code, data)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            ((parcel_id,) if parcel_id is not None else ())
            + (account_id, brand_id, tracking_number, order_number, postal_code, dumps(data)))
        if parcel_id is not None:
            self._took_id("outgoing_parcels", new_id)
        return new_id

    def _took_id(self, table: str, given: int) -> None:
        """A row was inserted with an id of the caller's choosing (fixtures): engines whose id
        sequences do not follow such ids by themselves move theirs past it."""

    def brands_of(self, account_id: int) -> list[Row]:
        """id, domain, data (JSON) of an account's brands, by id."""
        return self.all("SELECT id, domain, data FROM brands WHERE account_id = ? ORDER BY id", (account_id,))

    def brand_ids(self, account_id: int) -> set[int]:
        return {int(row["id"]) for row in self.all("SELECT id FROM brands WHERE account_id = ?", (account_id,))}

    def brand_by_id(self, brand_id: int) -> Row | None:
        return self.one("SELECT id, account_id, domain, data FROM brands WHERE id = ?", (brand_id,))

    def brand_by_domain(self, domain: str) -> Row | None:
        """id, domain, data, and its account's account_id, api_key, account_name."""
        return self.one(
            "SELECT b.id, b.domain, b.data, a.id AS account_id, a.api_key, a.name AS account_name"
            " FROM brands b JOIN accounts a ON a.id = b.account_id WHERE b.domain = ?", (domain,))

    def outgoing_parcels_of(self, account_id: int) -> list[Row]:
        return self.all("SELECT id, brand_id, tracking_number, order_number, postal_code, data"
                        " FROM outgoing_parcels WHERE account_id = ? ORDER BY id", (account_id,))

    def outgoing_by_identifier(self, brand_id: int, identifier: str) -> list[Row]:
        """A brand's outgoing parcels with this tracking or order number."""
        return self.all("SELECT id, brand_id, postal_code, data FROM outgoing_parcels"
                        " WHERE brand_id = ? AND (tracking_number = ? OR order_number = ?) ORDER BY id",
                        (brand_id, identifier, identifier))

    def outgoing_by_id(self, brand_id: int, parcel_id: int) -> Row | None:
        return self.one("SELECT id, brand_id, data FROM outgoing_parcels WHERE id = ? AND brand_id = ?",
                        (parcel_id, brand_id))

    def delete_account(self, account_id: int, api_key: str) -> None:
        """An account and everything it owns (returns, brands, parcels, clock, fault rules)."""
        for table in ("parcels", "returns", "outgoing_parcels", "brands", "account_clocks"):
            self.execute(f"DELETE FROM {table} WHERE account_id = ?", (account_id,))
        self.execute("DELETE FROM faults WHERE account = ?", (api_key,))
        self.execute("DELETE FROM accounts WHERE id = ?", (account_id,))

    # -- resets --------------------------------------------------------------------------------

    def clear_all(self) -> int:
        """Every account and what it owns, the clocks, fault rules and meta gone; answers the
        reset generation the store was in (the schema version stays)."""
        generation = int(self.get_meta("generation", "0") or 0)
        for table in RESET_TABLES:
            self.execute(f"DELETE FROM {table}")
        self.execute("DELETE FROM meta WHERE key <> ?", (VERSION_KEY,))
        return generation

    def forget_account_state(self, account_id: int, api_key: str) -> None:
        """An account's returns, clock and fault rules, gone (its brands and parcels stay)."""
        self.execute("DELETE FROM parcels WHERE account_id = ?", (account_id,))
        self.execute("DELETE FROM returns WHERE account_id = ?", (account_id,))
        self.execute("DELETE FROM faults WHERE account = ?", (api_key,))
        self.reset_clocks(account_id)

    # -- clocks --------------------------------------------------------------------------------

    def clock_state(self, account_id: int | None) -> ClockState:
        """Global and account state from one statement: one consistent snapshot."""
        row = self.one(
            "SELECT (SELECT value FROM meta WHERE key = 'clock_advanced') AS g_advanced,"
            " (SELECT value FROM meta WHERE key = 'clock_skew') AS g_skew,"
            " (SELECT value FROM meta WHERE key = 'clock_frozen_at') AS g_frozen,"
            " c.account_id, c.advanced, c.skew, c.frozen_at"
            " FROM (SELECT 1 AS one) AS o LEFT JOIN account_clocks c ON c.account_id = ?", (account_id,))
        assert row is not None
        own = None if row["account_id"] is None else (
            int(row["advanced"]), int(row["skew"]), None if row["frozen_at"] is None else int(row["frozen_at"]))
        return (int(row["g_advanced"] or 0), int(row["g_skew"] or 0),
                None if row["g_frozen"] is None else int(row["g_frozen"]), own)

    def clock_account_ids(self) -> list[int]:
        return [int(row["account_id"]) for row in self.all("SELECT account_id FROM account_clocks")]

    def own_clock(self, account_id: int) -> OwnClock:
        """An account's clock row, created (all zero, flowing) on first change."""
        self.execute("INSERT INTO account_clocks (account_id) VALUES (?) ON CONFLICT DO NOTHING", (account_id,))
        row = self.one("SELECT advanced, skew, frozen_at FROM account_clocks WHERE account_id = ?", (account_id,))
        assert row is not None
        return int(row["advanced"]), int(row["skew"]), None if row["frozen_at"] is None else int(row["frozen_at"])

    def advance_own_clock(self, account_id: int, step: int) -> None:
        self.execute("UPDATE account_clocks SET advanced = advanced + ? WHERE account_id = ?", (step, account_id))

    def freeze_own_clock(self, account_id: int, frozen_at: int) -> None:
        self.execute("UPDATE account_clocks SET frozen_at = ? WHERE account_id = ?", (frozen_at, account_id))

    def thaw_own_clock(self, account_id: int, skew: int) -> None:
        self.execute("UPDATE account_clocks SET frozen_at = NULL, skew = ? WHERE account_id = ?", (skew, account_id))

    def reset_clocks(self, account_id: int | None = None) -> None:
        """The global clock and every account's, or one account's own clock, back to wall time."""
        if account_id is None:
            self.delete_meta("clock_advanced", "clock_skew", "clock_frozen_at")
            self.execute("DELETE FROM account_clocks")
        else:
            self.execute("DELETE FROM account_clocks WHERE account_id = ?", (account_id,))

    # -- fault rules ---------------------------------------------------------------------------

    def insert_fault(self, rule: dict[str, Any]) -> int:
        return self.insert("INSERT INTO faults (data, remaining, account) VALUES (?, ?, ?)",
                           (dumps(rule), rule.get("times"), rule.get("account")))

    def fault(self, rule_id: int) -> Row | None:
        """id, data (JSON), hits, remaining."""
        return self.one("SELECT id, data, hits, remaining FROM faults WHERE id = ?", (rule_id,))

    def faults(self, account: str | None = None) -> list[Row]:
        if account is None:
            return self.all("SELECT id, data, hits, remaining FROM faults ORDER BY id")
        return self.all("SELECT id, data, hits, remaining FROM faults WHERE account = ? ORDER BY id", (account,))

    def delete_faults(self, rule_id: int | None = None, account: str | None = None) -> int:
        if rule_id is not None:
            return int(self.execute("DELETE FROM faults WHERE id = ?", (rule_id,)).rowcount)
        if account is not None:
            return int(self.execute("DELETE FROM faults WHERE account = ?", (account,)).rowcount)
        return int(self.execute("DELETE FROM faults").rowcount)

    def take_fault(self, rule_id: int) -> bool:
        """Count a hit of a rule that has hits left (or no limit); False when it has none."""
        return bool(self.execute("UPDATE faults SET hits = hits + 1, remaining = remaining - 1"
                                 " WHERE id = ? AND (remaining IS NULL OR remaining > 0)", (rule_id,)).rowcount)

    def fault_window(self, rule_id: int) -> tuple[float | None, int]:
        """A rate-limit rule's window (start, requests counted); read for update."""
        row = self.one("SELECT window_start, window_count FROM faults WHERE id = ?" + self._for_update, (rule_id,))
        return (None, 0) if row is None else (row["window_start"], int(row["window_count"]))

    def set_fault_window(self, rule_id: int, start: float, count: int) -> None:
        self.execute("UPDATE faults SET window_start = ?, window_count = ? WHERE id = ?", (start, count, rule_id))

    def count_fault_hit(self, rule_id: int) -> None:
        self.execute("UPDATE faults SET hits = hits + 1 WHERE id = ?", (rule_id,))

    #: Appended to a SELECT that a transaction reads in order to update (PostgreSQL locks the row).
    _for_update = ""

    # -- returns and their parcels -------------------------------------------------------------

    def external_reference_taken(self, account_id: int, reference: str) -> bool:
        return self.one("SELECT 1 AS taken FROM returns WHERE account_id = ? AND external_reference = ?",
                        (account_id, reference)) is not None

    def insert_return(self, account_id: int, *, external_reference: str | None, created_at: float,
                      data: dict[str, Any]) -> int:
        """A new return; a taken external reference raises Conflict."""
        return self.insert("INSERT INTO returns (account_id, external_reference, created_at, data) VALUES (?, ?, ?, ?)",
                           (account_id, external_reference, created_at, dumps(data)))

    def insert_parcel(self, return_id: int, account_id: int, collo_index: int) -> int:
        """A return's parcel, without its tracking number yet (it derives from the id)."""
        return self.insert("INSERT INTO parcels (return_id, account_id, collo_index, tracking_number)"
                           " VALUES (?, ?, ?, '')", (return_id, account_id, collo_index))

    def set_tracking_number(self, parcel_id: int, tracking_number: str) -> None:
        self.execute("UPDATE parcels SET tracking_number = ? WHERE id = ?", (tracking_number, parcel_id))

    def stored_return(self, return_id: int) -> StoredReturn | None:
        row = self.one("SELECT * FROM returns WHERE id = ?", (return_id,))
        return None if row is None else StoredReturn.of(row)

    def account_return(self, account_id: int, return_id: int) -> tuple[StoredReturn, list[ParcelRow]] | None:
        """One of an account's returns with its parcels (in collo order), in one query."""
        row = self.one(self._return_with_parcels_sql, (return_id, account_id))
        if row is None:
            return None
        parcels = sorted((tuple(values) for values in loads(row["parcels_json"] or "[]")), key=lambda p: p[1])
        return StoredReturn.of(row), parcels

    _return_with_parcels_sql = (
        "SELECT r.*, (SELECT json_group_array(json_array(p.id, p.collo_index, p.tracking_number))"
        " FROM parcels p WHERE p.return_id = r.id) AS parcels_json"
        " FROM returns r WHERE r.id = ? AND r.account_id = ?")

    def update_return_data(self, return_id: int, data: dict[str, Any]) -> None:
        self.execute("UPDATE returns SET data = ? WHERE id = ?", (dumps(data), return_id))

    def cancel_return(self, return_id: int, at: float) -> bool:
        """Mark a return cancelled, unless it already is; answers whether this call did."""
        return bool(self.execute("UPDATE returns SET cancelled_at = ? WHERE id = ? AND cancelled_at IS NULL",
                                 (at, return_id)).rowcount)

    def parcel_return_id(self, account_id: int, parcel_id: int) -> int | None:
        row = self.one("SELECT return_id FROM parcels WHERE id = ? AND account_id = ?", (parcel_id, account_id))
        return None if row is None else int(row["return_id"])

    def parcels_of(self, return_ids: Iterable[int]) -> dict[int, list[ParcelRow]]:
        """The parcels of these returns, in collo order, by return id."""
        ids = list(return_ids)
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        grouped: dict[int, list[ParcelRow]] = {}
        for p in self.all(f"SELECT return_id, id, collo_index, tracking_number FROM parcels"
                          f" WHERE return_id IN ({marks}) ORDER BY collo_index", ids):
            grouped.setdefault(int(p["return_id"]), []).append((p["id"], p["collo_index"], p["tracking_number"]))
        return grouped

    def scan_returns(self, account_id: int, *, from_ts: float | None, to_ts: float | None, pivot: int | None,
                     ascending: bool, limit: int) -> list[StoredReturn]:
        """An account's returns in id order past `pivot`, optionally created within [from_ts, to_ts]."""
        clauses: list[str] = ["account_id = ?"]
        params: list[float] = [account_id]
        if from_ts is not None:
            clauses.append("created_at >= ?")
            params.append(from_ts)
        if to_ts is not None:
            clauses.append("created_at <= ?")
            params.append(to_ts)
        if pivot is not None:
            clauses.append("id > ?" if ascending else "id < ?")
            params.append(pivot)
        rows = self.all(f"SELECT * FROM returns WHERE {' AND '.join(clauses)}"
                        f" ORDER BY id {'ASC' if ascending else 'DESC'} LIMIT ?", (*params, limit))
        return [StoredReturn.of(row) for row in rows]

    def newest_returns(self, *, api_key: str | None, limit: int) -> list[Row]:
        """id, account_id, api_key, name of the newest returns (of every account, or one)."""
        sql = ("SELECT r.id, r.account_id, a.api_key, a.name FROM returns r JOIN accounts a ON a.id = r.account_id"
               + (" WHERE a.api_key = ?" if api_key is not None else "") + " ORDER BY r.id DESC LIMIT ?")
        return self.all(sql, (api_key, limit) if api_key is not None else (limit,))

    def return_owner(self, return_id: int) -> Row | None:
        """id, account_id, api_key, name of one return."""
        return self.one("SELECT r.id, r.account_id, a.api_key, a.name FROM returns r"
                        " JOIN accounts a ON a.id = r.account_id WHERE r.id = ?", (return_id,))

    def return_counts(self) -> dict[int, int]:
        """How many returns each account holds, by account id."""
        return {int(row["account_id"]): int(row["n"])
                for row in self.all("SELECT account_id, COUNT(*) AS n FROM returns GROUP BY account_id")}

    # -- OAuth2 tokens -------------------------------------------------------------------------

    def insert_oauth_token(self, token_hash: str, api_key: str, *, issued_at: float, expires_at: float,
                           generation: int) -> None:
        """A new token; expired ones (on the same clock) are dropped while writing anyway."""
        self.execute("DELETE FROM oauth_tokens WHERE expires_at <= ?", (issued_at,))
        self.execute("INSERT INTO oauth_tokens (token_hash, api_key, issued_at, expires_at, generation)"
                     " VALUES (?, ?, ?, ?, ?)", (token_hash, api_key, issued_at, expires_at, generation))

    def oauth_token(self, token_hash: str) -> Row | None:
        """api_key, expires_at, generation."""
        return self.one("SELECT api_key, expires_at, generation FROM oauth_tokens WHERE token_hash = ?",
                        (token_hash,))

    # -- webhooks ------------------------------------------------------------------------------

    def webhook_config(self, api_key: str) -> Row | None:
        """api_key, url (NULL: removed), signature_key, events (JSON), since."""
        return self.one("SELECT api_key, url, signature_key, events, since FROM webhook_configs WHERE api_key = ?",
                        (api_key,))

    def webhook_config_keys(self) -> set[str]:
        """The accounts with a configured (not removed) webhook."""
        return {row["api_key"] for row in self.all("SELECT api_key FROM webhook_configs WHERE url IS NOT NULL")}

    def put_webhook_config(self, api_key: str, *, url: str | None, signature_key: str | None,
                           events: list[str], since: float) -> None:
        self.execute(
            "INSERT INTO webhook_configs (api_key, url, signature_key, events, since) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (api_key) DO UPDATE SET url = excluded.url, signature_key = excluded.signature_key,"
            " events = excluded.events, since = excluded.since",
            (api_key, url, signature_key, dumps(events), since))

    def remove_webhook_config(self, api_key: str) -> None:
        """No webhook for this account, not even its fixture one."""
        self.execute("INSERT INTO webhook_configs (api_key, url, events, since) VALUES (?, NULL, '[]', 0)"
                     " ON CONFLICT (api_key) DO UPDATE SET url = NULL", (api_key,))

    def forget_webhooks(self, api_key: str) -> None:
        self.execute("DELETE FROM webhook_configs WHERE api_key = ?", (api_key,))
        self.execute("DELETE FROM webhook_deliveries WHERE account = ?", (api_key,))

    def idle_pending_deliveries(self, api_key: str) -> list[Row]:
        """id, history (JSON) of an account's pending deliveries not in flight."""
        return self.all("SELECT id, history FROM webhook_deliveries WHERE account = ? AND status = 'pending'"
                        " AND lease_until IS NULL", (api_key,))

    def give_up_delivery(self, delivery_id: int, history: list[Any]) -> None:
        self.execute("UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL, history = ?"
                     " WHERE id = ?", (dumps(history), delivery_id))

    def due_watches(self, account_id: int, now: float, limit: int) -> list[int]:
        """Returns of an account whose next lifecycle event is due by `now`, earliest first."""
        return [int(row["return_id"]) for row in self.all(
            "SELECT return_id FROM webhook_watch WHERE account_id = ? AND next_due IS NOT NULL"
            " AND next_due <= ? ORDER BY next_due LIMIT ?", (account_id, now, limit))]

    def unwatch(self, return_id: int) -> None:
        self.execute("DELETE FROM webhook_watch WHERE return_id = ?", (return_id,))

    def set_watch_due(self, return_id: int, due: float | None) -> None:
        self.execute("UPDATE webhook_watch SET next_due = ? WHERE return_id = ?", (due, return_id))

    def log_event_delivery(self, *, account: str, event: str, event_key: str, return_id: int, due_at: float,
                           url: str, body: str, signature: str) -> None:
        """A delivery of one event, once: a second one with the same event_key is ignored."""
        self.execute(
            "INSERT INTO webhook_deliveries (account, event, event_key, return_id, due_at, url, body,"
            " signature, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (account, event, event_key, return_id, due_at, url, body, signature, due_at))

    def insert_delivery(self, *, account: str, event: str, return_id: int | None, due_at: float, url: str,
                        body: str, signature: str, redelivery_of: int | None = None) -> int:
        return self.insert(
            "INSERT INTO webhook_deliveries (account, event, return_id, due_at, url, body, signature,"
            " next_attempt_at, redelivery_of) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (account, event, return_id, due_at, url, body, signature, due_at, redelivery_of))

    def delivery(self, delivery_id: int) -> Row | None:
        return self.one("SELECT * FROM webhook_deliveries WHERE id = ?", (delivery_id,))

    def deliveries(self, *, account: str | None, event: str | None, status: str | None, limit: int) -> list[Row]:
        """Newest first, filtered by each given field."""
        clauses, params = ["1 = 1"], []
        for column, value in (("account", account), ("event", event), ("status", status)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        return self.all(f"SELECT * FROM webhook_deliveries WHERE {' AND '.join(clauses)}"
                        " ORDER BY id DESC LIMIT ?", (*params, limit))

    def accounts_with_pending(self) -> list[str]:
        return [row["account"] for row in
                self.all("SELECT DISTINCT account FROM webhook_deliveries WHERE status = 'pending'")]

    def due_delivery_count(self, api_key: str, now: float) -> int:
        row = self.one("SELECT COUNT(*) AS n FROM webhook_deliveries WHERE account = ?"
                       " AND status = 'pending' AND next_attempt_at <= ?", (api_key, now))
        return int(row["n"]) if row else 0

    def delivery_in_flight(self, api_key: str, wall: float) -> bool:
        return self.one("SELECT 1 AS busy FROM webhook_deliveries WHERE account = ? AND lease_until >= ? LIMIT 1",
                        (api_key, wall)) is not None

    def pending_delivery(self, *, delivery_id: int) -> Row | None:
        return self.one("SELECT * FROM webhook_deliveries WHERE id = ? AND status = 'pending'" + self._for_update,
                        (delivery_id,))

    def earliest_due_delivery(self, api_key: str, now: float) -> Row | None:
        return self.one("SELECT * FROM webhook_deliveries WHERE account = ? AND status = 'pending'"
                        " AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT 1" + self._for_update,
                        (api_key, now))

    def lease_delivery(self, delivery_id: int, *, until: float, owner: str, url: str, signature: str) -> None:
        self.execute("UPDATE webhook_deliveries SET lease_until = ?, lease_owner = ?, url = ?, signature = ?"
                     " WHERE id = ?", (until, owner, url, signature, delivery_id))

    def delivery_lease(self, delivery_id: int) -> Row | None:
        """history (JSON), lease_owner."""
        return self.one("SELECT history, lease_owner FROM webhook_deliveries WHERE id = ?" + self._for_update,
                        (delivery_id,))

    def record_attempt(self, delivery_id: int, *, status: str, attempts: int, history: list[Any],
                       next_attempt_at: float | None) -> None:
        self.execute("UPDATE webhook_deliveries SET status = ?, attempts = ?, history = ?, next_attempt_at = ?,"
                     " lease_until = NULL, lease_owner = NULL WHERE id = ?",
                     (status, attempts, dumps(history), next_attempt_at, delivery_id))

    def clear_deliveries(self, api_key: str | None = None) -> None:
        """An account's deliveries, or all of them with every configuration (a full reset)."""
        if api_key is not None:
            self.execute("DELETE FROM webhook_deliveries WHERE account = ?", (api_key,))
            return
        self.execute("DELETE FROM webhook_deliveries")
        self.execute("DELETE FROM webhook_configs")
        self.execute("DELETE FROM webhook_watch WHERE return_id NOT IN (SELECT id FROM returns)")
