"""Secrets out of logs: tokens and credentials become a short hash that tells two of them apart.

Never their leading characters: every JWT starts alike (`eyJhbGciOi...`), and a key's prefix
is half of it. The hash is of the whole value, so the same token shows the same mark in every
journal entry and access-log line, and two different tokens different marks.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import unquote_plus

# Body members whose values are secrets (the portal's tokens, an account's secret).
SECRET_MEMBERS = ("access_token", "service_points_token", "api_secret", "token", "password", "client_secret",
                  "refresh_token", "secret")
# Query parameters that carry tokens (the portal's URL tokens, the service points access token).
SECRET_PARAMETERS = frozenset({"token", "access_token", "api_secret", "client_secret", "password"})
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})

_MEMBER = re.compile(r'"(' + "|".join(SECRET_MEMBERS) + r')"(\s*:\s*)"((?:[^"\\]|\\.)*)"')
# A token inside a URL in a body (the poller_url and label URLs carry ?token=...).
_URL_TOKEN = re.compile(r"([?&](?:token|access_token)=)([^&\"\s\\#]+)")
# A secret in a form-encoded body (an OAuth2 token request sends `client_secret=...`).
_FORM_SECRET = re.compile(r"((?:^|&)(?:" + "|".join(sorted(SECRET_PARAMETERS)) + r")=)([^&\s]+)", re.IGNORECASE)
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
# Every pattern above needs one of these (lower-cased) words: a text without any is left as it is,
# without running the patterns (most bodies, such as a return, hold no secret at all).
_CLUES = ("token", "secret", "password", "eyj")


def mark(secret: str) -> str:
    """The stand-in for a secret: `[redacted sha256:<12 hex>]`."""
    return "[redacted sha256:" + hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()[:12] + "]"


def header_value(name: str, value: str) -> str:
    if name.lower() not in SECRET_HEADERS:
        return _JWT.sub(lambda m: mark(m.group(0)), value) if "eyJ" in value else value
    scheme, sep, credentials = value.partition(" ")
    if sep and scheme.lower() in ("basic", "bearer", "token", "digest"):
        return f"{scheme} {mark(credentials.strip())}"
    return mark(value)


def headers(items: list[tuple[str, str]]) -> dict[str, str]:
    """Request headers as a dict, credentials replaced by their marks."""
    return {name: header_value(name, value) for name, value in items}


def query(text: str) -> str:
    """A raw query string with token values replaced by their marks (other pairs untouched)."""
    if not text or "=" not in text:
        return text
    parts = []
    for pair in text.split("&"):
        name, sep, value = pair.partition("=")
        if sep and value and unquote_plus(name).lower() in SECRET_PARAMETERS:
            parts.append(f"{name}={mark(unquote_plus(value))}")
        else:
            parts.append(pair)
    return "&".join(parts)


def body(text: str) -> str:
    """A JSON (or form, or plain) body with secret members, URL tokens and bare JWTs replaced."""
    if not text:
        return text
    lowered = text.lower()
    if not any(clue in lowered for clue in _CLUES):
        return text
    # Each pass runs only where its own words appear (each is a scan of the whole text).
    if any(f'"{name}"' in text for name in SECRET_MEMBERS):
        text = _MEMBER.sub(lambda m: f'"{m.group(1)}"{m.group(2)}"{mark(m.group(3))}"', text)
    if "=" in text:
        lowered = text.lower()
        if any(f"{name}=" in lowered for name in SECRET_PARAMETERS):
            text = _FORM_SECRET.sub(lambda m: m.group(1) + mark(unquote_plus(m.group(2))), text)
        if "token=" in text:
            text = _URL_TOKEN.sub(lambda m: m.group(1) + mark(m.group(2)), text)
    if "eyJ" in text:
        text = _JWT.sub(lambda m: mark(m.group(0)), text)
    return text
