"""Blueprint: the pictures the portal's answers link to, served by the fake itself (no network).

Brand logos and thumbnails (settings), carrier logos (settings and lookup), and a placeholder
behind each image a customer attached to a portal return (the Return's `images`).
"""

from __future__ import annotations

import re
import zlib
from typing import Any

from flask import Blueprint, current_app

from ..carriers import CARRIERS
from ..errors import ApiError
from ..operations import Reply, operation
from .images import banner, parse_color, placeholder
from .models import PortalBackend, brand_logos

bp = Blueprint("portal_media", __name__, url_prefix="/media")

# Width and height of each brand picture.
BRAND_PICTURES = {"screen_logo": (240, 80), "print_logo": (480, 160), "overlay_logo": (160, 160),
                  "screen_thumb": (96, 32), "print_thumb": (96, 32), "overlay_thumb": (64, 64),
                  "background": (640, 360)}
CARRIER_PICTURES = {"full": (200, 60), "icon": (48, 48)}
RETURN_IMAGE, RETURN_THUMBNAIL = (320, 240), (96, 72)
_RETURN_IMAGE_NAME = re.compile(r"(\d{1,2})(_thumbnail)?\.png")
CACHE = {"Cache-Control": "public, max-age=3600"}


def _portal() -> PortalBackend:
    return current_app.extensions["sendcloud_mock"].portal


def _png(data: bytes) -> Reply:
    return Reply(200, raw=data, mimetype="image/png", headers=dict(CACHE))


def _missing(what: str) -> ApiError:
    return ApiError.one(404, "not_found", f"No such {what}.")


@bp.get("/brands/<brand_domain>/<picture>")
@operation("media_brand_picture")
def brand_picture(params: dict[str, Any], body: None) -> Reply:
    brand = _portal().brand(params["brand_domain"])
    name = params["picture"].removesuffix(".png")
    kind = name.split("_")[0]
    if name == "background":
        if (brand.portal.get("layout") or {}).get("background_image") != "background":
            raise _missing("background image")
    elif kind not in brand_logos(brand):
        raise _missing("logo")
    color = parse_color(brand.portal.get("color"), (40, 40, 40))
    accent = parse_color((brand.portal.get("brand") or {}).get("secondary_color"), (250, 250, 250))
    return _png(banner(*BRAND_PICTURES[name], color, accent))


@bp.get("/carriers/<carrier>/<picture>")
@operation("media_carrier_logo")
def carrier_logo(params: dict[str, Any], body: None) -> Reply:
    code = params["carrier"]
    if code not in CARRIERS:
        raise _missing("carrier")
    seed = zlib.crc32(code.encode())
    color = (seed & 0xFF, (seed >> 8) & 0xFF, (seed >> 16) & 0xFF)
    return _png(banner(*CARRIER_PICTURES[params["picture"].removesuffix(".png")], color, (255, 255, 255)))


@bp.get("/returns/<int:id>/images/<picture>")
@operation("media_return_image")
def return_image(params: dict[str, Any], body: None) -> Reply:
    match = _RETURN_IMAGE_NAME.fullmatch(params["picture"])
    if match is None or not 1 <= int(match.group(1)) <= _portal().attached_images(params["id"]):
        raise _missing("image")
    return _png(placeholder(*(RETURN_THUMBNAIL if match.group(2) else RETURN_IMAGE)))
