"""A service point search as a request asks for it: read from the query, checked, then answered.

`ServicePointQuery.from_params` takes the query as the schema validated it and refuses the
combinations no schema can express (400 naming each parameter); `find` resolves what the
client named (an address, a postal code, a city) to a place and asks the index.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..errors import ApiError, Problem
from .models import DEFAULT_ADDRESS_RADIUS_M, GENERAL_SHOP_TYPES, ServicePointIndex, postal_area

BOX = ("ne_latitude", "ne_longitude", "sw_latitude", "sw_longitude")


def _list(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [part.strip().lower() for part in value.split(",") if part.strip()]


def _corners(given: list[float]) -> tuple[float, float, float, float] | None:
    return (given[0], given[1], given[2], given[3]) if len(given) == 4 else None


@dataclass(frozen=True)
class ServicePointQuery:
    country: str
    carriers: list[str] | None = None
    latitude: float | None = None
    longitude: float | None = None
    radius: int | None = None
    address: str | None = None
    postal_code: str | None = None
    city: str | None = None
    house_number: str | None = None
    # (ne_latitude, ne_longitude, sw_latitude, sw_longitude)
    box: tuple[float, float, float, float] | None = None
    pudo_id: str | None = None
    shop_types: list[str] | None = None
    general_shop_types: list[str] | None = None
    weight: float | None = None

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> ServicePointQuery:
        """The search of a validated query; raises a 400 naming each parameter that does not fit."""
        problems: list[Problem] = []
        latitude, longitude = params.get("latitude"), params.get("longitude")
        if (latitude is None) != (longitude is None):
            missing = "longitude" if longitude is None else "latitude"
            problems.append(Problem("required", "latitude and longitude go together.", parameter=missing))
        box = [params.get(name) for name in BOX]
        if any(v is not None for v in box) and any(v is None for v in box):
            problems.extend(Problem("required", "A bounding box needs all four corners.", parameter=name)
                            for name, v in zip(BOX, box, strict=True) if v is None)
        general = _list(params.get("general_shop_type"))
        for value in general or []:
            if value not in GENERAL_SHOP_TYPES:
                problems.append(Problem("invalid_choice", f'"{value[:40]}" is not a valid general shop type.',
                                        parameter="general_shop_type"))
                break
        has_place = any(params.get(name) for name in ("address", "postal_code", "city"))
        if params.get("radius") is not None and latitude is None and not has_place:
            problems.append(Problem("required", "A radius needs latitude and longitude, or an address.",
                                    parameter="latitude"))
        if problems:
            raise ApiError(400, problems)
        return cls(
            country=params["country"].upper(), carriers=_list(params.get("carrier")),
            latitude=latitude, longitude=longitude, radius=params.get("radius"),
            address=params.get("address"), postal_code=params.get("postal_code"), city=params.get("city"),
            house_number=params.get("house_number"),
            box=_corners([params[name] for name in BOX if params.get(name) is not None]),
            pudo_id=params.get("pudo_id"), shop_types=_list(params.get("shop_type")), general_shop_types=general,
            weight=params.get("weight"),
        )

    def within(self, allowed: list[str] | None) -> ServicePointQuery:
        """The search narrowed to the carriers a caller may see (None: all of them)."""
        if allowed is None:
            return self
        return dataclasses.replace(self, carriers=[c for c in (self.carriers if self.carriers is not None else allowed)
                                                   if c in allowed])

    def find(self, index: ServicePointIndex, *, now: datetime) -> list[dict[str, Any]]:
        """Points of the country, nearest first when the query gives or names a reference point."""
        latitude, longitude, radius = self.latitude, self.longitude, self.radius
        address, postal_code, city = self.address, self.postal_code, self.city
        city_filter = None
        if latitude is None and (address or postal_code or city):
            where = index.place_destination(self.country, address=address, postal_code=postal_code, city=city,
                                            house_number=self.house_number)
            if where is None and (address or postal_code):
                return []  # production finds nothing around an address it cannot place
            if where is not None:
                latitude, longitude = where
                if address and radius is None:
                    radius = DEFAULT_ADDRESS_RADIUS_M
            if city and not address and not postal_code:
                city_filter = city  # a city search answers the city's points
        if latitude is None:
            radius = None  # a city the fake cannot place gives no centre for a radius
        return index.search(
            latitude=latitude, longitude=longitude, radius=radius, country=self.country, carriers=self.carriers,
            bbox=self.box,
            postal_code_area=postal_area(self.country, postal_code) if postal_code and not address else None,
            city=city_filter, pudo_id=self.pudo_id, shop_types=self.shop_types,
            general_shop_types=self.general_shop_types, weight=self.weight, now=now,
        )
