"""Service points: a read-only index over fixtures/service_points.json, loaded once at start.

Pure domain, no Flask: the search behind ``GET /api/v2/service-points``, one point by id,
the nearest point for the return portal's parcel lookup, and rough geocoding of a
customer's postal code or city through the fixture's table of places.

Points come out in Sendcloud's v2 shape (schemas/service-points/service-point.json). Whether
a point accepts labelless (QR code) returns is not a v2 field; it is kept internally and
shown as ``extra_data["labelless"]``, extra_data being free-form.
"""

from __future__ import annotations

import copy
import json
import math
import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from .carriers import CARRIERS

__all__ = [
    "EARTH_RADIUS_M",
    "GENERAL_SHOP_TYPES",
    "LOCKER_MAX_WEIGHT_KG",
    "Place",
    "ServicePointIndex",
    "haversine_m",
    "normalise_city",
    "normalise_postal_code",
    "shop_distances",
]

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)
LOCKER_MAX_WEIGHT_KG = 20.0
GENERAL_SHOP_TYPES = ("servicepoint", "locker", "post_office", "carrier_depot")

# The v2 fields stored in the fixture, in the order the API writes them; open_tomorrow,
# open_upcoming_week and distance are computed per request.
_STORED_FIELDS = (
    "id", "code", "is_active", "shop_type", "general_shop_type", "extra_data", "name", "street",
    "house_number", "postal_code", "city", "latitude", "longitude", "email", "phone", "homepage",
    "carrier", "country", "formatted_opening_times",
)
_DAYS = tuple(str(day) for day in range(7))  # "0" is Monday, as datetime.weekday()


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two points given in degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def normalise_postal_code(code: str) -> str:
    """Postal code without whitespace, upper case: "3511 az" -> "3511AZ"."""
    return re.sub(r"\s+", "", code).upper()


def normalise_city(name: str) -> str:
    """City name for comparing: no accents, case-folded, hyphens as spaces ("Liège" == "liege")."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    return " ".join(plain.casefold().replace("-", " ").split())


def _house_number_key(value: str) -> str:
    return re.sub(r"\s+", "", value).casefold()


def shop_distances(
    latitude: float, longitude: float, shops: Iterable[tuple[int, float, float]]
) -> list[dict[str, int]]:
    """``[{"id", "distance"}]`` in whole metres from the point to each (id, lat, lon), nearest first."""
    found = [{"id": shop_id, "distance": round(haversine_m(latitude, longitude, lat, lon))}
             for shop_id, lat, lon in shops]
    return sorted(found, key=lambda item: (item["distance"], item["id"]))


@dataclass(frozen=True)
class Place:
    """A city the fake can geocode: its centre, names and postal codes."""

    country: str
    city: str
    latitude: float
    longitude: float
    aliases: tuple[str, ...]
    postal_codes: tuple[str, ...]
    postal_code_prefixes: tuple[str, ...]


@dataclass(frozen=True)
class _Point:
    id: int
    latitude: float
    longitude: float
    is_active: bool
    labelless: bool
    carrier: str
    country: str
    general_shop_type: str | None
    shop_type_key: str | None
    postal_code_key: str
    city_key: str
    house_number_key: str
    hours: tuple[tuple[str, ...], ...]  # Monday..Sunday
    stored: Mapping[str, Any]  # private; copied on the way out

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> _Point:
        stored = {name: raw[name] for name in _STORED_FIELDS}
        shop_type = raw["shop_type"]
        return cls(
            id=int(raw["id"]),
            latitude=float(raw["latitude"]),
            longitude=float(raw["longitude"]),
            is_active=bool(raw["is_active"]),
            labelless=bool(raw.get("labelless", False)),
            carrier=raw["carrier"],
            country=raw["country"].upper(),
            general_shop_type=raw.get("general_shop_type"),
            shop_type_key=shop_type.lower() if shop_type is not None else None,
            postal_code_key=normalise_postal_code(raw["postal_code"]),
            city_key=normalise_city(raw["city"]),
            house_number_key=_house_number_key(raw["house_number"]),
            hours=tuple(tuple(raw["formatted_opening_times"][day]) for day in _DAYS),
            stored=stored,
        )

    def view(self, now: datetime, distance: int | None) -> dict[str, Any]:
        """The v2 service point as of ``now``."""
        out = copy.deepcopy(dict(self.stored))
        out["extra_data"] = {**out["extra_data"], "labelless": self.labelless}
        out["open_tomorrow"] = bool(self.hours[(now.weekday() + 1) % 7])
        # The next seven days cover every weekday once.
        out["open_upcoming_week"] = any(self.hours)
        out["distance"] = distance
        return out


def _in_bbox(point: _Point, bbox: tuple[float, float, float, float]) -> bool:
    ne_lat, ne_lon, sw_lat, sw_lon = bbox
    if not sw_lat <= point.latitude <= ne_lat:
        return False
    if sw_lon <= ne_lon:
        return sw_lon <= point.longitude <= ne_lon
    return point.longitude >= sw_lon or point.longitude <= ne_lon  # box across the antimeridian


def _keys(values: Collection[str] | None) -> frozenset[str] | None:
    return None if values is None else frozenset(v.strip().lower() for v in values)


class ServicePointIndex:
    """All service points and places of the fake; immutable once built."""

    def __init__(self, points: Iterable[Mapping[str, Any]], places: Iterable[Mapping[str, Any]]) -> None:
        parsed = tuple(sorted((_Point.parse(raw) for raw in points), key=lambda p: p.id))
        self._points = parsed
        self._by_id = {p.id: p for p in parsed}
        if len(self._by_id) != len(parsed):
            raise ValueError("service point ids are not unique")
        unknown = sorted({p.carrier for p in parsed} - set(CARRIERS))
        if unknown:
            raise ValueError(f"service points of unknown carriers: {unknown}")
        self._places = tuple(
            Place(
                country=raw["country"].upper(), city=raw["city"],
                latitude=float(raw["latitude"]), longitude=float(raw["longitude"]),
                aliases=tuple(raw.get("aliases", ())), postal_codes=tuple(raw.get("postal_codes", ())),
                postal_code_prefixes=tuple(raw.get("postal_code_prefixes", ())),
            )
            for raw in places
        )
        # First place wins on a clash, so the fixture's order decides.
        self._by_postal_code: dict[tuple[str, str], Place] = {}
        self._by_city: dict[tuple[str, str], Place] = {}
        prefixes: list[tuple[str, str, Place]] = []
        for place in self._places:
            for code in place.postal_codes:
                self._by_postal_code.setdefault((place.country, normalise_postal_code(code)), place)
            for name in (place.city, *place.aliases):
                self._by_city.setdefault((place.country, normalise_city(name)), place)
            prefixes.extend((place.country, normalise_postal_code(p), place) for p in place.postal_code_prefixes)
        # Longest prefix first, so "506" (Köln) beats a shorter one.
        self._prefixes = tuple(sorted(prefixes, key=lambda item: -len(item[1])))

    @classmethod
    def load(cls, path: Path) -> ServicePointIndex:
        """Read the fixture file: ``{"service_points": [...], "places": [...]}``."""
        with Path(path).open(encoding="utf-8") as handle:
            document = json.load(handle)
        return cls(document["service_points"], document.get("places", []))

    @property
    def places(self) -> tuple[Place, ...]:
        return self._places

    def search(
        self,
        *,
        latitude: float | None,
        longitude: float | None,
        radius: int | None,
        country: str | None = None,
        carriers: Collection[str] | None = None,
        bbox: tuple[float, float, float, float] | None = None,
        postal_code: str | None = None,
        city: str | None = None,
        house_number: str | None = None,
        shop_types: Collection[str] | None = None,
        general_shop_types: Collection[str] | None = None,
        labelless_only: bool = False,
        weight: float | None = None,
        now: datetime,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Active points matching every given filter, nearest first (ties by id).

        ``bbox`` is (ne_latitude, ne_longitude, sw_latitude, sw_longitude). ``radius`` (metres)
        needs a reference point; without one, ``distance`` is null and points come by id.
        An empty collection filter matches nothing; None means no filter.
        """
        if (latitude is None) != (longitude is None):
            raise ValueError("latitude and longitude go together")
        if radius is not None and latitude is None:
            raise ValueError("a radius needs latitude and longitude")
        if limit is not None and limit < 0:
            raise ValueError("limit must not be negative")
        country_key = country.strip().upper() if country is not None else None
        carrier_keys, shop_type_keys = _keys(carriers), _keys(shop_types)
        general_keys = _keys(general_shop_types)
        postal_key = normalise_postal_code(postal_code) if postal_code is not None else None
        city_keys = self._city_keys(country_key, city) if city is not None else None
        house_key = _house_number_key(house_number) if house_number is not None else None
        too_heavy_for_lockers = weight is not None and weight > LOCKER_MAX_WEIGHT_KG

        found: list[tuple[int | None, _Point]] = []
        for point in self._points:
            if not point.is_active:
                continue
            if country_key is not None and point.country != country_key:
                continue
            if carrier_keys is not None and point.carrier not in carrier_keys:
                continue
            if shop_type_keys is not None and point.shop_type_key not in shop_type_keys:
                continue
            if general_keys is not None and point.general_shop_type not in general_keys:
                continue
            if labelless_only and not point.labelless:
                continue
            if too_heavy_for_lockers and point.general_shop_type == "locker":
                continue
            if postal_key is not None and point.postal_code_key != postal_key:
                continue
            if city_keys is not None and point.city_key not in city_keys:
                continue
            if house_key is not None and point.house_number_key != house_key:
                continue
            if bbox is not None and not _in_bbox(point, bbox):
                continue
            distance = None
            if latitude is not None and longitude is not None:
                # Whole metres, and the radius is checked on the same number the client sees.
                distance = round(haversine_m(latitude, longitude, point.latitude, point.longitude))
                if radius is not None and distance > radius:
                    continue
            found.append((distance, point))
        found.sort(key=lambda item: (item[0] if item[0] is not None else 0, item[1].id))
        if limit is not None:
            found = found[:limit]
        return [point.view(now, distance) for distance, point in found]

    def get(self, point_id: int, *, now: datetime) -> dict[str, Any] | None:
        """One point by id, inactive ones included (is_active tells), distance null."""
        point = self._by_id.get(point_id)
        return point.view(now, None) if point is not None else None

    def nearest(
        self,
        latitude: float,
        longitude: float,
        *,
        carriers: Collection[str] | None,
        labelless: bool = False,
        now: datetime,
        country: str | None = None,
    ) -> dict[str, Any] | None:
        """The closest active point of these carriers (labelless-capable if asked), at any distance."""
        found = self.search(latitude=latitude, longitude=longitude, radius=None, country=country,
                            carriers=carriers, labelless_only=labelless, now=now, limit=1)
        return found[0] if found else None

    def locate(self, country: str, postal_code: str | None, city: str | None) -> tuple[float, float] | None:
        """(latitude, longitude) of a customer's place: by exact postal code, then by the
        postal code's prefix, then by city name; None when nothing matches."""
        country_key = country.strip().upper()
        place = None
        if postal_code:
            code = normalise_postal_code(postal_code)
            place = self._by_postal_code.get((country_key, code))
            if place is None:
                place = next((p for c, prefix, p in self._prefixes
                              if c == country_key and code.startswith(prefix)), None)
        if place is None and city:
            place = self._by_city.get((country_key, normalise_city(city)))
        return (place.latitude, place.longitude) if place is not None else None

    def _city_keys(self, country: str | None, city: str) -> frozenset[str]:
        """The asked name plus, for a known place, its canonical name ("Brussel" finds "Bruxelles")."""
        key = normalise_city(city)
        names = {key}
        for place in self._places:
            if country is not None and place.country != country:
                continue
            if key in {normalise_city(n) for n in (place.city, *place.aliases)}:
                names.add(normalise_city(place.city))
        return frozenset(names)
