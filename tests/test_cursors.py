"""Units for Sendcloud's cursor encoding."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mock_server.cursors import Cursor, CursorError, decode


def test_matches_sendcloud_documented_example() -> None:
    """`r=1&p=300` is `cj0xJnA9MzAw`, as Sendcloud's docs show, both ways."""
    assert Cursor(reverse=True, position=300).encode() == "cj0xJnA9MzAw"
    assert decode("cj0xJnA9MzAw") == Cursor(offset=0, reverse=True, position=300)


@given(st.integers(0, 1000), st.booleans(), st.one_of(st.none(), st.integers(0, 2**63 - 1)))
def test_round_trip(offset: int, reverse: bool, position: int | None) -> None:
    """Every cursor the server can issue decodes back to itself."""
    cursor = Cursor(offset, reverse, position)
    assert decode(cursor.encode()) == cursor


@pytest.mark.parametrize("forged", [
    "", "!!!", "not base64 at all", base64.b64encode(b"p=abc").decode(), base64.b64encode(b"x=1").decode(),
    base64.b64encode(b"r=2&p=1").decode(), base64.b64encode(b"p=1&p=2").decode(),
    base64.b64encode(b"o=-1").decode(), base64.b64encode(b"p=" + b"9" * 40).decode(),
    base64.b64encode("p=١٢".encode()).decode(), base64.b64encode(b"\xff\xfe").decode(), "cD0x\x00",
])
def test_forged_cursors_are_refused(forged: str) -> None:
    """Garbled or forged cursors raise CursorError, never anything else."""
    if forged == "":
        assert decode(forged) == Cursor()
        return
    with pytest.raises(CursorError):
        decode(forged)


@given(st.text(max_size=80))
def test_any_text_either_decodes_or_is_refused(text: str) -> None:
    """No input makes the decoder crash with an unexpected exception."""
    try:
        decode(text)
    except CursorError:
        pass
