"""Blueprint: service point search (/api/v2/service-points), authorised by the lookup's service-points token."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from flask import Blueprint, current_app, g, request

from ..errors import ApiError, Problem
from ..operations import Reply, operation
from .blueprint import bearer

bp = Blueprint("service_points", __name__, url_prefix="/api/v2/service-points")
GENERAL_SHOP_TYPES = ("servicepoint", "locker", "post_office", "carrier_depot")


def _service_points_token(**path_args: Any) -> None:
    """Guard: a valid service-points token, before the query is looked at."""
    mock = current_app.extensions["sendcloud_mock"]
    token = request.args.get("access_token") or bearer()
    where = {"parameter": "access_token"} if request.args.get("access_token") else {"header": "Authorization"}
    g.claims = mock.tokens.verify(token, purpose="service_points", brand=None, where=where)


def _allowed_carriers() -> list[str] | None:
    """The carriers the token's brand's portal enables (None: no restriction)."""
    mock = current_app.extensions["sendcloud_mock"]
    claims = g.claims
    try:
        return mock.portal.brand(claims.brand).carriers
    except ApiError:
        return None


def _list(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [part.strip().lower() for part in value.split(",") if part.strip()]


@bp.get("/")
@bp.get("")
@operation("service_points_search", guard=_service_points_token)
def search(params: dict[str, Any], body: None) -> Reply:
    mock = current_app.extensions["sendcloud_mock"]
    allowed = _allowed_carriers()
    problems: list[Problem] = []
    latitude, longitude = params.get("latitude"), params.get("longitude")
    if (latitude is None) != (longitude is None):
        missing = "longitude" if longitude is None else "latitude"
        problems.append(Problem("required", "latitude and longitude go together.", parameter=missing))
    if params.get("radius") is not None and latitude is None:
        problems.append(Problem("required", "A radius needs latitude and longitude.", parameter="latitude"))
    box_names = ("ne_latitude", "ne_longitude", "sw_latitude", "sw_longitude")
    box = [params.get(name) for name in box_names]
    if any(v is not None for v in box) and any(v is None for v in box):
        problems.extend(Problem("required", "A bounding box needs all four corners.", parameter=name)
                        for name, v in zip(box_names, box) if v is None)
    general = _list(params.get("general_shop_type"))
    for value in general or []:
        if value not in GENERAL_SHOP_TYPES:
            problems.append(Problem("invalid_choice", f'"{value[:40]}" is not a valid general shop type.',
                                    parameter="general_shop_type"))
            break
    if latitude is None and all(v is None for v in box) and not params.get("postal_code") and not params.get("city"):
        problems.append(Problem("required", "Give latitude and longitude, a bounding box, a postal_code or a city.",
                                parameter="latitude"))
    if problems:
        raise ApiError(400, problems)
    carriers = _list(params.get("carrier"))
    if allowed is not None:
        carriers = [c for c in (carriers if carriers is not None else allowed) if c in allowed]
    points = mock.points.search(
        latitude=latitude, longitude=longitude, radius=params.get("radius"), country=params["country"],
        carriers=carriers, bbox=tuple(box) if box[0] is not None else None,  # type: ignore[arg-type]
        postal_code=params.get("postal_code"), city=params.get("city"), house_number=params.get("house_number"),
        shop_types=_list(params.get("shop_type")), general_shop_types=general, weight=params.get("weight"),
        now=datetime.fromtimestamp(mock.clock.now(), tz=timezone.utc),
    )
    return Reply(200, points)


@bp.get("/<int:id>")
@bp.get("/<int:id>/")
@operation("service_points_retrieve", guard=_service_points_token)
def retrieve(params: dict[str, Any], body: None) -> Reply:
    mock = current_app.extensions["sendcloud_mock"]
    allowed = _allowed_carriers()
    point = mock.points.get(params["id"], now=datetime.fromtimestamp(mock.clock.now(), tz=timezone.utc))
    if point is None or (allowed is not None and point["carrier"] not in allowed):
        raise ApiError.one(404, "not_found", "No service point matches the given query.")
    return Reply(200, point)
