"""Webhook configuration, the delivery log and its claims, all in the shared store.

Every worker process runs the same passes over the same tables:

* materialise: returns whose next lifecycle event is due (on their account's clock) get a
  delivery row per event, with a unique key per (return, parcel, event), so however many
  workers look, each event is logged once;
* claim: a worker takes the account's earliest due delivery inside a write transaction,
  with a lease, and only when no other delivery of that account is in flight, so each
  attempt is made by one process and an account's deliveries go out in due-time order;
* record: the attempt's outcome, and the next attempt on the retry schedule.

Store triggers note which returns changed (created, paid, cancelled), so the returns code
knows nothing of webhooks.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..accounts import Account
from ..clock import Clock, iso
from ..returns.lifecycle import settled_until
from ..returns.models import ReturnRecord, ReturnsBackend
from ..store import Store, loads
from . import payloads
from .events import (
    EVENTS,
    RETURN_CREATED,
    TEST_WEBHOOK,
    happenings,
)

# Sendcloud retries a failed delivery 10 times, 5 minutes after the first failure, doubling, at most an hour apart.
RETRY_DELAYS = tuple(min(300 * 2**n, 3600) for n in range(10))
MAX_ATTEMPTS = 1 + len(RETRY_DELAYS)
# Extra seconds a claim outlives the delivery timeout before another worker may take it over.
LEASE_MARGIN = 15.0
MATERIALISE_BATCH = 1000


@dataclass(frozen=True)
class WebhookConfig:
    api_key: str
    url: str
    signature_key: str | None
    events: tuple[str, ...]
    since: float
    from_fixtures: bool = False

    def describe(self) -> dict[str, Any]:
        return {"account": self.api_key, "url": self.url, "events": list(self.events),
                "signature_key_source": "signature_key" if self.signature_key else "api_secret",
                "from_fixtures": self.from_fixtures}


@dataclass(frozen=True)
class Claimed:
    id: int
    account: str
    event: str
    url: str
    body: bytes
    signature: str
    attempts: int
    scheduled: float
    owner: str


def sign(body: bytes, key: str) -> str:
    """Sendcloud-Signature: the hex HMAC-SHA256 of the exact body."""
    return hmac.new(key.encode("utf-8"), body, hashlib.sha256).hexdigest()


class WebhookStore:
    def __init__(self, store: Store, clock: Clock, returns: ReturnsBackend,
                 fixture_webhooks: Mapping[str, Mapping[str, Any]], *, timeout: float) -> None:
        self._store = store
        self._clock = clock
        self._returns = returns
        self._fixtures = dict(fixture_webhooks)
        self.timeout = timeout

    # -- clocks and accounts ----------------------------------------------------------------

    def now(self, account_id: int | None) -> float:
        """The account's own clock (the server's when no account is named)."""
        return self._clock.now(account_id)

    def account_row(self, api_key: str) -> Any:
        return self._store.account_by_key(api_key)

    def _account_id(self, api_key: str) -> int | None:
        row = self.account_row(api_key)
        return None if row is None else row["id"]

    # -- configuration ---------------------------------------------------------------------

    def config(self, api_key: str) -> WebhookConfig | None:
        row = self._store.webhook_config(api_key)
        if row is not None:
            if row["url"] is None:
                return None
            return WebhookConfig(api_key, row["url"], row["signature_key"], tuple(loads(row["events"])), row["since"])
        fixture = self._fixtures.get(api_key)
        if fixture is None:
            return None
        account = self.account_row(api_key)
        if account is None or not account["from_fixtures"]:
            return None
        return WebhookConfig(api_key, fixture["url"], fixture.get("signature_key"),
                             tuple(fixture.get("events") or EVENTS), 0.0, from_fixtures=True)

    def configured(self) -> list[WebhookConfig]:
        keys = self._store.webhook_config_keys()
        keys |= set(self._fixtures)
        found = (self.config(key) for key in sorted(keys))
        return [config for config in found if config is not None]

    def any_configured(self) -> bool:
        return self._store.cached("webhooks:any", lambda: bool(self.configured()))

    def put(self, api_key: str, *, url: str, signature_key: str | None, events: Iterable[str] | None) -> WebhookConfig:
        chosen = tuple(dict.fromkeys(events)) if events else EVENTS
        since = self.now(self._account_id(api_key))
        with self._store.transaction():
            previous = self._store.webhook_config(api_key)
            if previous is not None and previous["url"] is not None:
                since = previous["since"]
            self._store.put_webhook_config(api_key, url=url, signature_key=signature_key, events=list(chosen),
                                           since=since)
        return self.config(api_key)  # type: ignore[return-value]

    def delete(self, api_key: str) -> int:
        """Remove the webhook (a fixture one too); its pending deliveries are given up. Answers how many."""
        now = self.now(self._account_id(api_key))
        with self._store.transaction():
            self._store.remove_webhook_config(api_key)
            given_up = self._store.idle_pending_deliveries(api_key)
            for row in given_up:
                history = [*loads(row["history"]), {"at": iso(now), "status_code": None,
                                                     "error": "The webhook was removed before this delivery."}]
                self._store.give_up_delivery(row["id"], history)
        return len(given_up)

    def copy_config(self, source: str, target: str) -> None:
        """A cloned account gets its source's webhook (the same URL, key and events), from now on."""
        config = self.config(source)
        if config is not None:
            self.put(target, url=config.url, signature_key=config.signature_key, events=config.events)

    def forget(self, api_key: str) -> None:
        """A deleted account: its webhook and its deliveries go too."""
        with self._store.transaction():
            self._store.forget_webhooks(api_key)

    def signing_key(self, api_key: str, config: WebhookConfig | None) -> str:
        if config is not None and config.signature_key:
            return config.signature_key
        row = self.account_row(api_key)
        return row["api_secret"] if row is not None else ""

    # -- materialising events --------------------------------------------------------------

    def materialise(self, config: WebhookConfig, base_url: str) -> int:
        """Log a delivery for every event due by the account's now, for one batch of returns; answers the batch size."""
        account = self.account_row(config.api_key)
        if account is None:
            return 0
        now = self.now(account["id"])
        due = self._store.due_watches(account["id"], now, MATERIALISE_BATCH)
        if not due:
            return 0
        owner = Account(account["id"], account["api_key"], account["name"])
        key = self.signing_key(config.api_key, config)
        # One transaction for the whole batch: other workers see all of a jump's events at once,
        # so none of them can send a later event before an earlier one is logged.
        with self._store.transaction():
            for return_id in due:
                try:
                    record = self._returns.get(owner, return_id)
                except Exception:  # noqa: BLE001 - deleted meanwhile (an account reset)
                    self._store.unwatch(return_id)
                    continue
                self._log_events(config, record, now, key, base_url)
                upcoming = settled_until(record.schedule, record.cancelled_at, now)
                self._store.set_watch_due(record.id, None if upcoming == float("inf") else upcoming)
        return len(due)

    def _log_events(self, config: WebhookConfig, record: ReturnRecord, now: float, key: str,
                    base_url: str) -> None:
        state = record.state(now)
        for happening in happenings(state):
            if happening.at < config.since or happening.event not in config.events:
                continue
            if happening.event == RETURN_CREATED:
                bodies = [(f"return:{record.id}:{happening.key}", payloads.return_created(record, happening.at))]
            else:
                assert happening.step is not None
                bodies = [(f"return:{record.id}:parcel:{parcel.id}:{happening.key}",
                           payloads.parcel_status_changed(record, parcel, happening.step, happening.at,
                                                          announced=state.announced, base_url=base_url))
                          for parcel in record.parcels]
            for event_key, payload in bodies:
                body = payloads.encode(payload)
                self._store.log_event_delivery(account=config.api_key, event=happening.event, event_key=event_key,
                                               return_id=record.id, due_at=happening.at, url=config.url,
                                               body=body.decode("utf-8"), signature=sign(body, key))

    def add_test(self, api_key: str, config: WebhookConfig) -> int:
        now = self.now(self._account_id(api_key))
        body = payloads.encode(payloads.test_webhook(now))
        with self._store.transaction():
            return self._store.insert_delivery(account=api_key, event=TEST_WEBHOOK, return_id=None, due_at=now,
                                               url=config.url, body=body.decode("utf-8"),
                                               signature=sign(body, self.signing_key(api_key, config)))

    def redeliver(self, delivery_id: int) -> int | None:
        """A new pending delivery of the same event, due now, with a fresh retry budget."""
        row = self._store.delivery(delivery_id)
        if row is None:
            return None
        config = self.config(row["account"])
        now = self.now(self._account_id(row["account"]))
        body = row["body"].encode("utf-8")
        with self._store.transaction():
            return self._store.insert_delivery(
                account=row["account"], event=row["event"], return_id=row["return_id"], due_at=now,
                url=config.url if config else row["url"], body=row["body"],
                signature=sign(body, self.signing_key(row["account"], config)) if config else row["signature"],
                redelivery_of=delivery_id)

    # -- claiming and recording ------------------------------------------------------------

    def accounts_with_due(self) -> list[str]:
        return self._store.accounts_with_pending()

    def due_count(self, api_key: str) -> int:
        """Pending deliveries of this account due by its now (in flight or not)."""
        now = self.now(self._account_id(api_key))
        return self._store.due_delivery_count(api_key, now)

    def claim(self, api_key: str, *, only: int | None = None) -> Claimed | None:
        """Take the account's earliest due delivery (or delivery `only`), unless one is in flight."""
        now = self.now(self._account_id(api_key))
        wall = time.time()
        owner = f"{os.getpid()}:{threading.get_ident()}:{wall}"
        with self._store.transaction():
            if self._store.delivery_in_flight(api_key, wall):
                return None
            if only is not None:
                row = self._store.pending_delivery(delivery_id=only)
            else:
                row = self._store.earliest_due_delivery(api_key, now)
            if row is None:
                return None
            config = self.config(api_key)
            url, signature = row["url"], row["signature"]
            if config is not None:
                # Sent where, and signed as, the webhook is configured now.
                url = config.url
                signature = sign(row["body"].encode("utf-8"), self.signing_key(api_key, config))
            self._store.lease_delivery(row["id"], until=wall + self.timeout + LEASE_MARGIN, owner=owner, url=url,
                                       signature=signature)
        return Claimed(row["id"], api_key, row["event"], url, row["body"].encode("utf-8"), signature,
                       row["attempts"], row["next_attempt_at"], owner)

    def record(self, claimed: Claimed, *, status_code: int | None, error: str | None) -> None:
        """Log one attempt; a failure is retried on the schedule, counted from when it was due."""
        now = self.now(self._account_id(claimed.account))
        ok = status_code is not None and 200 <= status_code < 300 and error is None
        attempts = claimed.attempts + 1
        with self._store.transaction():
            row = self._store.delivery_lease(claimed.id)
            if row is None or row["lease_owner"] != claimed.owner:
                return  # reset meanwhile, or the claim expired and another worker took over
            history = [*loads(row["history"]), {"at": iso(now), "status_code": status_code, "error": error,
                                                 "scheduled_at": iso(claimed.scheduled)}]
            if ok:
                status, next_at = "delivered", None
            elif attempts >= MAX_ATTEMPTS:
                status, next_at = "failed", None
            else:
                status, next_at = "pending", claimed.scheduled + RETRY_DELAYS[attempts - 1]
            self._store.record_attempt(claimed.id, status=status, attempts=attempts, history=history,
                                       next_attempt_at=next_at)

    # -- reading and clearing --------------------------------------------------------------

    def deliveries(self, *, account: str | None = None, event: str | None = None, status: str | None = None,
                   limit: int = 100) -> list[dict[str, Any]]:
        rows = self._store.deliveries(account=account, event=event, status=status, limit=limit)
        return [self.describe(row) for row in rows]

    def delivery(self, delivery_id: int) -> dict[str, Any] | None:
        row = self._store.delivery(delivery_id)
        return None if row is None else self.describe(row)

    def describe(self, row: Any) -> dict[str, Any]:
        return {
            "id": row["id"],
            "account": row["account"],
            "event": row["event"],
            "url": row["url"],
            "body": loads(row["body"]),
            "signature": row["signature"],
            "status": row["status"],
            "attempts": row["attempts"],
            "history": loads(row["history"]),
            "due_at": iso(row["due_at"]),
            "next_attempt_at": iso(row["next_attempt_at"]) if row["next_attempt_at"] is not None else None,
            "in_flight": row["lease_until"] is not None and row["lease_until"] >= time.time(),
            "redelivery_of": row["redelivery_of"],
        }

    def clear(self, api_key: str | None = None) -> None:
        """Forget deliveries (an account's, or all with every configuration: a full reset)."""
        with self._store.transaction():
            self._store.clear_deliveries(api_key)


def fixture_webhooks(fixtures: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {account["api_key"]: account["webhook"] for account in fixtures.get("accounts", [])
            if isinstance(account.get("webhook"), Mapping) and account["webhook"].get("url")}

