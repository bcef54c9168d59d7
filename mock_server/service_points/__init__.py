"""Service points: the index of the fixture's points (`models`), the search a request asks for
(`query`), and the Service points API v2 blueprint (`blueprint`)."""

from .models import (
    DEFAULT_ADDRESS_RADIUS_M,
    EARTH_RADIUS_M,
    GENERAL_SHOP_TYPES,
    LOCKER_MAX_WEIGHT_KG,
    Place,
    ServicePointIndex,
    haversine_m,
    normalise_city,
    normalise_postal_code,
    postal_area,
    shop_distances,
)
from .query import ServicePointQuery

__all__ = [
    "DEFAULT_ADDRESS_RADIUS_M",
    "EARTH_RADIUS_M",
    "GENERAL_SHOP_TYPES",
    "LOCKER_MAX_WEIGHT_KG",
    "Place",
    "ServicePointIndex",
    "ServicePointQuery",
    "haversine_m",
    "normalise_city",
    "normalise_postal_code",
    "postal_area",
    "shop_distances",
]
