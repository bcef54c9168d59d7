"""Blueprint: the deprecated Returns API v2 (/api/v2/returns), a second view of the same store."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app

from ..guards import base_url, current_account
from ..operations import Reply, operation
from .models import ListFilter, ReturnRecord, ReturnsBackend
from .representations import v2_return
from .v3 import cursor_param, page_url

bp = Blueprint("returns_v2", __name__, url_prefix="/api/v2/returns")


def backend() -> ReturnsBackend:
    return current_app.extensions["sendcloud_mock"].returns


def _brand_names() -> dict[int, str]:
    accounts = current_app.extensions["sendcloud_mock"].accounts
    return accounts.brand_names(current_account())


def _brand_of(names: dict[int, str], record: ReturnRecord) -> str | None:
    brand_id = record.request.get("brand_id")
    return None if brand_id is None else names.get(brand_id)


@bp.get("")
@operation("returns_v2_list")
def list_returns(params: dict[str, Any], body: None) -> Reply:
    returns = backend()
    page = returns.page(current_account(), cursor=cursor_param(params),
                        page_size=int(params.get("page_size", 100)), where=ListFilter())
    now, names, root = returns.now(current_account()), _brand_names(), base_url()
    return Reply(200, {
        "next": page_url(page.next),
        "previous": page_url(page.previous),
        "returns": [returns.remembered_view(r, ("v2", root), lambda rec, n: v2_return(rec, n, _brand_of(names, rec),
                                                                                      root), now)
                    for r in page.records],
    }, memoize_items="returns")


@bp.get("/<int:id>")
@operation("returns_v2_retrieve")
def retrieve(params: dict[str, Any], body: None) -> Reply:
    names, root = _brand_names(), base_url()
    view = backend().view(current_account(), params["id"], ("v2", root),
                          lambda record, now: v2_return(record, now, _brand_of(names, record), root))
    return Reply(200, view, memoize=True)
