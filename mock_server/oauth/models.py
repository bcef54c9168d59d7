"""OAuth2 access tokens: issued for an account's API key and secret, kept in the store.

A token is an opaque random string; the store keeps only its SHA-256, the account it
stands for, its expiry on the server clock and the store generation it was issued in (a
reset refuses every token issued before it, as it does the portal's JWTs).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from ..accounts import Account, Accounts
from ..clock import Clock
from ..errors import ApiError
from ..store import Store

SCOPE = "api"
TOKEN_PREFIX = "scm_at_"



@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int
    scope: str = SCOPE

    def body(self) -> dict[str, object]:
        """The RFC 6749 §5.1 answer."""
        return {"access_token": self.access_token, "token_type": "Bearer", "expires_in": self.expires_in,
                "scope": self.scope}


class OAuthError(Exception):
    """An RFC 6749 §5.2 error: ``{"error": code, "error_description": ...}`` with its status."""

    def __init__(self, status: int, error: str, description: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description
        self.headers = headers or {}

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


class OAuthTokens:
    def __init__(self, store: Store, clock: Clock, accounts: Accounts, *, ttl: float) -> None:
        self._store = store
        self._clock = clock
        self._accounts = accounts
        self._ttl = max(1, int(ttl))

    def issue(self, account: Account) -> IssuedToken:
        """A new token for the account, valid for the configured lifetime on the server clock."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = self._clock.now()
        with self._store.transaction():
            self._store.insert_oauth_token(_digest(token), account.api_key, issued_at=now,
                                           expires_at=now + self._ttl, generation=self._generation())
        return IssuedToken(token, self._ttl)

    def account_for(self, token: str) -> Account | None:
        """The account a token stands for; None when it is no token of ours (perhaps another
        kind of Bearer token); a 401 when it is ours but expired, or from before the last reset."""
        if not token or len(token) > 500:
            return None
        row = self._store.oauth_token(_digest(token))
        if row is None:
            return None
        if row["generation"] != self._generation():
            raise refused("The access token was issued before the last reset.")
        if self._clock.now() >= row["expires_at"]:
            raise refused("The access token has expired.")
        account = self._accounts.by_key(row["api_key"])
        if account is None:
            raise refused("The access token's account no longer exists.")
        return account

    def _generation(self) -> int:
        return int(self._store.get_meta("generation", "0") or 0)


def refused(detail: str) -> ApiError:
    """A 401 in the API's own error format, with the Bearer challenge of RFC 6750 §3."""
    return ApiError.one(401, "authentication_failed", detail, header="Authorization",
                        headers={"WWW-Authenticate": 'Basic realm="api", Bearer realm="api", error="invalid_token"'})


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
