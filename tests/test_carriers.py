"""Tests for mock_server.carriers: carrier table, tracking number formats and URLs."""

from __future__ import annotations

import datetime
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mock_server.carriers import (
    CARRIERS,
    carrier_for_shipping_code,
    gs1_check_digit,
    s10_check_digit,
    tracking_number,
    tracking_url,
    ups_check_digit,
)

# Formats written out independently of Carrier.tracking_pattern, from the carriers' specs.
FORMATS = {
    "postnl": r"3S[A-Z]{4}\d{7,9}",
    "dhl": r"JVGL\d{16}",
    "dpd": r"\d{14}",
    "ups": r"1Z[0-9A-Z]{6}\d{2}\d{8}",
    "gls_eu": r"\d{11,12}",
    "colissimo": r"[0-9A-Z]{2}\d{11}",
    "bpost": r"32\d{22}|CD\d{9}BE",
    "hermes_de": r"H\d{19}|\d{14}|\d{16}",
    "dhl_de": r"\d{12}|\d{20}",
    "mondial_relay": r"\d{8}",
    "chronopost": r"[A-Z]{2}\d{9}FR",
    "sendcloud": r"3SSEND\d+",
}


def test_carrier_table_is_complete_and_immutable() -> None:
    """CARRIERS holds exactly the expected codes, keyed by their own code, and rejects writes."""
    assert set(CARRIERS) == set(FORMATS)
    assert all(code == carrier.code for code, carrier in CARRIERS.items())
    assert CARRIERS["gls_eu"].name == "GLS"
    with pytest.raises(TypeError):
        CARRIERS["new"] = CARRIERS["dpd"]  # type: ignore[index]


def test_labelless_carriers() -> None:
    """Exactly the carriers with QR-code returns are flagged labelless."""
    labelless = {code for code, carrier in CARRIERS.items() if carrier.labelless}
    assert labelless == {"postnl", "dhl", "dhl_de", "hermes_de", "ups"}


@pytest.mark.parametrize("code", sorted(FORMATS))
def test_format_uniqueness_and_determinism(code: str) -> None:
    """Serials 1..2000 give distinct numbers in the carrier's format, the same on every call."""
    numbers = [tracking_number(code, serial) for serial in range(1, 2001)]
    assert len(set(numbers)) == len(numbers)
    for number in numbers:
        assert re.fullmatch(FORMATS[code], number), number
        assert CARRIERS[code].matches(number), number
    assert numbers == [tracking_number(code, serial) for serial in range(1, 2001)]


@given(
    code=st.sampled_from(sorted(FORMATS)),
    serials=st.lists(st.integers(min_value=0, max_value=9_999_999), min_size=2, max_size=20, unique=True),
)
def test_random_serials_unique_and_well_formed(code: str, serials: list[int]) -> None:
    """Any set of distinct serials maps to distinct, well-formed numbers."""
    numbers = [tracking_number(code, serial) for serial in serials]
    assert len(set(numbers)) == len(serials)
    assert all(re.fullmatch(FORMATS[code], n) for n in numbers)


def test_ups_check_digit_published_sample() -> None:
    """The UPS algorithm accepts UPS's published sample 1Z999AA10123456784 and rejects a typo."""
    assert ups_check_digit("999AA1012345678") == "4"
    assert ups_check_digit("999AA1012345679") != "4"


@pytest.mark.parametrize("serial", [0, 1, 42, 1234, 9_999_999])
def test_ups_numbers_carry_valid_check_digit(serial: int) -> None:
    """Generated UPS numbers end in the check digit of their other 15 characters."""
    number = tracking_number("ups", serial)
    assert number[-1] == ups_check_digit(number[2:-1])


def test_s10_check_digit_known_examples() -> None:
    """S10 check digits match the UPU examples AA473124829GB and RR123456785GB, incl. 10→0 and 11→5."""
    assert s10_check_digit("47312482") == "9"
    assert s10_check_digit("12345678") == "5"
    assert s10_check_digit("00000000") == "5"  # sum 0 -> 11 -> 5
    assert s10_check_digit("10100000") == "0"  # 8 + 4 = 12, 12 % 11 = 1 -> 10 -> 0
    with pytest.raises(ValueError):
        s10_check_digit("1234567")


@pytest.mark.parametrize("serial", [0, 7, 2024])
def test_chronopost_numbers_are_valid_s10(serial: int) -> None:
    """Chronopost numbers are S10 identifiers whose 9th digit checks the first eight."""
    number = tracking_number("chronopost", serial)
    assert number[10] == s10_check_digit(number[2:10])


def test_gs1_check_digit_and_dhl_de_sscc() -> None:
    """GS1 check digit matches a real EAN-13, and DHL DE numbers are 00 + a valid SSCC."""
    assert gs1_check_digit("400638133393") == "1"  # EAN 4006381333931
    number = tracking_number("dhl_de", 5)
    assert number.startswith("00")
    assert number[-1] == gs1_check_digit(number[2:-1])


@pytest.mark.parametrize("bad", ["fedex", "", "POSTNL", "gls"])
def test_unknown_carrier_raises(bad: str) -> None:
    """Unknown carrier codes raise ValueError from tracking_number and tracking_url."""
    with pytest.raises(ValueError):
        tracking_number(bad, 1)
    with pytest.raises(ValueError):
        tracking_url(bad, "X", postal_code="1", destination_country="NL", source_country="NL",
                     created=datetime.date(2024, 1, 1))


@pytest.mark.parametrize("serial", [-1, 10**8])
def test_out_of_range_serial_raises(serial: int) -> None:
    """Serials outside a carrier's number range raise ValueError instead of colliding."""
    with pytest.raises(ValueError):
        tracking_number("mondial_relay", serial)


def test_tracking_url_shape() -> None:
    """tracking_url has Sendcloud's host, parameter order and a +-encoded postal code."""
    url = tracking_url("postnl", "3SSCRT12345678", postal_code="1015 CW", destination_country="nl",
                       source_country="DE", created=datetime.date(2024, 5, 7))
    assert url == (
        "https://tracking.eu-central-1-0.sendcloud.sc/forward?carrier=postnl&code=3SSCRT12345678"
        "&destination=NL&lang=en-gb&source=DE&type=parcel&verification=1015+CW"
        "&servicepoint_verification=&created_at=2024-05-07"
    )


def test_tracking_url_encodes_special_characters() -> None:
    """Postal codes with reserved characters are percent-encoded and round-trip."""
    url = tracking_url("ups", "1Z999AA10123456784", postal_code="SW1A 1AA&x=1", destination_country="GB",
                       source_country="GB", created=datetime.date(2024, 1, 31))
    assert "verification=SW1A+1AA%26x%3D1&" in url
    assert parse_qs(urlsplit(url).query)["verification"] == ["SW1A 1AA&x=1"]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("postnl:standard/return", "postnl"),
        ("dpd:return/return", "dpd"),
        ("dhl:parcel/return", "dhl"),
        ("dhl_de:paket/return", "dhl_de"),
        ("gls_eu:return", "gls_eu"),
        ("fedex:ground/return", "sendcloud"),
        ("unknown", "sendcloud"),
        ("", "sendcloud"),
        ("sendcloud:letter", "sendcloud"),
    ],
)
def test_carrier_for_shipping_code(code: str, expected: str) -> None:
    """The carrier prefix of a shipping option code is returned when known, else sendcloud."""
    assert carrier_for_shipping_code(code) == expected
