"""The returns domain: the rules of creating, reading, listing and cancelling returns.

Handlers call this with keyword arguments; it raises ApiError for anything a client got wrong.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Hashable, Iterator

from ..accounts import Account, Accounts
from ..carriers import carrier_for_shipping_code, tracking_number
from ..clock import Clock
from ..config import Settings
from ..cursors import Cursor
from ..errors import ApiError, Problem
from ..store import Store, dumps, loads
from .lifecycle import Schedule, State, replay, settled_until
from .reasons import EU_COUNTRIES, RETURN_REASONS

# Heaviest parcel each carrier accepts (kg); heavier ones fail at announcement.
MAX_WEIGHT_KG = {"postnl": 23.0, "ups": 70.0, "gls_eu": 40.0, "colissimo": 30.0, "bpost": 30.0,
                 "mondial_relay": 30.0, "chronopost": 30.0}
DEFAULT_MAX_WEIGHT_KG = 31.5
KG_PER_UNIT = {"kg": 1.0, "g": 0.001, "lbs": 0.45359237, "oz": 0.028349523125}
CM_PER_UNIT = {"cm": 1.0, "mm": 0.1, "m": 100.0, "yd": 91.44, "ft": 30.48, "in": 2.54}
EXTERNAL_REFERENCE_TAKEN = "External reference has already been used in another return."
SCAN_BATCH = 200
# A list page holds at most this many bytes of stored returns (at least one return): a page of
# 100 returns of a megabyte each must not cost a worker 100 MB. The rest follows on the next page.
PAGE_BYTE_BUDGET = 2_000_000


def within_budget(records: list[ReturnRecord]) -> list[ReturnRecord]:
    total = 0
    for index, record in enumerate(records):
        total += record.size
        if total > PAGE_BYTE_BUDGET and index > 0:
            return records[:index]
    return records
# Sendcloud's multi-collo limit: one return ships in at most this many parcels.
MAX_COLLI = 20
# Every carrier's number format has room for this many distinct serials.
TRACKING_SERIALS = 10_000_000


@dataclass(frozen=True)
class Parcel:
    id: int
    collo_index: int
    tracking_number: str


@dataclass(frozen=True)
class ReturnRecord:
    """A stored return, as the database holds it."""

    id: int
    account_id: int
    created_at: float
    cancelled_at: float | None
    data: dict[str, Any]
    parcels: tuple[Parcel, ...]
    # Bytes of the stored JSON (a list page's byte budget counts them).
    size: int = 0

    @property
    def request(self) -> dict[str, Any]:
        return self.data["request"]

    @property
    def schedule(self) -> Schedule:
        return Schedule(**self.data["schedule"])

    def state(self, now: float) -> State:
        return replay(self.schedule, self.cancelled_at, now)


@dataclass
class Page:
    records: list[ReturnRecord]
    next: Cursor | None
    previous: Cursor | None


@dataclass(frozen=True)
class Created:
    return_id: int
    parcel_id: int
    multi_collo_ids: list[int]


@dataclass
class ListFilter:
    from_ts: float | None = None
    to_ts: float | None = None
    parent_status: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def weight_in_kg(weight: dict[str, Any]) -> float:
    return float(weight["value"]) * KG_PER_UNIT[weight["unit"]]


class ReturnsBackend:
    def __init__(self, store: Store, clock: Clock, accounts: Accounts, settings: Settings) -> None:
        self._store = store
        self._clock = clock
        self._accounts = accounts
        self._settings = settings

    # -- creating ------------------------------------------------------------------------

    def check(self, account: Account, body: dict[str, Any]) -> None:
        """The rules a valid-by-schema request must also follow; raises a 400 naming each field."""
        problems: list[Problem] = []
        ship_with = body["ship_with"]
        kind = ship_with.get("type", "shipping_product_code")
        if not ship_with.get(kind):
            problems.append(Problem("required", f"This field is required when type is {kind}.",
                                    pointer=f"/ship_with/{kind}"))
        if weight_in_kg(body["weight"]) < 0.001:
            problems.append(Problem("min_value", "Ensure the weight is at least 1 gram.", pointer="/weight/value"))
        if int(body.get("collo_count", 1)) > MAX_COLLI:
            problems.append(Problem("invalid", f"Ensure this value is less than or equal to {MAX_COLLI}.",
                                    pointer="/collo_count"))
        items = body.get("parcel_items") or []
        if body["from_address"]["country_code"].upper() not in EU_COUNTRIES:
            if not items:
                problems.append(Problem("required", "Parcel items are required for returns from outside the EU.",
                                        pointer="/parcel_items"))
            for index, item in enumerate(items):
                for name in ("hs_code", "origin_country"):
                    if not item.get(name):
                        problems.append(Problem("required", "This field is required for returns from outside the EU.",
                                                pointer=f"/parcel_items/{index}/{name}"))
        for index, item in enumerate(items):
            reason = item.get("return_reason_id")
            if reason is not None and not (reason.isdigit() and int(reason) in RETURN_REASONS):
                problems.append(Problem("invalid_choice", f'"{reason[:40]}" is not a valid return reason id.',
                                        pointer=f"/parcel_items/{index}/return_reason_id"))
        brand_id = body.get("brand_id")
        if brand_id is not None and brand_id not in self._accounts.brand_ids(account):
            problems.append(Problem("invalid", f"Brand {brand_id} does not exist in this account.", pointer="/brand_id"))
        reference = body.get("external_reference")
        if reference is not None and self._store.query_one(
            "SELECT 1 FROM returns WHERE account_id = ? AND external_reference = ?", (account.id, reference)
        ):
            problems.append(Problem("invalid", EXTERNAL_REFERENCE_TAKEN, pointer="/external_reference"))
        if problems:
            raise ApiError(400, problems)

    def announcement_failure(self, body: dict[str, Any]) -> str | None:
        """What the carrier would say when refusing this parcel, or None when it accepts it."""
        fault = loads(self._store.get_meta("fault_announcement", "null") or "null")
        if fault and fault.get("enabled"):
            return fault.get("message") or "The carrier could not announce this parcel."
        carrier = carrier_for_shipping_code(_shipping_code(body["ship_with"]))
        limit = MAX_WEIGHT_KG.get(carrier, DEFAULT_MAX_WEIGHT_KG)
        if weight_in_kg(body["weight"]) > limit:
            return f"The parcel weighs more than the {limit:g} kg that {carrier} accepts."
        return None

    def create(self, account: Account, body: dict[str, Any], *, announce_now: bool = False,
               extra: dict[str, Any] | None = None, failure: str | None = None,
               await_payment: bool = False) -> Created:
        """Store a new return with its parcels and its schedule; announce at once when asked.

        A return awaiting payment gets no announcement time until it is paid (see `pay`).
        """
        self.check(account, body)
        failure = failure or self.announcement_failure(body)
        now = self._clock.now(account)
        schedule = {"created": now, **self._timeline(now, at_once=announce_now, waiting=await_payment),
                    "failure": failure}
        carrier = carrier_for_shipping_code(_shipping_code(body["ship_with"]))
        data = {"request": body, "carrier": carrier, "schedule": schedule, **(extra or {})}
        collo_count = int(body.get("collo_count", 1))
        try:
            with self._store.transaction() as db:
                cursor = db.execute(
                    "INSERT INTO returns (account_id, external_reference, created_at, data) VALUES (?, ?, ?, ?)",
                    (account.id, body.get("external_reference"), now, dumps(data)),
                )
                return_id = int(cursor.lastrowid)  # type: ignore[arg-type]
                parcel_ids = []
                for index in range(1, collo_count + 1):
                    cursor = db.execute(
                        "INSERT INTO parcels (return_id, account_id, collo_index, tracking_number) VALUES (?, ?, ?, '')",
                        (return_id, account.id, index),
                    )
                    parcel_id = int(cursor.lastrowid)  # type: ignore[arg-type]
                    db.execute("UPDATE parcels SET tracking_number = ? WHERE id = ?",
                               (tracking_number(carrier, parcel_id % TRACKING_SERIALS), parcel_id))
                    parcel_ids.append(parcel_id)
        except sqlite3.IntegrityError:
            # Two requests raced with the same external reference; the index kept only one.
            raise ApiError.one(400, "invalid", EXTERNAL_REFERENCE_TAKEN, pointer="/external_reference") from None
        return Created(return_id, parcel_ids[0], parcel_ids if collo_count > 1 else [])

    def _timeline(self, start: float, *, at_once: bool = False, waiting: bool = False) -> dict[str, float | None]:
        if waiting:
            return {"announced": None, "in_transit": None, "delivered": None}
        announced = start if at_once else start + self._settings.label_delay
        in_transit = announced + self._settings.transit_delay
        return {"announced": announced, "in_transit": in_transit,
                "delivered": in_transit + self._settings.delivery_delay}

    def pay(self, return_id: int, *, paid: bool) -> ReturnRecord:
        """Settle a paid return: paid starts its announcement now; unpaid marks payment failed."""
        row = self._store.query_one("SELECT * FROM returns WHERE id = ?", (return_id,))
        if row is None:
            raise ApiError.one(404, "not_found", "No Return matches the given query.")
        data = loads(row["data"])
        if data.get("status") != "awaiting_payment":
            raise ApiError.one(409, "conflict", "This return is not awaiting payment.")
        now = self._clock.now(int(row["account_id"]))
        data["status"] = "open" if paid else "payment_failed"
        data["payment"] = {"required": True, "paid_at": now if paid else None}
        if paid:
            data["schedule"].update(self._timeline(now))
        with self._store.transaction() as db:
            db.execute("UPDATE returns SET data = ? WHERE id = ?", (dumps(data), return_id))
        return self._record(self._store.query_one("SELECT * FROM returns WHERE id = ?", (return_id,)))  # type: ignore[arg-type]

    # -- reading -------------------------------------------------------------------------

    def now(self, account: Account | None = None) -> float:
        """The server clock, or the account's (a return's life runs on its account's clock)."""
        return self._clock.now(account)

    def get(self, account: Account, return_id: int) -> ReturnRecord:
        row = self._store.query_one(
            "SELECT r.*, (SELECT json_group_array(json_array(p.id, p.collo_index, p.tracking_number))"
            " FROM parcels p WHERE p.return_id = r.id) AS parcels_json"
            " FROM returns r WHERE r.id = ? AND r.account_id = ?", (return_id, account.id))
        if row is None:
            raise ApiError.one(404, "not_found", "No Return matches the given query.")
        parcels = sorted((Parcel(*values) for values in loads(row["parcels_json"])), key=lambda p: p.collo_index)
        return self._record(row, tuple(parcels))

    def view(self, account: Account, return_id: int, kind: Hashable,
             build: Callable[[ReturnRecord, float], dict[str, Any]]) -> dict[str, Any]:
        """build(record, now), remembered until the return changes or its next scheduled event.

        The same dict object comes back on every hit, so callers must not change it.
        """
        now = self._clock.now(account)
        remembered = self._store.recall(("view", kind, account.id, return_id))
        if remembered is not None and now < remembered[1]:
            return remembered[0]
        return self.remembered_view(self.get(account, return_id), kind, build, now)

    def remembered_view(self, record: ReturnRecord, kind: Hashable,
                        build: Callable[[ReturnRecord, float], dict[str, Any]], now: float) -> dict[str, Any]:
        """As view(), for a record already read (list pages)."""
        key = ("view", kind, record.account_id, record.id)
        remembered = self._store.recall(key)
        if remembered is not None and now < remembered[1]:
            return remembered[0]
        value = build(record, now)
        self._store.remember(key, (value, settled_until(record.schedule, record.cancelled_at, now)))
        return value

    def parcel(self, account: Account, parcel_id: int) -> tuple[ReturnRecord, Parcel]:
        row = self._store.query_one(
            "SELECT return_id FROM parcels WHERE id = ? AND account_id = ?", (parcel_id, account.id))
        if row is None:
            raise ApiError.one(404, "not_found", "No Parcel matches the given query.")
        record = self.get(account, row["return_id"])
        return record, next(p for p in record.parcels if p.id == parcel_id)

    def _record(self, row: sqlite3.Row, parcels: tuple[Parcel, ...] | None = None) -> ReturnRecord:
        if parcels is None:
            parcels = tuple(
                Parcel(p["id"], p["collo_index"], p["tracking_number"])
                for p in self._store.query(
                    "SELECT id, collo_index, tracking_number FROM parcels WHERE return_id = ? ORDER BY collo_index",
                    (row["id"],))
            )
        return ReturnRecord(row["id"], row["account_id"], row["created_at"], row["cancelled_at"],
                            loads(row["data"]), parcels, len(row["data"]))

    def page(self, account: Account, *, cursor: Cursor, page_size: int, where: ListFilter) -> Page:
        """One keyset page, newest first; `next`/`previous` cursors pivot on return ids."""
        now = self._clock.now(account)
        keep = self._predicate(where, now)
        if not cursor.reverse:
            found = self._take(account, where, keep, older_than=cursor.position, count=cursor.offset + page_size + 1)
            found = found[cursor.offset:]
            records = within_budget(found[:page_size])
            has_next = len(found) > len(records)
            next_cursor = Cursor(position=records[-1].id) if has_next and records else None
            previous_cursor = None
            if records and self._take(account, where, keep, newer_than=records[0].id, count=1):
                previous_cursor = Cursor(reverse=True, position=records[0].id)
        else:
            found = self._take(account, where, keep, newer_than=cursor.position, count=cursor.offset + page_size + 1)
            found = found[cursor.offset:]
            kept = within_budget(found[:page_size])
            records = list(reversed(kept))
            previous_cursor = Cursor(reverse=True, position=records[0].id) if len(found) > len(kept) else None
            next_cursor = None
            if records and self._take(account, where, keep, older_than=records[-1].id, count=1):
                next_cursor = Cursor(position=records[-1].id)
            elif not records and cursor.position is not None:
                next_cursor = Cursor(position=cursor.position + 1)
        return Page(records, next_cursor, previous_cursor)

    def _predicate(self, where: ListFilter, now: float) -> Callable[[ReturnRecord], bool] | None:
        if where.parent_status is None:
            return None
        wanted = where.parent_status
        return lambda record: record.state(now).current.slug == wanted

    def _take(self, account: Account, where: ListFilter, keep: Callable[[ReturnRecord], bool] | None, *,
              count: int, older_than: int | None = None, newer_than: int | None = None) -> list[ReturnRecord]:
        taken: list[ReturnRecord] = []
        # Without a predicate every row counts: fetch exactly as many as needed.
        batch = min(count, SCAN_BATCH) if keep is None else SCAN_BATCH
        for record in self._scan(account, where, older_than=older_than, newer_than=newer_than, batch=batch):
            if keep is None or keep(record):
                taken.append(record)
                if len(taken) >= count:
                    break
        return taken

    def _scan(self, account: Account, where: ListFilter, *, older_than: int | None,
              newer_than: int | None, batch: int = SCAN_BATCH) -> Iterator[ReturnRecord]:
        """Returns in id order (descending, or ascending when walking back), fetched in batches."""
        clauses, params = ["account_id = ?"], [account.id]
        if where.from_ts is not None:
            clauses.append("created_at >= ?")
            params.append(where.from_ts)
        if where.to_ts is not None:
            clauses.append("created_at <= ?")
            params.append(where.to_ts)
        ascending = newer_than is not None
        pivot = newer_than if ascending else older_than
        while True:
            sql_clauses = list(clauses)
            sql_params = list(params)
            if pivot is not None:
                sql_clauses.append("id > ?" if ascending else "id < ?")
                sql_params.append(pivot)
            rows = self._store.query(
                f"SELECT * FROM returns WHERE {' AND '.join(sql_clauses)}"  # noqa: S608 - fixed fragments
                f" ORDER BY id {'ASC' if ascending else 'DESC'} LIMIT ?",
                (*sql_params, batch),
            )
            if not rows:
                return
            parcels = self._parcels_of([row["id"] for row in rows])
            for row in rows:
                yield self._record(row, parcels.get(row["id"], ()))
            if len(rows) < batch:
                return
            pivot = rows[-1]["id"]

    def _parcels_of(self, return_ids: list[int]) -> dict[int, tuple[Parcel, ...]]:
        marks = ",".join("?" * len(return_ids))
        grouped: dict[int, list[Parcel]] = {}
        for p in self._store.query(
            f"SELECT return_id, id, collo_index, tracking_number FROM parcels WHERE return_id IN ({marks})"  # noqa: S608
            " ORDER BY collo_index", tuple(return_ids)
        ):
            grouped.setdefault(p["return_id"], []).append(Parcel(p["id"], p["collo_index"], p["tracking_number"]))
        return {key: tuple(value) for key, value in grouped.items()}

    # -- cancelling ----------------------------------------------------------------------

    def cancel(self, account: Account, return_id: int) -> None:
        record = self.get(account, return_id)
        now = self._clock.now(account)
        if not record.state(now).is_cancellable:
            raise not_cancellable()
        with self._store.transaction() as db:
            updated = db.execute(
                "UPDATE returns SET cancelled_at = ? WHERE id = ? AND cancelled_at IS NULL", (now, return_id)
            ).rowcount
        if updated == 0:
            raise not_cancellable()


def not_cancellable() -> ApiError:
    return ApiError(409, [Problem("conflict", "Return is not cancellable.")],
                    body={"errors": [{"field": "returns", "code": 409, "message": "Return is not cancellable."}]})


def _shipping_code(ship_with: dict[str, Any]) -> str:
    kind = ship_with.get("type", "shipping_product_code")
    return ship_with.get(kind) or ship_with.get("shipping_option_code") or ship_with.get("shipping_product_code") or ""


def shipping_codes(ship_with: dict[str, Any]) -> tuple[str | None, str | None]:
    """(shipping product code, shipping option code) as the Return object reports them."""
    kind = ship_with.get("type", "shipping_product_code")
    option = ship_with.get("shipping_option_code") if kind == "shipping_option_code" else None
    product = ship_with.get("shipping_product_code") or option
    return product, option


def parse_list_date(value: str) -> float:
    """'2022-04-06 00:00:00' (Sendcloud's form), an ISO 8601 date-time, or a date; naive means UTC."""
    text = value.strip().replace("Z", "+00:00")
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()
