"""Accounts, as in production: each API key/secret pair owns its brands, parcels and returns."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import Authorization

from .errors import ApiError
from .store import Conflict, Store, loads

# Longest API key or secret that becomes an open account on first use.
MAX_OPEN_CREDENTIAL = 128


class UnknownAccount(LookupError):
    """No account has this API key."""


@dataclass(frozen=True)
class Account:
    id: int
    api_key: str
    name: str


def normalise_postal_code(value: str) -> str:
    return "".join(value.split()).upper()


class Accounts:
    def __init__(self, store: Store, *, open_accounts: bool, max_open_accounts: int = 10_000) -> None:
        self._store = store
        self._open = open_accounts
        self._max_open = max_open_accounts

    def authenticate(self, authorization: Authorization | None) -> Account:
        """The account behind HTTP Basic credentials, or a 401."""
        if authorization is None or authorization.type != "basic" or not authorization.username:
            raise _unauthorised("Authentication credentials were not provided.")
        key, secret = authorization.username, authorization.password or ""
        row = self._row(key)
        if row is None and self._open and secret:
            self._check_open_account_room(key, secret)
            self._open_account(key, secret)
            row = self._row(key)
        if row is None or not hmac.compare_digest(row["api_secret"].encode(), secret.encode()):
            raise _unauthorised("Invalid username/password.")
        return Account(row["id"], row["api_key"], row["name"])

    def _open_account(self, key: str, secret: str) -> None:
        """A new key's first use: a clone of the default fixture account, so its portal works at once.

        Clients using the same new key at once race here; the unique key keeps one account,
        and the losers simply read it (a wrong secret among them is still refused).
        """
        source = self.default_key()
        try:
            if source is None:
                self.add(name=f"Open account {key[:12]}", api_key=key, api_secret=secret)
            else:
                self.clone(source, api_key=key, api_secret=secret, name=f"Open account {key[:12]}")
        except KeyError:
            pass

    def default_key(self) -> str | None:
        """The API key of the first fixture account (the default one), if any."""
        return self._store.default_account_key()

    def clone(self, source_key: str, *, api_key: str | None = None, api_secret: str | None = None,
              name: str | None = None) -> Account:
        """A new account with copies of another's brands (portal settings included) and outgoing parcels.

        The copies get new ids and unique brand domains, tracking numbers and order numbers
        (suffixed with the new account's id), so the portal flow runs on them as on the originals.
        A missing source raises UnknownAccount; a taken key, KeyError.
        """
        store = self._store
        with store.transaction():
            source = store.account_by_key(source_key)
            if source is None:
                raise UnknownAccount(source_key)
            api_key = api_key or "clone_" + secrets.token_hex(8)
            account = self.insert(name=name or f"Clone of {source['name']}", api_key=api_key,
                                  api_secret=api_secret or secrets.token_urlsafe(18))
            suffix = f"c{account.id}"
            brand_ids: dict[int, int] = {}
            for row in store.brands_of(source["id"]):
                data = loads(row["data"])
                data.pop("id", None)
                data["domain"] = row["domain"][:62 - len(suffix)] + "-" + suffix
                brand_ids[row["id"]] = store.insert_brand(account.id, data["domain"], data)
            for row in store.outgoing_parcels_of(source["id"]):
                data = loads(row["data"])
                data.pop("id", None)
                data.pop("brand_domain", None)
                data["tracking_number"] = f"{row['tracking_number']}{suffix.upper()}"
                if row["order_number"]:
                    data["order_number"] = f"{row['order_number']}-{suffix.upper()}"
                brand_id = brand_ids.get(row["brand_id"])
                data["brand_id"] = brand_id
                store.insert_outgoing_parcel(account.id, brand_id=brand_id, tracking_number=data["tracking_number"],
                                             order_number=data.get("order_number"),
                                             postal_code=row["postal_code"], data=data)
        return account

    def delete(self, api_key: str) -> bool:
        """An account and everything it owns (returns, brands, parcels, clock, fault rules), gone."""
        with self._store.transaction():
            account_id = self._store.account_id_of(api_key)
            if account_id is None:
                return False
            self._store.delete_account(account_id, api_key)
        return True

    def describe(self, api_key: str) -> dict[str, Any] | None:
        row = self._store.account_by_key(api_key)
        return None if row is None else self._describe(row)

    def _row(self, key: str) -> Any:
        # Only accounts that exist are remembered: unknown keys are chosen by clients.
        remembered = self._store.recall(("account", key))
        if remembered is not None:
            return remembered
        row = self._store.account_by_key(key)
        if row is not None:
            self._store.remember(("account", key), row)
        return row

    def _check_open_account_room(self, key: str, secret: str) -> None:
        if len(key) > MAX_OPEN_CREDENTIAL or len(secret) > MAX_OPEN_CREDENTIAL:
            raise _unauthorised(f"Open accounts take API keys and secrets of at most {MAX_OPEN_CREDENTIAL} "
                                "characters.")
        count = self._store.count_accounts(open_only=True)
        if count >= self._max_open:
            raise _unauthorised(f"No more open accounts: this fake already holds {count} "
                                "(--max-open-accounts). Reset it, or reuse a key.")

    def add(self, *, name: str, api_key: str, api_secret: str, brands: Iterable[Mapping[str, Any]] = (),
            outgoing_parcels: Iterable[Mapping[str, Any]] = (), from_fixtures: bool = False) -> Account:
        """Create an account with its brands and outgoing parcels; a taken key raises KeyError."""
        with self._store.transaction():
            return self.insert(name=name, api_key=api_key, api_secret=api_secret, brands=brands,
                               outgoing_parcels=outgoing_parcels, from_fixtures=from_fixtures)

    def insert(self, *, name: str, api_key: str, api_secret: str,
               brands: Iterable[Mapping[str, Any]] = (), outgoing_parcels: Iterable[Mapping[str, Any]] = (),
               from_fixtures: bool = False) -> Account:
        """add(), inside a transaction the caller holds."""
        try:
            account_id = self._store.insert_account(api_key=api_key, api_secret=api_secret, name=name,
                                                    from_fixtures=from_fixtures)
        except Conflict:
            raise KeyError(api_key) from None
        self._insert_owned(account_id, brands, outgoing_parcels)
        return Account(account_id, api_key, name)

    def _insert_owned(self, account_id: int, brands: Iterable[Mapping[str, Any]],
                      outgoing_parcels: Iterable[Mapping[str, Any]]) -> None:
        brand_ids: dict[str, int] = {}
        for brand in brands:
            try:
                brand_ids[brand["domain"]] = self._store.insert_brand(account_id, brand["domain"], dict(brand),
                                                                      brand.get("id"))
            except Conflict:
                raise KeyError(f"brand {brand['domain']}") from None
        for parcel in outgoing_parcels:
            brand_id = parcel.get("brand_id") or brand_ids.get(parcel.get("brand_domain", ""))
            try:
                self._store.insert_outgoing_parcel(
                    account_id, brand_id=brand_id, tracking_number=parcel["tracking_number"],
                    order_number=parcel.get("order_number"),
                    postal_code=normalise_postal_code(parcel["to_address"]["postal_code"]), data=dict(parcel),
                    parcel_id=parcel.get("id"))
            except Conflict:
                raise KeyError(f"outgoing parcel {parcel.get('id')}") from None

    def by_key(self, api_key: str) -> Account | None:
        row = self._store.account_by_key(api_key)
        return None if row is None else Account(row["id"], row["api_key"], row["name"])

    def brand_ids(self, account: Account) -> set[int]:
        return self._store.brand_ids(account.id)

    def brand_names(self, account: Account) -> dict[int, str]:
        rows = self._store.brands_of(account.id)
        return {row["id"]: loads(row["data"]).get("name", "") for row in rows}

    def brand(self, brand_id: int) -> dict[str, Any] | None:
        row = self._store.brand_by_id(brand_id)
        return None if row is None else {**loads(row["data"]), "id": row["id"]}

    def count(self) -> int:
        return self._store.count_accounts()

    def describe_all(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Everything a client needs to start: credentials, brands, outgoing parcels (the first
        `limit` accounts, fixtures first, when given)."""
        return [self._describe(account) for account in self._store.all_accounts(limit)]

    def _describe(self, account: Any) -> dict[str, Any]:
        brands = [
            {**loads(row["data"]), "id": row["id"]}
            for row in self._store.brands_of(account["id"])
        ]
        parcels = [
            {**loads(row["data"]), "id": row["id"], "brand_id": row["brand_id"]}
            for row in self._store.outgoing_parcels_of(account["id"])
        ]
        return {
            "name": account["name"],
            "api_key": account["api_key"],
            "api_secret": account["api_secret"],
            "from_fixtures": bool(account["from_fixtures"]),
            "brands": brands,
            "outgoing_parcels": parcels,
        }


def _unauthorised(detail: str) -> ApiError:
    return ApiError.one(401, "authentication_failed", detail, header="Authorization",
                        headers={"WWW-Authenticate": 'Basic realm="api"'})
