"""The returns domain: the rules of creating, reading, listing and cancelling returns.

Handlers call this with keyword arguments; it raises ApiError for anything a client got wrong.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from typing import Any

from ..accounts import Account, Accounts
from ..carriers import carrier_for_shipping_code, tracking_number
from ..clock import Clock
from ..config import Settings
from ..cursors import Cursor
from ..errors import ApiError, Problem
from ..store import Conflict, Store, StoredReturn, loads
from .lifecycle import Delays, Progress, Schedule, State, plan, progress, replay, settled_until, start
from .reasons import EU_COUNTRIES, RETURN_REASONS
from .record import Payment, ReturnData

# Heaviest parcel each carrier accepts (kg); heavier ones fail at announcement.
MAX_WEIGHT_KG = {"postnl": 23.0, "ups": 70.0, "gls_eu": 40.0, "colissimo": 30.0, "bpost": 30.0,
                 "mondial_relay": 30.0, "chronopost": 30.0}
DEFAULT_MAX_WEIGHT_KG = 31.5
KG_PER_UNIT = {"kg": 1.0, "g": 0.001, "lbs": 0.45359237, "oz": 0.028349523125}
CM_PER_UNIT = {"cm": 1.0, "mm": 0.1, "m": 100.0, "yd": 91.44, "ft": 30.48, "in": 2.54}
EXTERNAL_REFERENCE_TAKEN = "External reference has already been used in another return."
SCAN_BATCH = 200
# Pages kept per thread until the next write (each holds its returns, a few kilobytes each).
PAGES_KEPT = 16
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
    """A stored return: its row (ids, times) and what it holds (`data`)."""

    id: int
    account_id: int
    created_at: float
    cancelled_at: float | None
    # What it holds as the store keeps it (JSON); read into `data` when first asked, so a list
    # page whose bodies are remembered never reads its records.
    stored: dict[str, Any]
    parcels: tuple[Parcel, ...]
    # Bytes of the stored JSON (a list page's byte budget counts them).
    size: int = 0

    @cached_property
    def data(self) -> ReturnData:
        return ReturnData.from_json(self.stored)

    @classmethod
    def holding(cls, data: ReturnData, *, id: int, account_id: int, created_at: float,
                cancelled_at: float | None = None, parcels: tuple[Parcel, ...] = ()) -> ReturnRecord:
        """A record of data already read (tests, and code that has just built it)."""
        record = cls(id, account_id, created_at, cancelled_at, data.to_json(), parcels)
        record.__dict__["data"] = data
        return record

    @property
    def request(self) -> dict[str, Any]:
        return self.data.request

    @property
    def schedule(self) -> Schedule:
        return self.data.schedule

    def state(self, now: float) -> State:
        return replay(self.schedule, self.cancelled_at, now)

    def progress(self, now: float) -> Progress:
        return progress(self.data.payment.status, self.state(now))


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

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> ListFilter:
        """The v3 list's filters from its query; a date it cannot read is a 400 naming it."""
        return cls(from_ts=_date_param(params, "from_date"), to_ts=_date_param(params, "to_date"),
                   parent_status=params.get("parent_parcel_status"))


def _date_param(params: dict[str, Any], name: str) -> float | None:
    if name not in params:
        return None
    try:
        return parse_list_date(params[name])
    except ValueError:
        raise ApiError.one(400, "invalid", "Enter a valid date/time, such as 2022-04-06 00:00:00.",
                           parameter=name) from None


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
            problems.append(Problem("invalid", f"Brand {brand_id} does not exist in this account.",
                                    pointer="/brand_id"))
        reference = body.get("external_reference")
        if reference is not None and self._store.external_reference_taken(account.id, reference):
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
               failure: str | None = None, **details: Any) -> Created:
        """Store a new return with its parcels and its schedule; announce at once when asked.

        `details` are further ReturnData fields (what the portal adds). A return awaiting
        payment gets no announcement time until it is paid (see `pay`).
        """
        self.check(account, body)
        failure = failure or self.announcement_failure(body)
        now = self._clock.now(account)
        payment: Payment = details.get("payment", Payment())
        schedule = plan(now, self._delays(), at_once=announce_now, waiting=payment.awaiting, failure=failure)
        carrier = carrier_for_shipping_code(_shipping_code(body["ship_with"]))
        data = ReturnData(request=body, carrier=carrier, schedule=schedule, **details).to_json()
        collo_count = int(body.get("collo_count", 1))
        try:
            with self._store.transaction():
                return_id = self._store.insert_return(account.id, external_reference=body.get("external_reference"),
                                                      created_at=now, data=data)
                parcel_ids = []
                for index in range(1, collo_count + 1):
                    parcel_id = self._store.insert_parcel(return_id, account.id, index)
                    self._store.set_tracking_number(parcel_id, tracking_number(carrier, parcel_id % TRACKING_SERIALS))
                    parcel_ids.append(parcel_id)
        except Conflict:
            # Two requests raced with the same external reference; the index kept only one.
            raise ApiError.one(400, "invalid", EXTERNAL_REFERENCE_TAKEN, pointer="/external_reference") from None
        return Created(return_id, parcel_ids[0], parcel_ids if collo_count > 1 else [])

    def announce_synchronously(self, account: Account, body: dict[str, Any]) -> Created:
        """Create and announce at once; a parcel the carrier would refuse is a 400 and no return."""
        self.check(account, body)
        failure = self.announcement_failure(body)
        if failure is not None:
            raise ApiError.one(400, "parcel_announcement_error", failure)
        return self.create(account, body, announce_now=True)

    def _delays(self) -> Delays:
        return Delays(self._settings.label_delay, self._settings.transit_delay, self._settings.delivery_delay)

    def pay(self, return_id: int, *, paid: bool) -> ReturnRecord:
        """Settle a paid return: paid starts its announcement now; unpaid marks payment failed."""
        stored = self._store.stored_return(return_id)
        if stored is None:
            raise ApiError.one(404, "not_found", "No Return matches the given query.")
        data = ReturnData.from_json(stored.data)
        if not data.payment.awaiting:
            raise ApiError.one(409, "conflict", "This return is not awaiting payment.")
        now = self._clock.now(stored.account_id)
        if paid:
            data = dataclasses.replace(data, payment=dataclasses.replace(data.payment, paid_at=now),
                                       schedule=start(data.schedule, now, self._delays()))
        else:
            data = dataclasses.replace(data, payment=dataclasses.replace(data.payment, failed=True))
        with self._store.transaction():
            self._store.update_return_data(return_id, data.to_json())
        return self._record(self._store.stored_return(return_id))  # type: ignore[arg-type]

    # -- reading -------------------------------------------------------------------------

    def now(self, account: Account | None = None) -> float:
        """The server clock, or the account's (a return's life runs on its account's clock)."""
        return self._clock.now(account)

    def get(self, account: Account, return_id: int) -> ReturnRecord:
        found = self._store.account_return(account.id, return_id)
        if found is None:
            raise ApiError.one(404, "not_found", "No Return matches the given query.")
        stored, parcels = found
        return self._record(stored, tuple(Parcel(*values) for values in parcels))

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
        return_id = self._store.parcel_return_id(account.id, parcel_id)
        if return_id is None:
            raise ApiError.one(404, "not_found", "No Parcel matches the given query.")
        record = self.get(account, return_id)
        return record, next(p for p in record.parcels if p.id == parcel_id)

    def labelled_parcel(self, account: Account, parcel_id: int) -> tuple[ReturnRecord, Parcel]:
        """The parcel and its return, once its label exists."""
        record, parcel = self.parcel(account, parcel_id)
        if not record.state(self._clock.now(account)).label_ready:
            raise ApiError.one(404, "not_found", "The label of this parcel is not available yet: it is not announced.")
        return record, parcel

    def _record(self, stored: StoredReturn, parcels: tuple[Parcel, ...] | None = None) -> ReturnRecord:
        if parcels is None:
            parcels = tuple(Parcel(*values) for values in self._store.parcels_of([stored.id]).get(stored.id, ()))
        return ReturnRecord(stored.id, stored.account_id, stored.created_at, stored.cancelled_at, stored.data,
                            parcels, stored.size)

    def page(self, account: Account, *, cursor: Cursor, page_size: int, where: ListFilter) -> Page:
        """One keyset page, newest first; `next`/`previous` cursors pivot on return ids.

        Without a status filter a page depends on the stored rows alone, so the last few pages
        read are kept until anyone writes (a client polling its list reads no rows again)."""
        if where.parent_status is not None:
            return self._page(account, cursor=cursor, page_size=page_size, where=where)
        kept: dict[Any, Page] = self._store.cached(("pages",), dict)
        key = (account.id, cursor, page_size, where.from_ts, where.to_ts)
        page = kept.get(key)
        if page is None:
            page = self._page(account, cursor=cursor, page_size=page_size, where=where)
            if len(kept) >= PAGES_KEPT:
                kept.clear()
            kept[key] = page
        return page

    def _page(self, account: Account, *, cursor: Cursor, page_size: int, where: ListFilter) -> Page:
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
        ascending = newer_than is not None
        pivot = newer_than if ascending else older_than
        while True:
            rows = self._store.scan_returns(account.id, from_ts=where.from_ts, to_ts=where.to_ts, pivot=pivot,
                                            ascending=ascending, limit=batch)
            if not rows:
                return
            parcels = self._store.parcels_of([row.id for row in rows])
            for row in rows:
                yield self._record(row, tuple(Parcel(*values) for values in parcels.get(row.id, ())))
            if len(rows) < batch:
                return
            pivot = rows[-1].id

    # -- cancelling ----------------------------------------------------------------------

    def cancel(self, account: Account, return_id: int) -> None:
        record = self.get(account, return_id)
        now = self._clock.now(account)
        if not record.state(now).is_cancellable:
            raise not_cancellable()
        with self._store.transaction():
            updated = self._store.cancel_return(return_id, now)
        if not updated:
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
