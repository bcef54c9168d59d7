"""Keeps credentials out of everything the kit prints or writes (console, JUnit, reports)."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable

MASK = "[REDACTED]"
# Authorization header values as they appear in curl commands, reprs and messages.
_AUTH_HEADER = re.compile(r"\b(Basic|Bearer)(\s+|%20|\+)[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE)
# Anything shaped like a JWT (the portal's tokens, which grant access for an hour).
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")


class Redactor:
    """Replaces the API key, the secret, their Basic encodings and bearer tokens with a mask."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._secrets: list[str] = []
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        """Mask this value (and its base64 forms) from now on; short values are ignored."""
        if not secret or len(secret) < 4:
            return
        forms = {secret, base64.b64encode(secret.encode()).decode().rstrip("=")}
        self._secrets.extend(sorted(forms - set(self._secrets), key=len, reverse=True))

    def add_pair(self, key: str | None, secret: str | None) -> None:
        """Mask a key/secret pair and the Basic credential built from it."""
        self.add(key)
        self.add(secret)
        if key and secret:
            self.add(f"{key}:{secret}")

    def __call__(self, text: object) -> str:
        out = str(text)
        out = _AUTH_HEADER.sub(lambda m: f"{m.group(1)} {MASK}", out)
        out = _JWT.sub(MASK, out)
        for secret in sorted(self._secrets, key=len, reverse=True):
            out = out.replace(secret, MASK)
        return out
