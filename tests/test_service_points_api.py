"""The Service points API v2 over HTTP: authentication, searches, one point, availability, carriers."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from conftest import DEFAULT_KEY, UPSTREAM, basic
from test_portal import lookup


@pytest.fixture
def token(client) -> str:
    return lookup(client).json["service_points_token"]


def search(client, token: str, **query):
    return client.get("/api/v2/service-points/", query_string={"access_token": token, "country": "NL", **query})


def _distance(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371008.8 * math.asin(math.sqrt(a))


def test_search_around_the_lookups_nearest_point(client) -> None:
    """Around the lookup's nearest point: nearest first, within the radius, distances in metres."""
    found = lookup(client).json
    point = found["service_point"]
    answer = search(client, found["service_points_token"], latitude=point["latitude"], longitude=point["longitude"],
                    radius=3000)
    assert answer.status_code == 200
    points = answer.json
    assert points[0]["id"] == point["id"] and points[0]["distance"] == 0
    distances = [p["distance"] for p in points]
    assert distances == sorted(distances) and all(d <= 3000 for d in distances)
    for p in points:
        expected = _distance(float(point["latitude"]), float(point["longitude"]), float(p["latitude"]),
                             float(p["longitude"]))
        assert abs(p["distance"] - expected) <= 1


def test_carrier_filter_within_enabled_carriers(client, token) -> None:
    """carrier= narrows to those carriers; carriers the portal does not enable never appear."""
    near = {"latitude": "52.0907", "longitude": "5.1214", "radius": 10000}
    only_dhl = search(client, token, carrier="dhl", **near).json
    assert only_dhl and {p["carrier"] for p in only_dhl} == {"dhl"}
    everything = search(client, token, **near).json
    assert {p["carrier"] for p in everything} <= {"postnl", "dhl", "dpd"}
    assert search(client, token, carrier="gls_eu", **near).json == []


def test_general_shop_type_and_bounding_box(client, token) -> None:
    """general_shop_type and a bounding box filter the results."""
    lockers = search(client, token, latitude="52.0907", longitude="5.1214", radius=50000,
                     general_shop_type="locker").json
    assert all(p["general_shop_type"] == "locker" for p in lockers)
    box = search(client, token, ne_latitude=52.12, ne_longitude=5.16, sw_latitude=52.06, sw_longitude=5.08).json
    assert box and all(52.06 <= float(p["latitude"]) <= 52.12 and 5.08 <= float(p["longitude"]) <= 5.16 for p in box)


@pytest.mark.parametrize("query, parameter", [
    ({"latitude": "52.09", "longitude": "5.12", "radius": 99}, "radius"),
    ({"latitude": "52.09", "longitude": "5.12", "radius": 50001}, "radius"),
    ({"latitude": "52.09"}, "longitude"),
    ({"latitude": "north", "longitude": "5.12"}, "latitude"),
    ({"radius": 1000}, "latitude"),
    ({"general_shop_type": "castle", "city": "Utrecht"}, "general_shop_type"),
    ({"country": "Netherlands", "city": "Utrecht"}, "country"),
])
def test_bad_search_parameters_are_400(client, token, query, parameter) -> None:
    """Out-of-range or incomplete search parameters answer 400 naming the parameter."""
    answer = search(client, token, **query)
    assert answer.status_code == 400
    assert parameter in answer.json["error"]["message"]


def test_retrieve_one_point(client, token) -> None:
    """A point of an enabled carrier is retrieved by id; unknown ids are 404."""
    first = search(client, token, city="Utrecht").json[0]
    one = client.get(f"/api/v2/service-points/{first['id']}", query_string={"access_token": token})
    assert one.status_code == 200 and one.json["id"] == first["id"] and one.json["distance"] is None
    assert client.get("/api/v2/service-points/1", query_string={"access_token": token}).status_code == 404


def test_bearer_header_works_too(client, token) -> None:
    """The token may come as a Bearer header instead of access_token."""
    answer = client.get("/api/v2/service-points/", query_string={"country": "NL", "city": "Utrecht"},
                        headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and answer.json


# --- authentication as Sendcloud documents it ------------------------------------------------

FIXTURE_POINTS = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "service_points.json")
                            .read_text(encoding="utf-8"))["service_points"]
STEENWEG_32 = next(p for p in FIXTURE_POINTS if p["street"] == "Steenweg" and p["house_number"] == "32")
UTRECHT = (52.09083, 5.12222)  # the fixture's place


def points_get(client, path: str = "/api/v2/service-points/", *, headers=None, **query):
    return client.get(path, query_string=query, headers=headers or {})


def test_http_basic_with_key_and_secret(client, auth) -> None:
    """HTTP Basic with the account's API key and secret is accepted, as the v2 spec's HTTPBasicAuth says."""
    answer = points_get(client, headers=auth, country="NL", city="Utrecht")
    assert answer.status_code == 200 and answer.json
    assert points_get(client, headers=basic(DEFAULT_KEY, "wrong"), country="NL").status_code == 401


def test_public_api_key_as_access_token(client) -> None:
    """access_token may be the account's public API key; an unknown key is refused with 401."""
    answer = points_get(client, access_token=DEFAULT_KEY, country="NL", city="Utrecht")
    assert answer.status_code == 200 and answer.json
    assert points_get(client, access_token="no_such_public_key", country="NL").status_code == 401
    assert points_get(client, country="NL").status_code == 401


def test_an_account_sees_every_carrier_and_a_portal_token_its_brands(client, auth, token) -> None:
    """An account is not limited to a portal's carriers; the portal token still is."""
    by_account = {p["carrier"] for p in points_get(client, headers=auth, country="NL").json}
    by_portal = {p["carrier"] for p in search(client, token).json}
    assert by_account == {"postnl", "dhl", "dpd", "ups", "gls_eu"}
    assert by_portal == {"postnl", "dhl", "dpd"}


# --- searches ----------------------------------------------------------------------------------


def test_country_alone_lists_every_active_point_of_the_country(client, auth) -> None:
    """country alone answers all active points of that country by id, distance null (no reference point)."""
    found = points_get(client, headers=auth, country="BE").json
    expected = sorted(p["id"] for p in FIXTURE_POINTS if p["country"] == "BE" and p["is_active"])
    assert [p["id"] for p in found] == expected
    assert all(p["distance"] is None for p in found)


def test_country_in_lower_case(client, auth) -> None:
    """country=nl is read as NL."""
    lower = points_get(client, headers=auth, country="nl")
    assert lower.status_code == 200 and lower.json
    assert lower.json == points_get(client, headers=auth, country="NL").json


def test_free_text_address_answers_the_points_near_it(client, auth) -> None:
    """address="Steenweg 32 Utrecht" answers Utrecht's points nearest that address first, with distances."""
    found = points_get(client, headers=auth, country="NL", address="Steenweg 32 Utrecht").json
    assert found[0]["id"] == STEENWEG_32["id"] and found[0]["distance"] == 0
    distances = [p["distance"] for p in found]
    assert all(isinstance(d, int) for d in distances) and distances == sorted(distances)
    assert max(distances) <= 5000 and {p["city"] for p in found} == {"Utrecht"}
    for p in found:
        assert abs(p["distance"] - _distance(float(STEENWEG_32["latitude"]), float(STEENWEG_32["longitude"]),
                                             float(p["latitude"]), float(p["longitude"]))) <= 1
    assert len(found) < len(points_get(client, headers=auth, country="NL").json)


def test_address_radius_and_other_spellings(client, auth) -> None:
    """radius narrows an address search; a postal code or a city in the text places it too; a street
    named in two cities is placed in the city the text names."""
    near = points_get(client, headers=auth, country="NL", address="Steenweg 32, Utrecht", radius=500).json
    assert near and all(p["distance"] <= 500 for p in near)
    by_code = points_get(client, headers=auth, country="NL", address="3511JP").json
    assert by_code[0]["id"] == STEENWEG_32["id"]
    kanaal = points_get(client, headers=auth, country="NL", address="Kanaalstraat 12, 5611 LX Eindhoven").json
    assert kanaal[0]["city"] == "Eindhoven" and kanaal[0]["street"] == "Kanaalstraat" and kanaal[0]["distance"] == 0
    kanaal_utrecht = points_get(client, headers=auth, country="NL", address="kanaalstraat 15 utrecht").json
    assert kanaal_utrecht[0]["city"] == "Utrecht" and kanaal_utrecht[0]["street"] == "Kanaalstraat"
    by_city = points_get(client, headers=auth, country="NL", address="Oudegracht 158, Utrecht").json
    assert by_city and all(p["city"] == "Utrecht" for p in by_city)
    assert all(isinstance(p["distance"], int) for p in by_city)


def test_an_address_the_fake_cannot_place_answers_no_points(client, auth) -> None:
    """An address naming nothing the fake knows answers [] rather than the whole country."""
    assert points_get(client, headers=auth, country="NL", address="Nergensweg 1 Atlantis").json == []


def test_postal_code_and_city_are_reference_points(client, auth) -> None:
    """postal_code answers its postal area's points and city its city's, each with numeric distances."""
    by_code = points_get(client, headers=auth, country="NL", postal_code="3511 jp").json
    assert by_code and all(p["postal_code"].startswith("3511") for p in by_code)
    assert by_code[0]["id"] == STEENWEG_32["id"] and by_code[0]["distance"] == 0
    by_city = points_get(client, headers=auth, country="NL", city="Utrecht").json
    assert by_city and all(p["city"] == "Utrecht" for p in by_city)
    for p in by_city:
        assert abs(p["distance"] - _distance(*UTRECHT, float(p["latitude"]), float(p["longitude"]))) <= 1
    assert [p["distance"] for p in by_city] == sorted(p["distance"] for p in by_city)


def test_house_number_places_the_destination_within_its_postal_code(client, auth) -> None:
    """postal_code with house_number measures from that address, not only the postal code."""
    lange = [p for p in FIXTURE_POINTS if p["street"] == "Lange Elisabethstraat"]
    assert len(lange) == 2 and lange[0]["postal_code"] == lange[1]["postal_code"]
    for point in lange:
        found = points_get(client, headers=auth, country="NL", postal_code=point["postal_code"],
                           house_number=point["house_number"]).json
        assert found[0]["id"] == point["id"] and found[0]["distance"] == 0


def test_coordinates_give_distances_and_no_reference_point_gives_null(client, auth) -> None:
    """latitude/longitude make distance a number; a bounding box alone leaves it null."""
    near = points_get(client, headers=auth, country="NL", latitude="52.0907", longitude="5.1214").json
    assert near and all(isinstance(p["distance"], int) for p in near)
    box = points_get(client, headers=auth, country="NL", ne_latitude=52.12, ne_longitude=5.16,
                     sw_latitude=52.06, sw_longitude=5.08).json
    assert box and all(p["distance"] is None for p in box)


def test_pudo_id_finds_the_dpd_pickup_point(client, auth) -> None:
    """DPD points show their pudo_id in extra_data, and pudo_id= finds exactly that point."""
    dpd = points_get(client, headers=auth, country="NL", carrier="dpd").json
    assert dpd and all(len(p["extra_data"]["pudo_id"]) == 7 for p in dpd)
    assert len({p["extra_data"]["pudo_id"] for p in dpd}) == len(dpd)
    wanted = dpd[3]
    found = points_get(client, headers=auth, country="NL", pudo_id=wanted["extra_data"]["pudo_id"].lower()).json
    assert [p["id"] for p in found] == [wanted["id"]]
    assert points_get(client, headers=auth, country="NL", pudo_id="NL00000").json == []
    assert points_get(client, headers=auth, country="NL", pudo_id="NL123456").status_code == 400


def test_weight_and_shop_types(client, auth) -> None:
    """weight above 20 kg leaves lockers out; shop_type and general_shop_type filter."""
    light = points_get(client, headers=auth, country="DE", weight="5").json
    heavy = points_get(client, headers=auth, country="DE", weight="25.5").json
    assert any(p["general_shop_type"] == "locker" for p in light)
    assert heavy and not any(p["general_shop_type"] == "locker" for p in heavy)
    assert {p["id"] for p in heavy} < {p["id"] for p in light}
    stations = points_get(client, headers=auth, country="DE", shop_type="packStation").json
    assert stations and {p["shop_type"] for p in stations} == {"packStation"}
    offices = points_get(client, headers=auth, country="DE", general_shop_type="post_office,carrier_depot").json
    assert offices and {p["general_shop_type"] for p in offices} <= {"post_office", "carrier_depot"}


# --- one point, its availability, the carriers ---------------------------------------------------


def test_retrieve_with_basic_and_public_key(client, auth) -> None:
    """GET /api/v2/service-points/{id} works with Basic and with the public key."""
    point = STEENWEG_32["id"]
    assert client.get(f"/api/v2/service-points/{point}", headers=auth).json["id"] == point
    assert client.get(f"/api/v2/service-points/{point}/", query_string={"access_token": DEFAULT_KEY}).status_code == 200


def test_check_availability_is_a_boolean(client, auth, token) -> None:
    """check-availability answers true for an active point open this week, false for an inactive one, 404 for none."""
    active = STEENWEG_32["id"]
    inactive = next(p["id"] for p in FIXTURE_POINTS if not p["is_active"])
    yes = client.get(f"/api/v2/service-points/{active}/check-availability", headers=auth)
    assert yes.status_code == 200 and yes.json is True and yes.get_data() == b"true"
    no = client.get(f"/api/v2/service-points/{inactive}/check-availability/", headers=auth)
    assert no.status_code == 200 and no.json is False
    missing = client.get("/api/v2/service-points/1/check-availability", headers=auth)
    assert missing.status_code == 404
    assert client.get(f"/api/v2/service-points/{active}/check-availability").status_code == 401
    by_token = client.get(f"/api/v2/service-points/{active}/check-availability", query_string={"access_token": token})
    assert by_token.json is True


def test_carriers_lists_the_carrier_codes(client, auth, token) -> None:
    """GET /api/v2/carriers: every carrier with points for an account, the portal's for its token."""
    everything = client.get("/api/v2/carriers", headers=auth)
    assert everything.status_code == 200
    assert everything.json == sorted({p["carrier"] for p in FIXTURE_POINTS if p["is_active"]})
    assert client.get("/api/v2/carriers/", query_string={"access_token": DEFAULT_KEY}).json == everything.json
    assert client.get("/api/v2/carriers", query_string={"access_token": token}).json == ["dhl", "dpd", "postnl"]
    assert client.get("/api/v2/carriers").status_code == 401


# --- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "query", "with_auth", "status"), [
    ("/api/v2/service-points/", {"country": "NL", "latitude": "52.09"}, True, 400),
    ("/api/v2/service-points/", {"city": "Utrecht"}, True, 400),
    ("/api/v2/service-points/", {"country": "NL"}, False, 401),
    ("/api/v2/service-points/1", {}, True, 404),
    ("/api/v2/service-points/1/check-availability", {}, True, 404),
    ("/api/v2/carriers", {"access_token": "expired.or.forged"}, False, 401),
])
def test_errors_carry_the_http_status_as_an_integer_code(client, auth, path, query, with_auth, status) -> None:
    """Errors follow the service points spec: {"error": {"code": <int status>, "request", "message"}}."""
    answer = client.get(path, query_string=query, headers=auth if with_auth else {})
    assert answer.status_code == status
    error = answer.json["error"]
    assert error["code"] == status and type(error["code"]) is int
    assert error["request"] == path.lstrip("/") and isinstance(error["message"], str) and error["message"]
    upstream = json.loads((UPSTREAM / "sendcloud-v2-openapi-merged.json").read_text(encoding="utf-8"))
    code_schema = upstream["components"]["responses"]["404"]["content"]["application/json"]["schema"]
    assert code_schema["properties"]["error"]["properties"]["code"]["type"] == "integer"


def test_a_missing_country_is_named(client, auth) -> None:
    """country is required: the 400 names it."""
    answer = client.get("/api/v2/service-points/", headers=auth)
    assert answer.status_code == 400 and answer.json["error"]["message"].startswith("country")


def test_a_radius_with_a_city_the_fake_cannot_place_is_no_500(client, auth) -> None:
    """A radius beside a city the fake cannot place answers the city filter (200), never a server error."""
    response = client.get("/api/v2/service-points", query_string={"country": "NL", "city": "Nowhereville",
                                                                  "radius": 1000}, headers=auth)
    assert response.status_code == 200, response.json
    assert response.json == []


def test_opening_days_follow_the_callers_account_clock(client, auth, other_auth, token) -> None:
    """`open_tomorrow` is read on the caller's own clock (Basic or a portal token), so a parallel
    test that advances its account sees its own tomorrow and nobody else's changes."""
    def open_tomorrow(**how) -> dict[int, bool]:
        answer = client.get("/api/v2/service-points/", query_string={"country": "NL", **how.get("query", {})},
                            headers=how.get("headers", {}))
        assert answer.status_code == 200, answer.json
        return {point["id"]: point["open_tomorrow"] for point in answer.json}

    mine, theirs, portal = open_tomorrow(headers=auth), open_tomorrow(headers=other_auth), \
        open_tomorrow(query={"access_token": token})
    advanced = {}
    for _ in range(1, 7):
        moved = client.post("/__admin/clock/advance", json={"seconds": 86400, "account": DEFAULT_KEY})
        assert moved.status_code == 200, moved.json
        advanced = open_tomorrow(headers=auth)
        if advanced != mine:
            break
    assert advanced != mine, "no point changes open_tomorrow over a week: the test proves nothing"
    fresh = lookup(client).json["service_points_token"]  # the first one expired on the account's clock
    after = open_tomorrow(query={"access_token": fresh})  # the brand's carriers only: a subset
    assert after != portal and all(advanced[point] == is_open for point, is_open in after.items())
    assert open_tomorrow(headers=other_auth) == theirs
