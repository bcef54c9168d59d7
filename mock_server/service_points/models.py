"""Service points: a read-only index over fixtures/service_points.json, loaded once at start.

Pure domain, no Flask: the search behind ``GET /api/v2/service-points``, one point by id,
its availability, the carriers that have points, the nearest point for the return portal's
parcel lookup, and rough geocoding of a customer's postal code, city or free-text address
through the fixture's own data (its table of places and the points' streets and codes).

Points come out in Sendcloud's v2 shape (schemas/service-points/service-point.json). Whether
a point accepts labelless (QR code) returns is not a v2 field; it is kept internally and
shown as ``extra_data["labelless"]``, extra_data being free-form. DPD points also show their
DPD Pickup id (``extra_data["pudo_id"]``, as a ``pudo_id`` search takes it), derived from the id.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..carriers import CARRIERS

__all__ = [
    "DEFAULT_ADDRESS_RADIUS_M",
    "EARTH_RADIUS_M",
    "GENERAL_SHOP_TYPES",
    "LOCKER_MAX_WEIGHT_KG",
    "Place",
    "ServicePointIndex",
    "haversine_m",
    "normalise_city",
    "normalise_postal_code",
    "postal_area",
    "shop_distances",
]

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)
LOCKER_MAX_WEIGHT_KG = 20.0
# nearest() choices remembered (each a place, a carrier set and the point chosen).
NEAREST_KEPT = 1024
# How far around a searched address (or postal code) points are answered when no radius is given.
DEFAULT_ADDRESS_RADIUS_M = 5_000
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


def postal_area(country: str, postal_code: str) -> str:
    """The postal code area a code lies in: the four digits of a Dutch code ("3511 AZ" -> "3511"),
    the whole code elsewhere (Belgian, German and French codes name areas already)."""
    code = normalise_postal_code(postal_code)
    if country.strip().upper() == "NL":
        match = re.match(r"\d{4}", code)
        return match.group(0) if match else code
    return code


def _text_key(text: str) -> str:
    """Free text for matching names inside it: normalised as cities are, punctuation as spaces."""
    return normalise_city(re.sub(r"[,.;:/()]", " ", text))


def _number_key(text: str) -> str:
    """A house number for comparing: letters and digits only ("15-17" == "15 17", "12 A" == "12a")."""
    return re.sub(r"[^0-9a-z]", "", text.casefold())


def _pudo_id(carrier: str, country: str, point_id: int) -> str | None:
    """DPD's own id of a Pickup point ("NL10004"): country and five digits, seven characters."""
    return f"{country}{10000 + point_id % 90000:05d}" if carrier == "dpd" else None


# A postal code written inside a free-text address: four or five digits, a Dutch code's two letters.
_POSTAL_IN_TEXT = re.compile(r"(?<![\w-])(\d{4,5})(?:\s?([a-z]{2}))?(?![\w-])")


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
    street_key: str
    pudo_id: str | None
    hours: tuple[tuple[str, ...], ...]  # Monday..Sunday
    stored: Mapping[str, Any]  # private; copied on the way out

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> _Point:
        stored = {name: raw[name] for name in _STORED_FIELDS}
        shop_type = raw["shop_type"]
        country = raw["country"].upper()
        return cls(
            id=int(raw["id"]),
            latitude=float(raw["latitude"]),
            longitude=float(raw["longitude"]),
            is_active=bool(raw["is_active"]),
            labelless=bool(raw.get("labelless", False)),
            carrier=raw["carrier"],
            country=country,
            general_shop_type=raw.get("general_shop_type"),
            shop_type_key=shop_type.lower() if shop_type is not None else None,
            postal_code_key=normalise_postal_code(raw["postal_code"]),
            city_key=normalise_city(raw["city"]),
            house_number_key=_house_number_key(raw["house_number"]),
            street_key=_text_key(raw["street"]),
            pudo_id=_pudo_id(raw["carrier"], country, int(raw["id"])),
            hours=tuple(tuple(raw["formatted_opening_times"][day]) for day in _DAYS),
            stored=stored,
        )

    def open_in_upcoming_week(self) -> bool:
        # The next seven days cover every weekday once.
        return any(self.hours)

    def view(self, now: datetime, distance: int | None) -> dict[str, Any]:
        """The v2 service point as of ``now``."""
        out = _copied(dict(self.stored))
        out["extra_data"] = {**out["extra_data"], "labelless": self.labelless}
        if self.pudo_id is not None:
            out["extra_data"]["pudo_id"] = self.pudo_id
        out["open_tomorrow"] = bool(self.hours[(now.weekday() + 1) % 7])
        out["open_upcoming_week"] = self.open_in_upcoming_week()
        out["distance"] = distance
        return out


def _copied(value: Any) -> Any:
    """A deep copy of fixture data (dicts, lists, tuples and plain values): copy.deepcopy's
    result without its memo and dispatch, which cost more than the copying on every lookup."""
    if isinstance(value, dict):
        return {key: _copied(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copied(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_copied(item) for item in value)
    return value


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
        # nearest()'s choices by place and carriers (a memo of the immutable index, not state).
        self._nearest: dict[tuple[Any, ...], list[tuple[int | None, _Point]]] = {}
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
        postal_code_area: str | None = None,
        city: str | None = None,
        house_number: str | None = None,
        pudo_id: str | None = None,
        shop_types: Collection[str] | None = None,
        general_shop_types: Collection[str] | None = None,
        labelless_only: bool = False,
        weight: float | None = None,
        now: datetime,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Active points matching every given filter, nearest first (ties by id): see _select."""
        found = self._select(latitude=latitude, longitude=longitude, radius=radius, country=country, carriers=carriers,
                             bbox=bbox, postal_code=postal_code, postal_code_area=postal_code_area, city=city,
                             house_number=house_number, pudo_id=pudo_id, shop_types=shop_types,
                             general_shop_types=general_shop_types, labelless_only=labelless_only, weight=weight,
                             limit=limit)
        return [point.view(now, distance) for distance, point in found]

    def _select(
        self,
        *,
        latitude: float | None,
        longitude: float | None,
        radius: int | None,
        country: str | None = None,
        carriers: Collection[str] | None = None,
        bbox: tuple[float, float, float, float] | None = None,
        postal_code: str | None = None,
        postal_code_area: str | None = None,
        city: str | None = None,
        house_number: str | None = None,
        pudo_id: str | None = None,
        shop_types: Collection[str] | None = None,
        general_shop_types: Collection[str] | None = None,
        labelless_only: bool = False,
        weight: float | None = None,
        limit: int | None = None,
    ) -> list[tuple[int | None, _Point]]:
        """Active points matching every given filter, nearest first (ties by id), with their distances.

        ``bbox`` is (ne_latitude, ne_longitude, sw_latitude, sw_longitude). ``radius`` (metres)
        needs a reference point; without one, ``distance`` is null and points come by id.
        ``postal_code`` matches the whole code, ``postal_code_area`` the code's area (see
        ``postal_area``); ``pudo_id`` matches DPD's Pickup id.
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
        pudo_key = pudo_id.strip().upper() if pudo_id is not None else None
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
            if pudo_key is not None and point.pudo_id != pudo_key:
                continue
            if postal_code_area is not None and postal_area(point.country, point.postal_code_key) != postal_code_area:
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
        return found

    def get(self, point_id: int, *, now: datetime) -> dict[str, Any] | None:
        """One point by id, inactive ones included (is_active tells), distance null."""
        point = self._by_id.get(point_id)
        return point.view(now, None) if point is not None else None

    def available(self, point_id: int) -> bool | None:
        """Whether a point takes parcels now: active and open on some day of the coming week.
        None for an unknown id."""
        point = self._by_id.get(point_id)
        if point is None:
            return None
        return point.is_active and point.open_in_upcoming_week()

    def carrier_codes(self, country: str | None = None) -> list[str]:
        """The carriers with active points (in a country), sorted."""
        key = country.strip().upper() if country else None
        return sorted({p.carrier for p in self._points if p.is_active and (key is None or p.country == key)})

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
        """The closest active point of these carriers (labelless-capable if asked), at any distance.

        Which point that is never changes (the index is immutable), and the portal asks it for the
        same few places again and again: the choice is remembered, only its view is made anew."""
        key = (latitude, longitude, None if carriers is None else frozenset(carriers), labelless, country)
        found = self._nearest.get(key)
        if found is None:
            found = self._select(latitude=latitude, longitude=longitude, radius=None, country=country,
                                 carriers=carriers, labelless_only=labelless, limit=1)
            if len(self._nearest) >= NEAREST_KEPT:
                self._nearest.clear()
            self._nearest[key] = found
        return found[0][1].view(now, found[0][0]) if found else None

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

    def place_destination(
        self, country: str, *, address: str | None = None, postal_code: str | None = None,
        city: str | None = None, house_number: str | None = None,
    ) -> tuple[float, float] | None:
        """Where a destination address lies, as precisely as the fixture data allows, or None.

        A free-text ``address`` wins when it can be placed (see ``geocode``); then a point at the
        exact postal code and house number; then the points sharing the postal code; then the
        postal code's place; then the city's centre.
        """
        if address and address.strip():
            found = self.geocode(country, address)
            if found is not None:
                return found
        country_key = country.strip().upper()
        if postal_code and postal_code.strip():
            code = normalise_postal_code(postal_code)
            same_code = [p for p in self._points if p.country == country_key and p.postal_code_key == code]
            if house_number:
                house = _house_number_key(house_number)
                exact = [p for p in same_code if p.house_number_key == house]
                if exact:
                    return _centre(exact)
            if same_code:
                return _centre(same_code)
        return self.locate(country_key, postal_code, city)

    def geocode(self, country: str, text: str) -> tuple[float, float] | None:
        """Place a free-text address ("Steenweg 32 Utrecht", "3511 JP", "Kanaalstraat 12, 5611 LX
        Eindhoven") in a country, using only the fixture: a street of its points (in the city or
        postal area the text names, when it names one), else a postal code, else a city. None
        when nothing in the text is known."""
        country_key = country.strip().upper()
        plain = f" {_text_key(text)} "
        city_place = self._city_in_text(country_key, plain)
        postal = None
        for match in _POSTAL_IN_TEXT.finditer(plain):
            digits, letters = match.group(1), match.group(2) or ""
            candidate = normalise_postal_code(digits + letters)
            if self.locate(country_key, candidate, None) is not None or any(
                    p.country == country_key and p.postal_code_key.startswith(candidate) for p in self._points):
                postal = candidate
                break
        street = self._street_in_text(country_key, plain, city_place, postal)
        if street is not None:
            return street
        if postal is not None:
            same_code = [p for p in self._points if p.country == country_key and p.postal_code_key == postal]
            if same_code:
                return _centre(same_code)
            located = self.locate(country_key, postal, None)
            if located is not None:
                return located
        if city_place is not None:
            return city_place.latitude, city_place.longitude
        return None

    def _city_in_text(self, country: str, plain: str) -> Place | None:
        """The place whose name (or other name) appears as whole words in the text; the longest name wins."""
        best: tuple[int, Place] | None = None
        for place in self._places:
            if place.country != country:
                continue
            for name in (place.city, *place.aliases):
                key = _text_key(name)
                if key and f" {key} " in plain and (best is None or len(key) > best[0]):
                    best = (len(key), place)
        return best[1] if best else None

    def _street_in_text(self, country: str, plain: str, city: Place | None, postal: str | None
                        ) -> tuple[float, float] | None:
        """The location of a street of the fixture's points named in the text: the point at the
        named house number, else the middle of the street's points. A named city or postal area
        decides between same-named streets, and excludes streets elsewhere."""
        city_keys = {normalise_city(n) for n in (city.city, *city.aliases)} if city is not None else None
        area = postal_area(country, postal) if postal is not None else None
        best: list[_Point] = []
        best_len = 0
        for point in self._points:
            if point.country != country or not point.street_key:
                continue
            if f" {point.street_key} " not in plain:
                continue
            if city_keys is not None and point.city_key not in city_keys:
                continue
            if city_keys is None and area is not None and postal_area(country, point.postal_code_key) != area:
                continue
            if len(point.street_key) > best_len:
                best, best_len = [point], len(point.street_key)
            elif len(point.street_key) == best_len and point.street_key == best[0].street_key:
                best.append(point)
        if not best:
            return None
        # Same-named streets in several cities and nothing to choose: the first city's (by point id).
        best = [p for p in best if p.city_key == best[0].city_key]
        street = best[0].street_key
        before, _, after_text = plain.partition(f" {street} ")
        after, before_words = after_text.split(), before.split()
        numbers = {_number_key(word) for word in (after[:1] + before_words[-1:])}
        if len(after) >= 2:
            numbers.add(_number_key(after[0] + after[1]))
        numbers.discard("")
        at_number = [p for p in best if _number_key(p.house_number_key) in numbers]
        return _centre(at_number or best)

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


def _centre(points: Collection[_Point]) -> tuple[float, float]:
    """The mean position of a few nearby points (plain averaging is exact enough within a city)."""
    return (round(sum(p.latitude for p in points) / len(points), 6),
            round(sum(p.longitude for p in points) / len(points), 6))
