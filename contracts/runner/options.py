"""One options model for every front end: the fields of `Options`, and the table `OPTIONS` that describes them.

The CLI (`sendcloud-contracts run --seed 7`) and the pytest plugin (`--sendcloud-seed 7`) both
build their flags from `OPTIONS`, so each has every option the other has; both end in an
`Options`, which `build_context()` turns into a run. Loads with the standard library only
(the flags exist, and `--help` works, without the `contracts` extra).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from ..urls import PRODUCTION_URL

TARGET, IDENTIFIERS, RUN = "target", "identifiers", "run"


@dataclass(frozen=True)
class Option:
    """One option: the `Options` field it sets and how front ends spell and explain it."""

    name: str
    help: str
    group: str = TARGET
    type: Callable[[str], Any] = str
    switch: bool = False  # a flag without a value
    repeat: bool = False  # may be given more than once
    env: str | None = None  # read when the option is not given
    flag: str | None = None  # the spelling after `--`, when not the name with dashes
    exclusive: str | None = None  # options sharing this word exclude each other

    @property
    def spelling(self) -> str:
        return self.flag or self.name.replace("_", "-")


OPTIONS: tuple[Option, ...] = (
    Option("base_url", f"API to check (default {PRODUCTION_URL})", env="SENDCLOUD_BASE_URL"),
    Option("service_points_url", "service points API (default https://servicepoints.sendcloud.sc for production, "
                                 "else the base URL)", env="SENDCLOUD_SERVICE_POINTS_URL"),
    Option("in_process", "check a fresh fake in this process (no server, no network)", switch=True),
    Option("api_key", "API key", env="SENDCLOUD_API_KEY"),
    Option("api_secret", "API secret (prefer the variable in CI)", env="SENDCLOUD_API_SECRET"),
    Option("admin_token", "the fake's admin token, for a fake started with --admin-token",
           env="SENDCLOUD_MOCK_ADMIN_TOKEN"),
    Option("timeout", "seconds per HTTP request (default 30)", type=float),
    Option("brand_domain", "a brand whose return portal to use", IDENTIFIERS),
    Option("tracking_number", "an outgoing parcel of that brand", IDENTIFIERS),
    Option("postal_code", "the postal code that parcel was sent to", IDENTIFIERS),
    Option("return_id", "an existing return to read", IDENTIFIERS, type=int),
    Option("other_brand_domain", "a second brand, for the cross-brand token rule", IDENTIFIERS),
    Option("read_only", "only contracts that read (no create/cancel/announce)", RUN, switch=True, exclusive="writes"),
    Option("allow_writes", "also run contracts that create and cancel returns on a real API", RUN, switch=True,
           exclusive="writes"),
    Option("contracts", "run only this contract (repeatable); see `sendcloud-contracts list`", RUN, repeat=True,
           flag="contract"),
    Option("max_examples", "generated cases per property (default 10)", RUN, type=int),
    Option("seed", "Hypothesis seed (default: a random one, printed with the command that replays the run)", RUN,
           type=int),
    Option("return_body", "JSON create body the account accepts (for writes on a real API)", RUN, type=Path),
    Option("poll_tries", "label polls before giving up (real API; default 30)", RUN, type=int),
    Option("poll_interval", "seconds between label polls (real API; default 2)", RUN, type=float),
)
BY_NAME = {option.name: option for option in OPTIONS}


@dataclass(frozen=True)
class Options:
    """What a run is asked to do, whichever front end asked."""

    base_url: str = PRODUCTION_URL
    service_points_url: str | None = None
    in_process: bool = False
    api_key: str | None = None
    api_secret: str | None = None
    admin_token: str | None = None
    timeout: float = 30.0
    brand_domain: str | None = None
    tracking_number: str | None = None
    postal_code: str | None = None
    return_id: int | None = None
    other_brand_domain: str | None = None
    read_only: bool = False
    allow_writes: bool = False
    contracts: list[str] | None = None
    max_examples: int = 10
    seed: int | None = None
    return_body: Path | None = None
    poll_tries: int = 30
    poll_interval: float = 2.0
    # Which options came from the environment rather than the front end (the replay command says so).
    from_environment: frozenset[str] = field(default=frozenset(), compare=False)

    @classmethod
    def from_values(cls, values: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> Options:
        """Options from a front end's values (None: not given), the environment filling what was not given."""
        environ = os.environ if environ is None else environ
        given = {f.name: values[f.name] for f in fields(cls) if values.get(f.name) not in (None, False, [])}
        from_env = set()
        for option in OPTIONS:
            if option.name not in given and option.env and environ.get(option.env):
                given[option.name] = option.type(environ[option.env])
                from_env.add(option.name)
        if given.get("read_only") and given.get("allow_writes"):
            raise ValueError("--read-only and --allow-writes exclude each other")
        return replace(cls(), **given, from_environment=frozenset(from_env))
