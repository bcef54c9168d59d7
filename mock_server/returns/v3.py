"""Blueprint: the Returns API v3 (/api/v3/returns)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, current_app, request

from ..cursors import Cursor, CursorError, decode
from ..errors import ApiError
from ..guards import base_url, current_account
from ..operations import Reply, operation
from .models import ListFilter, ReturnsBackend
from .representations import v3_return, validation_view

bp = Blueprint("returns_v3", __name__, url_prefix="/api/v3/returns")


def backend() -> ReturnsBackend:
    return current_app.extensions["sendcloud_mock"].returns


@bp.post("")
@operation("returns_v3_create")
def create(params: dict[str, Any], body: dict[str, Any]) -> Reply:
    created = backend().create(current_account(), body)
    return Reply(201, created.__dict__)


@bp.post("/announce-synchronously")
@operation("returns_v3_announce_synchronously")
def announce_synchronously(params: dict[str, Any], body: dict[str, Any]) -> Reply:
    created = backend().announce_synchronously(current_account(), body)
    return Reply(201, created.__dict__)


@bp.post("/validate")
@operation("returns_v3_validate")
def validate(params: dict[str, Any], body: dict[str, Any]) -> Reply:
    backend().check(current_account(), body)
    return Reply(200, validation_view(body))


@bp.get("")
@operation("returns_v3_list")
def list_returns(params: dict[str, Any], body: None) -> Reply:
    where = ListFilter.from_params(params)
    cursor = cursor_param(params)
    returns = backend()
    page = returns.page(current_account(), cursor=cursor, page_size=int(params.get("page_size", 40)), where=where)
    now, root = returns.now(current_account()), base_url()
    return Reply(200, {
        "next": page_url(page.next),
        "previous": page_url(page.previous),
        "data": [returns.remembered_view(record, ("v3", root), lambda r, n: v3_return(r, n, root), now)
                 for record in page.records],
    }, memoize_items="data")


@bp.get("/<int:id>")
@operation("returns_v3_retrieve")
def retrieve(params: dict[str, Any], body: None) -> Reply:
    root = base_url()
    view = backend().view(current_account(), params["id"], ("v3", root),
                          lambda record, now: v3_return(record, now, root))
    return Reply(200, view, memoize=True)


@bp.patch("/<int:id>/cancel")
@operation("returns_v3_cancel")
def cancel(params: dict[str, Any], body: None) -> Reply:
    backend().cancel(current_account(), params["id"])
    return Reply(202, {"message": "Cancellation requested successfully"})


def cursor_param(params: dict[str, Any]) -> Cursor:
    if "cursor" not in params:
        return Cursor()
    try:
        return decode(params["cursor"])
    except CursorError:
        raise ApiError.one(400, "invalid", "Invalid cursor.", parameter="cursor") from None


def page_url(cursor: Cursor | None) -> str | None:
    """The same request with another cursor, as a full URL on the host the client used."""
    if cursor is None:
        return None
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "cursor"]
    args.append(("cursor", cursor.encode()))
    return f"{request.base_url}?{urlencode(args)}"
