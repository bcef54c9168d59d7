"""Blueprint: the control surface beside the API (/__admin), like WireMock's.

Health, fixtures, reset, the clock, the request journal and accounts. Calls that change
time, faults or state take an optional account (body 'account' or ?account=).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, current_app

from . import __version__
from .accounts import Account, UnknownAccount
from .clock import ClockLimitError, iso
from .errors import ApiError
from .journal import Filter
from .operations import Reply, operation
from .seeding import reset as reset_store

bp = Blueprint("admin", __name__, url_prefix="/__admin")
# Accounts /__admin/fixtures lists in full (fixture accounts first); the rest are counted.
FIXTURES_ACCOUNTS_SHOWN = 100


def state():
    return current_app.extensions["sendcloud_mock"]


@bp.get("/health")
@operation("admin_health")
def health(params: dict[str, Any], body: None) -> Reply:
    mock = state()
    writable = mock.store.writable()
    return Reply(200 if writable else 503, {
        "status": "ok" if writable else "degraded",
        "package": "sendcloud-mock",
        "version": __version__,
        "schemas_version": mock.spec.version,
        "now": iso(mock.clock.now()),
    })


@bp.get("/fixtures")
@operation("admin_fixtures")
def fixtures(params: dict[str, Any], body: None) -> Reply:
    mock = state()
    settings = mock.settings
    # Thousands of open accounts must not make this answer huge: the first ones, and the count.
    shown = mock.accounts.describe_all(limit=FIXTURES_ACCOUNTS_SHOWN)
    return Reply(200, {
        "accounts": shown,
        "accounts_total": mock.accounts.count(),
        "partner_ids": sorted(mock.fixtures["partners"]),
        "settings": {
            "label_delay": settings.label_delay,
            "transit_delay": settings.transit_delay,
            "delivery_delay": settings.delivery_delay,
            "open_accounts": settings.open_accounts,
        },
    })


def _account(params: dict[str, Any], body: dict[str, Any] | None = None) -> Account | None:
    """The account an admin call names (body "account" or ?account=), or None for all; unknown: 404."""
    key = (body or {}).get("account") or params.get("account")
    if key is None:
        return None
    account = state().accounts.by_key(key)
    if account is None:
        where = {"pointer": "/account"} if (body or {}).get("account") else {"parameter": "account"}
        raise ApiError.one(404, "not_found", f"No account has the API key {key!r}.", **where)
    return account


@bp.post("/reset")
@operation("admin_reset")
def reset(params: dict[str, Any], body: dict[str, Any]) -> Reply:
    mock = state()
    account = _account(params, body)
    key = account.api_key if account else None
    try:
        reset_store(mock.store, mock.accounts, mock.fixtures, account_key=key)
    except KeyError:
        raise ApiError.one(404, "not_found", "No account has this API key.", pointer="/account") from None
    mock.journal.clear(key)
    return Reply(200, {"reset": "account" if account else "all", "account": key})


def _clock_reply(account: Account | None) -> Reply:
    clock = state().clock
    return Reply(200, {"now": iso(clock.now(account)), "frozen": clock.is_frozen(account),
                       "account": account.api_key if account else None})


@bp.get("/clock")
@operation("admin_clock")
def clock(params: dict[str, Any], body: None) -> Reply:
    return _clock_reply(_account(params))


@bp.post("/clock/advance")
@operation("admin_clock_advance")
def advance(params: dict[str, Any], body: dict[str, Any]) -> Reply:
    account = _account(params, body)
    try:
        state().clock.advance(float(body["seconds"]), account)
    except ClockLimitError as refused:
        raise ApiError.one(400, "invalid", str(refused), pointer="/seconds") from None
    return _clock_reply(account)


@bp.post("/clock/freeze")
@operation("admin_clock_freeze")
def freeze(params: dict[str, Any], body: dict[str, Any]) -> Reply:
    account = _account(params, body)
    state().clock.freeze(bool(body.get("frozen", True)), account)
    return _clock_reply(account)


@bp.get("/requests")
@operation("admin_requests")
def requests_journal(params: dict[str, Any], body: None) -> Reply:
    return Reply(200, {"requests": state().journal.newest(params.get("limit", 100), Filter.from_params(params))})


@bp.get("/requests/count")
@operation("admin_requests_count")
def requests_count(params: dict[str, Any], body: None) -> Reply:
    return Reply(200, {"count": state().journal.count(Filter.from_params(params))})


@bp.get("/accounts")
@operation("admin_accounts_list")
def list_accounts(params: dict[str, Any], body: None) -> Reply:
    return Reply(200, {"accounts": state().accounts.describe_all()})


@bp.post("/accounts")
@operation("admin_accounts_create")
def add_account(params: dict[str, Any], body: dict[str, Any]) -> Reply:
    """A new account from the body, or (with "from") a clone of an existing one."""
    mock = state()
    try:
        if body.get("from"):
            account = mock.accounts.clone(body["from"], api_key=body.get("api_key"),
                                          api_secret=body.get("api_secret"), name=body.get("name"))
        else:
            missing = [name for name in ("api_key", "api_secret") if not body.get(name)]
            if missing:
                raise ApiError.one(400, "required", "This field is required (or give \"from\" to clone).",
                                   pointer="/" + missing[0])
            account = mock.accounts.add(
                name=body.get("name") or body["api_key"],
                api_key=body["api_key"],
                api_secret=body["api_secret"],
                brands=body.get("brands", []),
                outgoing_parcels=body.get("outgoing_parcels", []),
            )
    except UnknownAccount as missing_source:
        raise ApiError.one(404, "not_found", f"No account has the API key {missing_source.args[0]!r}.",
                           pointer="/from") from None
    except KeyError as taken:
        raise ApiError.one(409, "conflict", f"Already taken: {taken.args[0]}.") from None
    return Reply(201, mock.accounts.describe(account.api_key))


@bp.get("/accounts/<api_key>")
@operation("admin_accounts_get")
def get_account(params: dict[str, Any], body: None) -> Reply:
    described = state().accounts.describe(params["api_key"])
    if described is None:
        raise ApiError.one(404, "not_found", "No account has this API key.")
    return Reply(200, described)


@bp.delete("/accounts/<api_key>")
@operation("admin_accounts_delete")
def delete_account(params: dict[str, Any], body: None) -> Reply:
    mock = state()
    if not mock.accounts.delete(params["api_key"]):
        raise ApiError.one(404, "not_found", "No account has this API key.")
    mock.journal.clear(params["api_key"])
    return Reply(200, {"deleted": 1})


@bp.post("/faults/announcement")
@operation("admin_fault_announcement")
def announcement_fault(params: dict[str, Any], body: dict[str, Any]) -> Reply:
    mock = state()
    with mock.store.transaction():
        mock.store.set_meta("fault_announcement", json.dumps(body))
    return Reply(200, body)


@bp.post("/returns/<int:id>/payment")
@operation("admin_return_payment")
def payment(params: dict[str, Any], body: dict[str, Any]) -> Reply:
    record = state().returns.pay(params["id"], paid=body["paid"])
    return Reply(200, {"return": record.id, "status": record.data.status})


@bp.get("/faults")
@operation("admin_faults_list")
def faults_list(params: dict[str, Any], body: None) -> Reply:
    account = _account(params)
    return Reply(200, {"faults": state().faults.all(account.api_key if account else None)})


@bp.post("/faults")
@operation("admin_faults_create")
def faults_create(params: dict[str, Any], body: dict[str, Any]) -> Reply:
    account = _account(params, body)
    rule = {**body, "account": account.api_key} if account else body
    return Reply(201, state().faults.add(rule))


@bp.delete("/faults")
@operation("admin_faults_clear")
def faults_clear(params: dict[str, Any], body: None) -> Reply:
    account = _account(params)
    return Reply(200, {"deleted": state().faults.delete(account=account.api_key if account else None)})


@bp.delete("/faults/<int:id>")
@operation("admin_faults_delete")
def faults_delete(params: dict[str, Any], body: None) -> Reply:
    if not state().faults.delete(params["id"]):
        raise ApiError.one(404, "not_found", "No fault rule has this id.")
    return Reply(200, {"deleted": 1})
