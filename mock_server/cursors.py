"""Sendcloud's cursor encoding: base64 of URL-encoded `o` (offset), `r` (reverse) and `p` (position).

`r=1&p=300` encodes to `cj0xJnA9MzAw`. Our position is the id of the pivot return, so
pages are keyset pages: they neither repeat nor skip while returns are being created.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

MAX_OFFSET = 1000
MAX_POSITION = 2**63 - 1
_DIGITS = re.compile(r"\d{1,19}")


class CursorError(ValueError):
    """The cursor is not one this server could have issued."""


@dataclass(frozen=True)
class Cursor:
    offset: int = 0
    reverse: bool = False
    position: int | None = None

    def encode(self) -> str:
        params: list[tuple[str, str]] = []
        if self.offset:
            params.append(("o", str(self.offset)))
        if self.reverse:
            params.append(("r", "1"))
        if self.position is not None:
            params.append(("p", str(self.position)))
        return base64.b64encode(urlencode(params).encode("ascii")).decode("ascii")


def decode(text: str) -> Cursor:
    """Parse a cursor; anything malformed raises CursorError (a 400, never a 500)."""
    try:
        padded = text + "=" * (-len(text) % 4)
        decoded = base64.b64decode(padded.encode("ascii"), validate=True).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise CursorError("Invalid cursor") from exc
    try:
        pairs = parse_qsl(decoded, keep_blank_values=True, strict_parsing=bool(decoded))
    except ValueError as exc:
        raise CursorError("Invalid cursor") from exc
    seen: dict[str, str] = {}
    for key, value in pairs:
        if key not in ("o", "r", "p") or key in seen:
            raise CursorError("Invalid cursor")
        seen[key] = value
    offset = _number(seen.get("o", "0"), MAX_OFFSET)
    reverse = seen.get("r", "0")
    if reverse not in ("0", "1"):
        raise CursorError("Invalid cursor")
    position = _number(seen["p"], MAX_POSITION) if "p" in seen else None
    return Cursor(offset=offset, reverse=reverse == "1", position=position)


def _number(value: str, limit: int) -> int:
    if not _DIGITS.fullmatch(value) or int(value) > limit:
        raise CursorError("Invalid cursor")
    return int(value)
