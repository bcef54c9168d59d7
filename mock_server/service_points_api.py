"""Blueprint: the Service points API v2 (/api/v2/service-points, /api/v2/carriers).

Authenticated as Sendcloud documents it: HTTP Basic with the account's API key and secret,
an OAuth2 Bearer token, ``access_token`` = the account's public API key, or the return
portal's service-points JWT (``access_token`` or a Bearer header). An account sees every
carrier of the fixtures; a portal token only the carriers its brand's portal enables.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from flask import Blueprint, current_app, g, request

from .errors import ApiError, Problem
from .guards import account_from_header, bearer_token
from .operations import Reply, operation
from .service_points import DEFAULT_ADDRESS_RADIUS_M, GENERAL_SHOP_TYPES, postal_area

bp = Blueprint("service_points", __name__)
_BOX = ("ne_latitude", "ne_longitude", "sw_latitude", "sw_longitude")


def _mock() -> Any:
    return current_app.extensions["sendcloud_mock"]


def authenticate(**path_args: Any) -> None:
    """Guard: valid credentials of any documented kind, before the query is looked at.

    Sets g.account (key and secret, OAuth2 token or public key) or g.claims (portal JWT).
    """
    mock = _mock()
    g.account, g.claims = None, None
    header = request.headers.get("Authorization", "")
    access_token = request.args.get("access_token")
    if header[:6].lower() == "basic ":
        g.account = account_from_header()
        return
    if access_token:
        # The public API key is the account's API key (its secret stays on the server side).
        g.account = mock.accounts.by_key(access_token) or mock.oauth.account_for(access_token)
        if g.account is None:
            g.claims = mock.tokens.verify(access_token, purpose="service_points", brand=None,
                                          where={"parameter": "access_token"})
        return
    token = bearer_token()
    if token is not None:
        g.account = mock.oauth.account_for(token)
        if g.account is None:
            g.claims = mock.tokens.verify(token, purpose="service_points", brand=None,
                                          where={"header": "Authorization"})
        return
    mock.tokens.verify(None, purpose="service_points", brand=None, where={"header": "Authorization"})


def _allowed_carriers() -> list[str] | None:
    """The carriers the caller may see: the portal token's brand's ones, or all (None)."""
    if g.claims is None:
        return None
    try:
        return _mock().portal.brand(g.claims.brand).carriers
    except ApiError:
        return None


def _list(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [part.strip().lower() for part in value.split(",") if part.strip()]


def _now() -> datetime:
    """Now on the caller's clock: the account's own (an account-scoped advance moves its opening days)."""
    account = g.account
    if account is None and g.claims is not None:
        try:
            account = _mock().portal.brand(g.claims.brand).account
        except ApiError:
            account = None
    return datetime.fromtimestamp(_mock().clock.now(account), tz=timezone.utc)


def _check_search(params: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    latitude, longitude = params.get("latitude"), params.get("longitude")
    if (latitude is None) != (longitude is None):
        missing = "longitude" if longitude is None else "latitude"
        problems.append(Problem("required", "latitude and longitude go together.", parameter=missing))
    box = [params.get(name) for name in _BOX]
    if any(v is not None for v in box) and any(v is None for v in box):
        problems.extend(Problem("required", "A bounding box needs all four corners.", parameter=name)
                        for name, v in zip(_BOX, box) if v is None)
    for value in _list(params.get("general_shop_type")) or []:
        if value not in GENERAL_SHOP_TYPES:
            problems.append(Problem("invalid_choice", f'"{value[:40]}" is not a valid general shop type.',
                                    parameter="general_shop_type"))
            break
    has_place = any(params.get(name) for name in ("address", "postal_code", "city"))
    if params.get("radius") is not None and latitude is None and not has_place:
        problems.append(Problem("required", "A radius needs latitude and longitude, or an address.",
                                parameter="latitude"))
    return problems


@bp.get("/api/v2/service-points")
@operation("service_points_search", guard=authenticate)
def search(params: dict[str, Any], body: None) -> Reply:
    """Points of the country, nearest first when the request gives or names a reference point."""
    problems = _check_search(params)
    if problems:
        raise ApiError(400, problems)
    mock = _mock()
    country = params["country"].upper()
    carriers = _list(params.get("carrier"))
    allowed = _allowed_carriers()
    if allowed is not None:
        carriers = [c for c in (carriers if carriers is not None else allowed) if c in allowed]
    latitude, longitude, radius = params.get("latitude"), params.get("longitude"), params.get("radius")
    address, postal_code, city = params.get("address"), params.get("postal_code"), params.get("city")
    city_filter = None
    if latitude is None and (address or postal_code or city):
        where = mock.points.place_destination(country, address=address, postal_code=postal_code, city=city,
                                              house_number=params.get("house_number"))
        if where is None and (address or postal_code):
            return Reply(200, [])  # production finds nothing around an address it cannot place
        if where is not None:
            latitude, longitude = where
            if address and radius is None:
                radius = DEFAULT_ADDRESS_RADIUS_M
        if city and not address and not postal_code:
            city_filter = city  # a city search answers the city's points
    if latitude is None:
        radius = None  # a city the fake cannot place gives no centre for a radius
    box = [params.get(name) for name in _BOX]
    points = mock.points.search(
        latitude=latitude, longitude=longitude, radius=radius, country=country, carriers=carriers,
        bbox=tuple(box) if box[0] is not None else None,  # type: ignore[arg-type]
        postal_code_area=postal_area(country, postal_code) if postal_code and not address else None,
        city=city_filter, pudo_id=params.get("pudo_id"),
        shop_types=_list(params.get("shop_type")), general_shop_types=_list(params.get("general_shop_type")),
        weight=params.get("weight"), now=_now(),
    )
    return Reply(200, points)


def _visible_point(point_id: int) -> dict[str, Any]:
    allowed = _allowed_carriers()
    point = _mock().points.get(point_id, now=_now())
    if point is None or (allowed is not None and point["carrier"] not in allowed):
        raise ApiError.one(404, "not_found", "No service point matches the given query.")
    return point


@bp.get("/api/v2/service-points/<int:id>")
@operation("service_points_retrieve", guard=authenticate)
def retrieve(params: dict[str, Any], body: None) -> Reply:
    return Reply(200, _visible_point(params["id"]))


@bp.get("/api/v2/service-points/<int:id>/check-availability")
@operation("service_points_check_availability", guard=authenticate)
def check_availability(params: dict[str, Any], body: None) -> Reply:
    """True while the point is active and opens on some day of the coming week."""
    point = _visible_point(params["id"])
    return Reply(200, bool(_mock().points.available(point["id"])))


@bp.get("/api/v2/carriers")
@operation("service_points_carriers", guard=authenticate)
def carriers(params: dict[str, Any], body: None) -> Reply:
    """The carrier codes the caller can search service points of."""
    codes = _mock().points.carrier_codes()
    allowed = _allowed_carriers()
    return Reply(200, [c for c in codes if allowed is None or c in allowed])
