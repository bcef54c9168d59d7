"""What the inspector page shows, read from the fake's own domain objects (no HTTP round trips)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..accounts import Account
from ..clock import iso
from ..returns.representations import v3_return

NEWEST = 50


@dataclass(frozen=True)
class ReturnRow:
    """One return as the inspector lists it."""

    id: int
    account: Account
    created_at: str
    status: str
    parent_status: str
    carrier: str
    tracking_number: str | None
    brand: str | None
    from_name: str
    announced: bool
    is_cancellable: bool
    source: str
    service_point: int | None
    view: dict[str, Any]


def _account(row: Any) -> Account:
    return Account(row["account_id"], row["api_key"], row["name"])


def newest_returns(mock: Any, *, api_key: str | None = None, limit: int = NEWEST) -> list[ReturnRow]:
    """The newest returns of every account (or of one), newest first."""
    return [row_of(mock, _account(row), row["id"]) for row in mock.store.newest_returns(api_key=api_key, limit=limit)]


def find_return(mock: Any, return_id: int) -> ReturnRow | None:
    row = mock.store.return_owner(return_id)
    return None if row is None else row_of(mock, _account(row), row["id"])


def row_of(mock: Any, account: Account, return_id: int) -> ReturnRow:
    record = mock.returns.get(account, return_id)
    now = mock.clock.now()
    state = record.state(now)
    # Laid out by the Return schema, exactly as the v3 API answers it (with relative label URLs).
    view = mock.spec.operations["returns_v3_retrieve"].shapes[200](v3_return(record, now, "/"))
    brand = mock.accounts.brand(view["brand_id"]) if view.get("brand_id") else None
    return ReturnRow(
        id=record.id,
        account=account,
        created_at=iso(record.created_at),
        status=view["status"],
        parent_status=state.current.slug,
        carrier=record.data.carrier,
        tracking_number=view["tracking_number"],
        brand=(brand or {}).get("name"),
        from_name=view["from_address"].get("name", ""),
        announced=state.announced,
        is_cancellable=state.is_cancellable,
        source="portal" if record.data.origin == "portal" else "api",
        service_point=record.data.service_point,
        view=view,
    )


def accounts(mock: Any) -> list[dict[str, Any]]:
    """Every account with its brands and how many returns it holds."""
    counts = mock.store.return_counts()
    ids = {row["api_key"]: row["id"] for row in mock.store.all_accounts()}
    described = mock.accounts.describe_all()
    for account in described:
        account["returns"] = counts.get(ids.get(account["api_key"]), 0)
    return described


def account_by_key(mock: Any, api_key: str) -> Account | None:
    return mock.accounts.by_key(api_key)
