"""What the guards of mock_server.security read: the account of the Authorization header, the partner header."""

from __future__ import annotations

import uuid

from flask import current_app, g, request

from .accounts import Account
from .errors import ApiError
from .oauth.models import refused
from .seeding import partner_ids

PARTNER_HEADER = "Sendcloud-Partner-Id"


def account_from_header() -> Account:
    """The account of the Authorization header: Basic key and secret, or an OAuth2 access token."""
    state = current_app.extensions["sendcloud_mock"]
    token = bearer_token()
    if token is not None:
        account = state.oauth.account_for(token)
        if account is None:
            raise refused("The access token is invalid.")
        return account
    return state.accounts.authenticate(request.authorization)


def bearer_token() -> str | None:
    """The token of an ``Authorization: Bearer`` header, if that is the header sent."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def check_partner_header() -> None:
    raw = request.headers.get(PARTNER_HEADER)
    if raw is None:
        return
    try:
        partner = str(uuid.UUID(raw.strip()))
    except ValueError:
        raise ApiError.one(400, "invalid", "Must be a valid UUID.", header=PARTNER_HEADER) from None
    if partner not in partner_ids(current_app.extensions["sendcloud_mock"].store):
        raise ApiError.one(400, "invalid", "Unknown Sendcloud partner id.", header=PARTNER_HEADER)


def current_account() -> Account:
    return g.account


def base_url() -> str:
    """The root URL the client used (its own host), ending in a slash.

    Built from the scheme and Host header directly: werkzeug's host_url also converts
    the URL to an IRI, which costs more than the rest of a small request.
    """
    return f"{request.scheme}://{request.host}/"
