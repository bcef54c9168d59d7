"""GET /api/v2/service-points: search with the lookup's service-points token."""

from __future__ import annotations

import math

import pytest

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
    lockers = search(client, token, latitude="52.0907", longitude="5.1214", radius=50000, general_shop_type="locker").json
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
