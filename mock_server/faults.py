"""Fault and latency rules: rehearse production's bad days through the admin API.

A rule matches a method and a path glob (and optionally a header), and then delays the
request, answers a status and body of its own, or rate-limits with 429 and Retry-After;
a number of times, or with a probability. A rule with an `account` applies only to that
account's requests. Rules live in the store, so every worker applies the same ones and
counts hits together. Rate-limit windows run on the server clock (the account's, for an
account's rule), so a clock advance ends a window as real time would.
"""

from __future__ import annotations

import fnmatch
import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .clock import Clock
from .store import Store, loads


@dataclass(frozen=True)
class Hit:
    rule_id: int
    label: str
    status: int | None
    body: Any
    headers: dict[str, str]
    delay_ms: int


class Faults:
    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def add(self, rule: Mapping[str, Any]) -> dict[str, Any]:
        with self._store.transaction():
            rule_id = self._store.insert_fault(dict(rule))
        return self.get(rule_id)  # type: ignore[return-value]

    def get(self, rule_id: int) -> dict[str, Any] | None:
        row = self._store.fault(rule_id)
        return None if row is None else _describe(row)

    def all(self, account: str | None = None) -> list[dict[str, Any]]:
        """Every rule, or one account's rules."""
        return [_describe(row) for row in self._store.faults(account)]

    def delete(self, rule_id: int | None = None, account: str | None = None) -> int:
        """One rule, or every rule (of one account, when given)."""
        with self._store.transaction():
            return self._store.delete_faults(rule_id, account)

    def match(self, method: str, path: str, headers: Mapping[str, str],
              account: Callable[[], tuple[str, int] | None] = lambda: None) -> Hit | None:
        """The first rule that applies to this request (and is counted as hit), if any.

        `account` names the request's account (API key, id), asked only when an account's rule
        could match.
        """
        rules = self._store.cached("faults", lambda: [(row["id"], loads(row["data"])) for row in self._store.faults()])
        unknown = object()
        owner: Any = unknown
        for rule_id, rule in rules:
            if not _matches(rule, method, path, headers):
                continue
            if rule.get("account") is not None:
                if owner is unknown:
                    owner = account()
                if owner is None or owner[0] != rule["account"]:
                    continue
            if rule.get("probability", 1.0) < 1.0 and random.random() >= rule["probability"]:
                continue
            hit = self._take(rule_id, rule, owner[1] if rule.get("account") is not None else None)
            if hit is not None:
                return hit
        return None

    def _take(self, rule_id: int, rule: dict[str, Any], account_id: int | None) -> Hit | None:
        label = rule.get("name") or f"rule {rule_id}"
        with self._store.transaction():
            if "rate_limit" in rule:
                return self._rate_limited(rule_id, rule, label, self._clock.now(account_id))
            taken = self._store.take_fault(rule_id)
        if not taken:
            return None
        return Hit(rule_id, label, rule.get("status"), rule.get("body"), dict(rule.get("headers") or {}),
                   int(rule.get("delay_ms", 0)))

    def _rate_limited(self, rule_id: int, rule: dict[str, Any], label: str, now: float) -> Hit | None:
        limit, window = rule["rate_limit"]["requests"], float(rule["rate_limit"]["per_seconds"])
        start, count = self._store.fault_window(rule_id)
        if start is None or now - start >= window or now < start:
            start, count = now, 0
        count += 1
        self._store.set_fault_window(rule_id, start, count)
        if count <= limit:
            return None
        self._store.count_fault_hit(rule_id)
        retry_after = max(1, math.ceil(start + window - now))
        headers = {"Retry-After": str(retry_after), **dict(rule.get("headers") or {})}
        return Hit(rule_id, label, 429, rule.get("body"), headers, int(rule.get("delay_ms", 0)))


def _matches(rule: dict[str, Any], method: str, path: str, headers: Mapping[str, str]) -> bool:
    if rule.get("method", "*") not in ("*", method):
        return False
    # Every path answers with and without its trailing slash; so does every rule.
    bare = path.rstrip("/") or "/"
    if not (fnmatch.fnmatchcase(path, rule["path"]) or fnmatch.fnmatchcase(bare, rule["path"])):
        return False
    header = rule.get("header")
    if header:
        value = headers.get(header["name"])
        if value is None or ("value" in header and value != header["value"]):
            return False
    return True


def _describe(row: Any) -> dict[str, Any]:
    return {**loads(row["data"]), "id": row["id"], "hits": row["hits"], "remaining": row["remaining"]}
