"""The return portal's JWTs: signed by this server, bound to a brand, a subject and a purpose.

Purposes: `access` (create a return for one outgoing parcel), `service_points` (search
service points), `poller` (poll one return's label) and `label` (download it). Times come
from the server clock, so an admin clock advance expires tokens like real time would.
A reset bumps the store's generation: tokens issued before it are refused (no replay).
Each token also names the store (database file) that issued it: with a fixed signing key,
a token from an earlier store is refused instead of resolving to another return.
An account reset bumps that account's generation too; times come from the brand's account's clock.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Any

import jwt

from .clock import Clock
from .errors import ApiError
from .store import Store

ALGORITHM = "HS256"
ISSUER = "sendcloud-mock"
REQUIRED_CLAIMS = ("iss", "iat", "nbf", "exp", "jti", "purpose", "brand", "sub", "gen", "store")


@dataclass(frozen=True)
class Claims:
    purpose: str
    brand: str
    subject: int  # the outgoing parcel (access, service_points) or the return (poller, label)
    raw: dict[str, Any]


class TokenService:
    def __init__(self, store: Store, clock: Clock, *, secret: str | None, ttl: float) -> None:
        # Without a configured key each start signs with its own (another instance's tokens fail),
        # unless the store is shared by instances: then they all sign with the store's key.
        self._secret = secret or store.shared_signing_key() or secrets.token_urlsafe(32)
        self._store = store
        self._clock = clock
        self._ttl = ttl

    def issue(self, *, purpose: str, brand: str, subject: int, ttl: float | None = None) -> str:
        account_id = self._account_of(brand)
        now = int(self._clock.now(account_id))
        claims = {
            "iss": ISSUER,
            "iat": now,
            "nbf": now,
            "exp": now + int(ttl or self._ttl),
            "jti": uuid.uuid4().hex,
            "purpose": purpose,
            "brand": brand,
            "sub": str(subject),
            "gen": self._generation(account_id),
            "store": self._store.identity,
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def verify(self, token: str | None, *, purpose: str, brand: str | None, where: dict[str, str]) -> Claims:
        """The claims of a valid token for this purpose (and brand, when given); otherwise a 401 or 403."""
        if not token:
            raise _refused(401, "authentication_failed", "Authentication credentials were not provided.", where)
        try:
            claims = jwt.decode(
                token, self._secret, algorithms=[ALGORITHM], issuer=ISSUER,
                options={"require": list(REQUIRED_CLAIMS), "verify_exp": False, "verify_nbf": False,
                         "verify_iat": False, "verify_sub": False},
            )
        except jwt.InvalidTokenError:
            raise _refused(401, "invalid_token", "The token is invalid.", where) from None
        account_id = self._account_of(claims["brand"]) if isinstance(claims["brand"], str) else None
        now = self._clock.now(account_id)
        if not isinstance(claims["exp"], int) or not isinstance(claims["nbf"], int):
            raise _refused(401, "invalid_token", "The token is invalid.", where)
        if now >= claims["exp"]:
            raise _refused(401, "token_expired", "The token has expired.", where)
        if now < claims["nbf"]:
            raise _refused(401, "invalid_token", "The token is not valid yet.", where)
        if claims["store"] != self._store.identity:
            # Same signing key, another store (a restart on a fresh database, a --db file replaced):
            # its subjects are other rows here, so the token must never resolve.
            raise _refused(401, "invalid_token", "The token was issued by another store.", where)
        if claims["gen"] != self._generation(account_id):
            raise _refused(401, "invalid_token", "The token was issued before the last reset.", where)
        if claims["purpose"] != purpose:
            raise _refused(403, "forbidden", f"This token is not valid for this request (it is a "
                                             f"{claims['purpose']} token).", where)
        if brand is not None and claims["brand"] != brand:
            raise _refused(403, "forbidden", "This token belongs to another brand.", where)
        try:
            subject = int(claims["sub"])
        except (TypeError, ValueError):
            raise _refused(401, "invalid_token", "The token is invalid.", where) from None
        return Claims(purpose=claims["purpose"], brand=claims["brand"], subject=subject, raw=claims)

    def _generation(self, account_id: int | None) -> str:
        """The store's reset generation and the brand's account's own (bumped by an account reset)."""
        overall = self._store.get_meta("generation", "0") or "0"
        own = self._store.get_meta(f"generation:{account_id}", "0") if account_id is not None else "0"
        return f"{overall}.{own}"

    def _account_of(self, brand: str) -> int | None:
        """The account owning a brand: its clock times the token, its resets revoke it."""
        row = self._store.cached(("brand-account", brand), lambda: self._store.brand_by_domain(brand))
        return None if row is None else int(row["account_id"])


def _refused(status: int, code: str, detail: str, where: dict[str, str]) -> ApiError:
    headers = {"WWW-Authenticate": 'Bearer realm="return-portal"'} if status == 401 else {}
    return ApiError.one(status, code, detail, headers=headers, **where)
