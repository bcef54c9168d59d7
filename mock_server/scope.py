"""Which account a request belongs to, found cheaply before (or without) authenticating it.

Fault rules and the journal are scoped to accounts, and a fault applies before credentials
are checked (a rate limit answers 429 before a 401 would), so the account is named from what
the request carries: the Basic user name (the API key), the brand in a return portal path, or
the brand a portal token names (its signature is checked later, by the endpoint itself).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from flask import Request

from .store import Store

PORTAL_PREFIX = "/api/v2/brand/"


def request_account(store: Store, request: Request) -> tuple[str, int] | None:
    """(API key, account id) of the account this request names, if any names one."""
    header = request.headers.get("Authorization", "")
    scheme, _, credentials = header.partition(" ")
    scheme = scheme.lower()
    if scheme == "basic":
        return _by_key(store, _basic_user(credentials.strip()))
    if request.path.startswith(PORTAL_PREFIX):
        return _by_brand(store, request.path[len(PORTAL_PREFIX):].split("/", 1)[0])
    token = credentials.strip() if scheme == "bearer" else (request.args.get("access_token")
                                                             or request.args.get("token") or "")
    brand = _unverified_brand(token)
    return _by_brand(store, brand) if brand else None


def _basic_user(credentials: str) -> str | None:
    try:
        decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    user, sep, _ = decoded.partition(":")
    return user if sep and user else None


def _unverified_brand(token: str) -> str | None:
    parts = token.split(".")
    if len(parts) != 3 or len(parts[1]) > 4096:
        return None
    try:
        claims: Any = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (binascii.Error, ValueError):
        return None
    brand = claims.get("brand") if isinstance(claims, dict) else None
    return brand if isinstance(brand, str) else None


def _by_key(store: Store, key: str | None) -> tuple[str, int] | None:
    if not key:
        return None
    row = store.account_by_key(key)
    return None if row is None else (row["api_key"], int(row["id"]))


def _by_brand(store: Store, domain: str) -> tuple[str, int] | None:
    row = store.brand_by_domain(domain)
    return None if row is None else (row["api_key"], int(row["account_id"]))
