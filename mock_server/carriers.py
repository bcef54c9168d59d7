"""Real Sendcloud carrier codes and deterministic, realistically formatted tracking numbers."""

from __future__ import annotations

import datetime
import functools
import re
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from urllib.parse import urlencode

__all__ = [
    "CARRIERS",
    "Carrier",
    "carrier_for_shipping_code",
    "gs1_check_digit",
    "s10_check_digit",
    "tracking_number",
    "tracking_url",
    "ups_check_digit",
]

TRACKING_BASE_URL = "https://tracking.eu-central-1-0.sendcloud.sc/forward"


@dataclass(frozen=True)
class Carrier:
    code: str
    name: str
    labelless: bool
    # Full-match regex describing the carrier's real-world tracking number format.
    tracking_pattern: str

    def matches(self, tracking_number: str) -> bool:
        """Whether ``tracking_number`` has this carrier's format."""
        return re.fullmatch(self.tracking_pattern, tracking_number) is not None


# Labelless (QR code) returns: the carriers with a QR "print at the counter" return flow
# in Sendcloud's return portal (PostNL, DHL Parcel NL, DHL Paket DE, Hermes DE, UPS).
# DPD, GLS, Colissimo, bpost, Mondial Relay and Chronopost need a printed label here.
_CARRIER_LIST = (
    Carrier("postnl", "PostNL", True, r"3S[A-Z]{4}\d{7,9}"),
    Carrier("dhl", "DHL Parcel", True, r"JVGL\d{16}"),
    Carrier("dpd", "DPD", False, r"\d{14}"),
    Carrier("ups", "UPS", True, r"1Z[0-9A-Z]{6}\d{10}"),
    Carrier("gls_eu", "GLS", False, r"\d{11,12}"),
    Carrier("colissimo", "Colissimo", False, r"[0-9A-Z]{2}\d{11}"),
    Carrier("bpost", "bpost", False, r"32\d{22}|CD\d{9}BE"),
    Carrier("hermes_de", "Hermes DE", True, r"H\d{19}|\d{14}|\d{16}"),
    Carrier("dhl_de", "DHL Paket", True, r"\d{12}|\d{20}"),
    Carrier("mondial_relay", "Mondial Relay", False, r"\d{8}"),
    Carrier("chronopost", "Chronopost", False, r"[A-Z]{2}\d{9}FR"),
    Carrier("sendcloud", "Sendcloud", False, r"3SSEND\d{9}"),
)

CARRIERS: Mapping[str, Carrier] = MappingProxyType({c.code: c for c in _CARRIER_LIST})


# --- check digits -------------------------------------------------------------------


def ups_check_digit(body: str) -> str:
    """UPS mod-10 check digit for the 15 characters after ``1Z`` (letters count as (ord-63) % 10)."""
    total = 0
    for i, ch in enumerate(body.upper()):
        value = int(ch) if ch.isdigit() else (ord(ch) - 63) % 10
        total += value * (2 if i % 2 else 1)
    return str((10 - total % 10) % 10)


def s10_check_digit(serial: str) -> str:
    """UPU S10 check digit for an 8-digit serial (weights 8,6,4,2,3,5,9,7, mod 11)."""
    if len(serial) != 8 or not serial.isdigit():
        raise ValueError(f"S10 serial must be 8 digits, got {serial!r}")
    check = 11 - sum(int(d) * w for d, w in zip(serial, (8, 6, 4, 2, 3, 5, 9, 7), strict=True)) % 11
    return {10: "0", 11: "5"}.get(check, str(check))


def gs1_check_digit(digits: str) -> str:
    """GS1 mod-10 check digit (EAN/GTIN/SSCC): weights 3,1,3,... from the rightmost digit."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str((10 - total % 10) % 10)


# --- tracking numbers -----------------------------------------------------------------


_MULTIPLIER = 6_364_136_223_846_793_007  # odd and not a multiple of 5: coprime to 10**n


def _scramble(carrier_code: str, serial: int, width: int) -> str:
    """Map ``serial`` to a ``width``-digit string, bijectively on 0..10**width-1.

    Sequential serials would give numbers like ...00000001, which look fake; an affine map
    with a multiplier coprime to 10 spreads them out while staying one-to-one.
    """
    modulus = 10**width
    if not 0 <= serial < modulus:
        raise ValueError(f"serial {serial} out of range for {carrier_code} (0..{modulus - 1})")
    offset = zlib.crc32(carrier_code.encode())  # stable across processes, unlike hash()
    return str((serial * _MULTIPLIER + offset) % modulus).zfill(width)


def _ups(serial: int) -> str:
    body = "A4R975" + "90" + _scramble("ups", serial, 7)  # shipper account + service code
    return "1Z" + body + ups_check_digit(body)


def _dhl_de(serial: int) -> str:
    # 20-digit DHL Paket numbers are "00" + an SSCC under DHL's GS1 prefix 340434.
    sscc = "340434" + _scramble("dhl_de", serial, 11)
    return "00" + sscc + gs1_check_digit(sscc)


def _chronopost(serial: int) -> str:
    digits = _scramble("chronopost", serial, 8)
    return "XW" + digits + s10_check_digit(digits) + "FR"


_GENERATORS: Mapping[str, Callable[[int], str]] = MappingProxyType(
    {
        "postnl": lambda s: "3SSCRT" + _scramble("postnl", s, 8),
        "dhl": lambda s: "JVGL" + "0580" + _scramble("dhl", s, 12),
        "dpd": lambda s: "05" + _scramble("dpd", s, 12),
        "ups": _ups,
        "gls_eu": lambda s: "6" + _scramble("gls_eu", s, 10),
        "colissimo": lambda s: "8R" + _scramble("colissimo", s, 11),  # 8R: Colissimo Retour
        "bpost": lambda s: "32" + "3299" + _scramble("bpost", s, 18),
        "hermes_de": lambda s: "H" + "1003" + _scramble("hermes_de", s, 15),
        "dhl_de": _dhl_de,
        "mondial_relay": lambda s: _scramble("mondial_relay", s, 8),
        "chronopost": _chronopost,
        "sendcloud": lambda s: "3SSEND" + _scramble("sendcloud", s, 9),
    }
)


def _carrier(carrier_code: str) -> Carrier:
    try:
        return CARRIERS[carrier_code]
    except KeyError:
        raise ValueError(f"unknown carrier code {carrier_code!r}") from None


def tracking_number(carrier_code: str, serial: int) -> str:
    """Deterministic tracking number in the carrier's real format, unique per ``serial``.

    Raises ValueError for an unknown carrier or a serial outside the carrier's number range.
    """
    _carrier(carrier_code)
    return _GENERATORS[carrier_code](serial)


@functools.lru_cache(maxsize=4096)
def tracking_url(
    carrier_code: str,
    tracking_number: str,
    *,
    postal_code: str,
    destination_country: str,
    source_country: str,
    created: datetime.date,
) -> str:
    """Public tracking page URL in the shape Sendcloud returns for a parcel."""
    _carrier(carrier_code)
    query = urlencode(
        [
            ("carrier", carrier_code),
            ("code", tracking_number),
            ("destination", destination_country.upper()),
            ("lang", "en-gb"),
            ("source", source_country.upper()),
            ("type", "parcel"),
            ("verification", postal_code),
            ("servicepoint_verification", ""),
            ("created_at", created.strftime("%Y-%m-%d")),
        ]
    )
    return f"{TRACKING_BASE_URL}?{query}"


def carrier_for_shipping_code(code: str) -> str:
    """Carrier part of a shipping option code like ``postnl:standard/return``, else "sendcloud"."""
    carrier = code.strip().lower().partition(":")[0]
    return carrier if carrier in CARRIERS else "sendcloud"
