"""Settings of one fake instance, read from arguments or SENDCLOUD_MOCK_* variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

ENV_PREFIX = "SENDCLOUD_MOCK_"


def resource_dir(name: str) -> Path:
    """Where a data folder shipped with the package lives (installed or in a checkout)."""
    installed = Path(__file__).resolve().parent / name
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parent.parent / name


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 2
    # Ignored since the workers are gevent workers (kept so existing command lines still work).
    threads: int = 2
    # Connections each worker holds at once (idle, half-sent or in flight); more wait to be accepted.
    max_connections: int = 1000
    # None means a fresh temporary database for this run.
    db: str | None = None
    fixtures: str | None = None
    # Another schemas folder (for trying a schema change without touching the package).
    schemas: str | None = None
    # Seconds after creation before a return is announced (label, tracking number).
    label_delay: float = 10.0
    # Seconds from announcement until in transit, and from in transit until delivered.
    transit_delay: float = 3600.0
    delivery_delay: float = 86400.0
    # Key that signs the portal's JWTs; None means a random key per start.
    jwt_secret: str | None = None
    # Lifetime of access and service-points tokens, in seconds.
    token_ttl: float = 3600.0
    # Every key/secret pair becomes an (empty) account on first use.
    open_accounts: bool = False
    # At most this many accounts beyond the fixtures (open accounts stop being created).
    max_open_accounts: int = 10_000
    # Validate every response against its schema before sending it (on in tests).
    validate_responses: bool = False
    max_body_bytes: int = 1_000_000
    # Seconds a webhook receiver has to answer; and the most an admin clock advance waits
    # for the webhooks it made due before answering (the rest go on in the background).
    webhook_timeout: float = 5.0
    webhook_settle: float = 10.0
    journal_size: int = 1000
    log_level: str = "info"
    log_format: str = "text"
    # With a token, admin calls (all but GET /__admin/health) need `Authorization: Bearer TOKEN`.
    admin_token: str | None = None
    # Host names (or `*.suffix` patterns) admin calls may use when no admin token is set.
    allowed_host: tuple[str, ...] = ()
    # Extra, unstructured overrides used by tests (never read from the environment).
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from SENDCLOUD_MOCK_* variables; keyword overrides win when not None."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name == "extra":
                continue
            raw = environ.get(ENV_PREFIX + f.name.upper())
            if raw is not None and raw != "":
                values[f.name] = _coerce(f.name, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    @property
    def schemas_dir(self) -> Path:
        return Path(self.schemas) if self.schemas else resource_dir("schemas")

    @property
    def fixtures_dir(self) -> Path:
        return Path(self.fixtures) if self.fixtures else resource_dir("fixtures")


_BOOLEAN = {"open_accounts", "validate_responses"}
_INTEGER = {"port", "workers", "threads", "max_connections", "max_open_accounts", "max_body_bytes", "journal_size"}
_LIST = {"allowed_host"}
_FLOAT = {"label_delay", "transit_delay", "delivery_delay", "token_ttl", "webhook_timeout", "webhook_settle"}


def _coerce(name: str, raw: str) -> Any:
    if name in _LIST:
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    if name in _BOOLEAN:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if name in _INTEGER:
        return int(raw)
    if name in _FLOAT:
        return float(raw)
    return raw
