"""What a contract gets to work with: the transport, the identifiers, the budget and the schemas."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import Any
from urllib.parse import quote

from mock_server.config import resource_dir
from mock_server.spec import ApiSpec

from ..transport import Answer, Transport

LIST_WINDOW = {"from_date": "2000-01-01 00:00:00", "to_date": "2100-01-01 00:00:00"}


class ContractFailure(AssertionError):
    """A contract does not hold; the message says what was expected and what came back."""


class ContractSkipped(Exception):
    """A contract cannot run here (writes not allowed, identifiers missing); not a failure."""


@dataclass
class Identifiers:
    """What the target's data is called: the kit cannot guess these on a real account."""

    brand_domain: str | None = None
    tracking_number: str | None = None
    postal_code: str | None = None
    return_id: int | None = None
    other_brand_domain: str | None = None
    # Filled from the fake's fixtures; a real account's brand id is not needed.
    brand_id: int | None = None

    def missing(self, *names: str) -> list[str]:
        return [name for name in names if getattr(self, name) in (None, "")]

    def merged(self, other: Identifiers) -> Identifiers:
        """These identifiers, with the blanks filled from `other`."""
        values = {f.name: getattr(self, f.name) if getattr(self, f.name) not in (None, "") else getattr(other, f.name)
                  for f in fields(self)}
        return Identifiers(**values)


def fake_identifiers(transport: Transport) -> Identifiers:
    """Identifiers from the fake's data for the configured account (/__admin/fixtures, or /__admin/accounts/KEY)."""
    if not transport.is_fake:
        return Identifiers()
    answer = transport.admin("GET", "/fixtures")
    data = answer.json_or_none() or {}
    accounts = data.get("accounts", [])
    mine = next((a for a in accounts if a.get("api_key") == transport.api_key), None)
    if mine is None and transport.api_key:  # an account beyond the first ones the fixtures list (a clone)
        own = transport.admin("GET", "/accounts/" + quote(transport.api_key, safe=""))
        mine = own.json_or_none() if own.status == 200 else None
    if not isinstance(mine, dict):
        return Identifiers()
    found = Identifiers()
    brands = {b["id"]: b for b in mine.get("brands", [])}
    for parcel in mine.get("outgoing_parcels", []):
        brand = brands.get(parcel.get("brand_id"))
        portal = (brand or {}).get("portal", {})
        if brand is None or parcel.get("announcement_fails") or portal.get("enable_paid_returns"):
            continue
        found = Identifiers(brand_domain=brand["domain"], tracking_number=parcel["tracking_number"],
                            postal_code=parcel["to_address"]["postal_code"], brand_id=brand["id"])
        break
    # Another account's brand that stays for the whole run: a fixture account's, never another run's clone.
    others = [b["domain"] for a in accounts if a.get("from_fixtures", True) and a.get("api_key") != transport.api_key
              for b in a.get("brands", []) if b.get("domain") != found.brand_domain]
    found.other_brand_domain = others[-1] if others else None
    return found


@dataclass
class Context:
    """Everything one run shares; contracts read it and record what they created."""

    transport: Transport
    identifiers: Identifiers = field(default_factory=Identifiers)
    max_examples: int = 10
    allow_writes: bool = False
    poll_tries: int = 30
    poll_interval: float = 2.0
    return_body: dict[str, Any] | None = None
    seed: int | None = None
    log: Callable[[str], None] = lambda message: None
    created_returns: list[int] = field(default_factory=list)
    # Generated cases of the running contract, and who wants to hear of each (the live counter).
    cases: int = 0
    on_case: Callable[[int], None] = lambda count: None
    # What ending the run undoes (build_context: delete the run's own account on the fake).
    on_close: Callable[[], object] = lambda: None

    def close(self) -> None:
        """End the run: undo what building it opened, release the connections. Safe to call twice."""
        try:
            self.on_close()
        finally:
            self.on_close = lambda: None
            self.transport.close()

    def count_case(self) -> None:
        """One more generated case (a Hypothesis example) in the running contract."""
        self.cases += 1
        self.on_case(self.cases)

    @cached_property
    def spec(self) -> ApiSpec:
        return ApiSpec(resource_dir("schemas"))

    @cached_property
    def fake_settings(self) -> dict[str, Any]:
        """The fake's timing settings (label delay), or {} for a real API."""
        if not self.transport.is_fake:
            return {}
        return (self.transport.admin("GET", "/fixtures").json_or_none() or {}).get("settings", {})

    def require_writes(self, what: str) -> None:
        if not self.allow_writes:
            raise ContractSkipped(f"writes ({what}); not run in read-only mode or against a real API "
                                  f"without --allow-writes")

    def require(self, *names: str) -> None:
        missing = self.identifiers.missing(*names)
        if missing:
            flags = ", ".join("--" + name.replace("_", "-") for name in missing)
            raise ContractSkipped(f"needs {flags}")

    def wait(self, seconds: float) -> None:
        """Let time pass on the target: the fake's clock moves, a real API is waited for."""
        if not self.transport.advance_clock(seconds):
            time.sleep(seconds)

    def poll(self, fetch: Callable[[], Answer], done: Callable[[Answer], bool], *, step: float | None = None,
             tries: int | None = None) -> list[Answer]:
        """Call `fetch` until `done` (bounded): the answers seen, last one last."""
        step = self.poll_interval if step is None else step
        seen = [fetch()]
        for _ in range((tries or self.poll_tries) - 1):
            if done(seen[-1]):
                break
            self.wait(step)
            seen.append(fetch())
        return seen
