"""On the fake, a writing run works in an account of its own, and removes it when it ends.

A fake is often shared: by parallel CI jobs, by the tests of the code under test. A run
that created returns in the default account, or moved the global clock, would change what
those see. So before the first contract a writing run clones the account it was given (the
fake's default fixture account when none was) through `POST /__admin/accounts {"from": ...}`,
switches to the clone's credentials, moves only that account's clock, and deletes the clone
(`DELETE /__admin/accounts/{key}`: its returns, brands, parcels and clock) when the run ends,
also when it fails or is interrupted. A fake too old to clone, started with
`--open-accounts`, gets a fresh random key pair instead, which becomes its own account on
first use. Against any other API nothing changes.
"""

from __future__ import annotations

import secrets
from urllib.parse import quote

import requests

from ..transport import Transport

RUN_ACCOUNT_NAME = "sendcloud-contracts run"


def open_run_account(transport: Transport) -> str | None:
    """Switch the transport to a fresh account of the run's own (the fake only); its API key, or None."""
    if not transport.is_fake or transport.run_account is not None:
        return None
    answer = transport.admin("POST", "/accounts", {"from": transport.api_key, "name": RUN_ACCOUNT_NAME})
    body = answer.json_or_none()
    if answer.status == 201 and isinstance(body, dict) and body.get("api_key") and body.get("api_secret"):
        key, secret = str(body["api_key"]), str(body["api_secret"])
    elif _open_accounts(transport):
        key, secret = "contracts_" + secrets.token_hex(8), secrets.token_urlsafe(18)
    else:
        return None
    transport.use_credentials(key, secret)
    transport.run_account = key
    return key


def close_run_account(transport: Transport) -> bool:
    """Delete the run's own account (if one was opened); True when the fake confirmed it. Never raises."""
    key = transport.run_account
    if key is None:
        return False
    transport.run_account = None
    try:
        answer = transport.admin("DELETE", "/accounts/" + quote(key, safe=""))
    except (requests.RequestException, OSError):
        return False
    return answer.status in (200, 204, 404)


def _open_accounts(transport: Transport) -> bool:
    fixtures = transport.admin("GET", "/fixtures").json_or_none() or {}
    return bool((fixtures.get("settings") or {}).get("open_accounts"))
