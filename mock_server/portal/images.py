"""Small real PNG images made on the spot (no network, no imaging library): brand logos and their
thumbnails, carrier logos, and the placeholder behind every image a customer attached to a return.

The pictures are deterministic: the same name and colours always give the same bytes.
"""

from __future__ import annotations

import functools
import struct
import zlib
from collections.abc import Callable

Rgb = tuple[int, int, int]
PixelFn = Callable[[int, int], Rgb]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def parse_color(value: str | None, fallback: Rgb) -> Rgb:
    """'#B5651D' (or 'B5651D', or '#abc') as an RGB triple; anything else gives the fallback."""
    text = (value or "").strip().lstrip("#")
    if len(text) == 3:
        text = "".join(ch * 2 for ch in text)
    try:
        if len(text) != 6:
            raise ValueError(text)
        return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)
    except ValueError:
        return fallback


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def encode_png(width: int, height: int, pixel: PixelFn) -> bytes:
    """An 8-bit RGB PNG whose pixel (x, y) is pixel(x, y)."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter type: none
        for x in range(width):
            rows.extend(pixel(x, y))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(bytes(rows), 9))
            + _chunk(b"IEND", b""))



@functools.lru_cache(maxsize=256)
def banner(width: int, height: int, background: Rgb, accent: Rgb) -> bytes:
    """A logo-like picture: the background colour with an accent band and a square mark on the left."""
    band_top, band_bottom = height * 2 // 3, height * 2 // 3 + max(1, height // 8)
    mark = min(height // 2, width // 4)
    mark_top = (height - mark) // 3

    def pixel(x: int, y: int) -> Rgb:
        if band_top <= y < band_bottom:
            return accent
        if mark_top <= y < mark_top + mark and height // 6 <= x < height // 6 + mark:
            return accent
        return background

    return encode_png(width, height, pixel)


@functools.lru_cache(maxsize=64)
def placeholder(width: int, height: int) -> bytes:
    """A neutral grey picture with a diagonal cross: stands in for an uploaded photo."""
    light, dark = (224, 224, 224), (160, 160, 160)

    def pixel(x: int, y: int) -> Rgb:
        on_diagonal = abs(x * height - y * width) <= max(width, height) or \
            abs((width - 1 - x) * height - y * width) <= max(width, height)
        return dark if on_diagonal else light

    return encode_png(width, height, pixel)
