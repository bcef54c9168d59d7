"""Blueprint: the Service points API v2 (/api/v2/service-points, /api/v2/carriers).

Authenticated as its documented `security` says (the guard is in security.py): HTTP Basic
with the account's API key and secret, an OAuth2 Bearer token, ``access_token`` = the
account's public API key, or the return portal's service-points JWT (``access_token`` or a
Bearer header). An account sees every carrier of the fixtures; a portal token only the
carriers its brand's portal enables.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from flask import Blueprint, current_app, g

from ..accounts import Account
from ..errors import ApiError
from ..operations import Reply, operation
from .query import ServicePointQuery

bp = Blueprint("service_points", __name__)


def _mock() -> Any:
    return current_app.extensions["sendcloud_mock"]


@dataclass(frozen=True)
class Caller:
    """Whose clock the request reads and which carriers it may see (None: every carrier)."""

    account: Account | None
    carriers: list[str] | None


def caller() -> Caller:
    """The caller whose credentials the operation's guard accepted (security.py, from its documented security).

    The account for a key and secret, an OAuth2 token or the public key; for a portal JWT its
    brand's account and carriers (the brand loaded once per request, here, not per use).
    """
    if "caller" not in g:
        g.caller = Caller(g.account, None)
        claims = g.get("claims")
        if claims is not None:
            try:
                brand = _mock().portal.brand(claims.brand)
            except ApiError:
                return g.caller
            g.caller = Caller(brand.account, brand.carriers)
    return g.caller


def _now() -> datetime:
    """Now on the caller's clock: the account's own (an account-scoped advance moves its opening days)."""
    return datetime.fromtimestamp(_mock().clock.now(caller().account), tz=timezone.utc)


@bp.get("/api/v2/service-points")
@operation("service_points_search")
def search(params: dict[str, Any], body: None) -> Reply:
    """Points of the country, nearest first when the request gives or names a reference point."""
    query = ServicePointQuery.from_params(params).within(caller().carriers)
    return Reply(200, query.find(_mock().points, now=_now()))


def _visible_point(point_id: int) -> dict[str, Any]:
    allowed = caller().carriers
    point = _mock().points.get(point_id, now=_now())
    if point is None or (allowed is not None and point["carrier"] not in allowed):
        raise ApiError.one(404, "not_found", "No service point matches the given query.")
    return point


@bp.get("/api/v2/service-points/<int:id>")
@operation("service_points_retrieve")
def retrieve(params: dict[str, Any], body: None) -> Reply:
    return Reply(200, _visible_point(params["id"]))


@bp.get("/api/v2/service-points/<int:id>/check-availability")
@operation("service_points_check_availability")
def check_availability(params: dict[str, Any], body: None) -> Reply:
    """True while the point is active and opens on some day of the coming week."""
    point = _visible_point(params["id"])
    return Reply(200, bool(_mock().points.available(point["id"])))


@bp.get("/api/v2/carriers")
@operation("service_points_carriers")
def carriers(params: dict[str, Any], body: None) -> Reply:
    """The carrier codes the caller can search service points of."""
    allowed = caller().carriers
    return Reply(200, [c for c in _mock().points.carrier_codes() if allowed is None or c in allowed])
