"""Settings of one fake instance, read from arguments or SENDCLOUD_MOCK_* variables.

`Settings` is the one list of options: each field's metadata says what it means, and the
command line (`cli.py`), the environment (`Settings.from_env`) and the README's Settings table
(`settings_table()`, checked by tests/test_settings.py) are all made from it.
"""

from __future__ import annotations

import os
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import Field, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

ENV_PREFIX = "SENDCLOUD_MOCK_"


def resource_dir(name: str) -> Path:
    """Where a data folder shipped with the package lives (installed or in a checkout)."""
    installed = Path(__file__).resolve().parent / name
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parent.parent / name


def _option(default: Any, meaning: str, *, shown: str | None = None, choices: tuple[str, ...] = (),
            hidden: bool = False) -> Any:
    """A setting: its default, what it means (Markdown, as the README shows it), how its default
    reads when the value alone would not say (`shown`), its allowed values, and whether it is
    left out of the help and the README (an option kept only so old command lines still work)."""
    return field(default=default, metadata={"meaning": meaning, "shown": shown, "choices": choices,
                                            "hidden": hidden})


@dataclass(frozen=True)
class Settings:
    host: str = _option("127.0.0.1", "address to bind")
    port: int = _option(8080, "port to bind")
    workers: int = _option(2, "gunicorn worker processes, sharing one SQLite store")
    threads: int = _option(2, "ignored since the workers are gevent workers", hidden=True)
    max_connections: int = _option(
        1000, "connections each worker holds at once (idle, half-sent and in-flight ones); more wait in the "
              "listen queue. `--threads` is still accepted and ignored")
    db: str | None = _option(None, "SQLite file that keeps state across restarts, or "
                             "`postgresql://user:password@host:port/dbname`: one database shared by several instances "
                             "(see Scaling out)", shown="a fresh temporary file")
    fixtures: str | None = _option(None, "folder with your own `accounts.json` (and `partners.json`)",
                                   shown="the bundled `fixtures/`")
    schemas: str | None = _option(None, "another schemas folder, for trying a schema change without touching "
                                        "the package", shown="the bundled `schemas/`")
    label_delay: float = _option(10.0, "seconds until a new return is announced")
    transit_delay: float = _option(3600.0, "seconds from announced to in transit")
    delivery_delay: float = _option(86400.0, "seconds from in transit to delivered")
    open_accounts: bool = _option(False, "unknown key/secret pairs become accounts on first use (clones of the "
                                         "default fixture account)")
    max_open_accounts: int = _option(
        10_000, "at most this many accounts beyond the fixtures; keys and secrets of open accounts are at most "
                "128 characters (401 otherwise)")
    jwt_secret: str | None = _option(None, "key that signs the portal's JWTs",
                                     shown="random per start (with a PostgreSQL --db: one kept in the database)")
    token_ttl: float = _option(3600.0, "lifetime of the portal's access and service-points tokens and of OAuth2 "
                                       "access tokens, in seconds")
    validate_responses: bool = _option(False, "check each response against its schema before sending it",
                                       shown="off (on in tests)")
    max_body_bytes: int = _option(1_000_000, "largest request body, in bytes (413 beyond it)")
    webhook_timeout: float = _option(5.0, "seconds a webhook receiver has to answer")
    webhook_settle: float = _option(10.0, "most seconds a clock advance waits for the webhooks it made due "
                                          "(the rest go on in the background)")
    journal_size: int = _option(1000, "requests the journal (`/__admin/requests`) keeps")
    log_level: str = _option("info", "`debug`, `info`, `warning`, `error`",
                             choices=("debug", "info", "warning", "error"))
    log_format: str = _option("text", "access log lines as `text` or `json`", choices=("text", "json"))
    admin_token: str | None = _option(None, "admin calls (all but `GET /__admin/health`) need "
                                            "`Authorization: Bearer TOKEN` (see [Security](#security))")
    allowed_host: tuple[str, ...] = _option((), "without an admin token, more `Host` names (or `*.suffix`) "
                                                "admin calls may use")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from SENDCLOUD_MOCK_* variables; keyword overrides win when not None."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for option in options():
            raw = environ.get(option.env)
            if raw is not None and raw != "":
                values[option.name] = option.parse(raw)
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


@dataclass(frozen=True)
class Option:
    """One setting as the command line, the environment and the README name it."""

    name: str
    kind: type  # bool, int, float, str, or tuple (a list of strings)
    default: Any
    meaning: str
    shown: str | None
    choices: tuple[str, ...]
    hidden: bool

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name.upper()

    @property
    def help(self) -> str:
        """The meaning as plain text, with its default (for --help)."""
        text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", self.meaning).replace("`", "")
        return f"{text} (default: {self.default_text.replace('`', '')})"

    @property
    def default_text(self) -> str:
        if self.shown is not None:
            return self.shown
        if self.kind is bool:
            return "on" if self.default else "off"
        if self.default is None or self.default == ():
            return "none"
        if isinstance(self.default, float) and self.default.is_integer():
            return f"`{int(self.default)}`"
        return f"`{self.default}`"

    def parse(self, raw: str) -> Any:
        """The value of an environment variable."""
        if self.kind is tuple:
            return tuple(part.strip() for part in raw.split(",") if part.strip())
        if self.kind is bool:
            return raw.strip().lower() in {"1", "true", "yes", "on"}
        if self.kind in (int, float):
            return self.kind(raw)
        return raw


def options() -> list[Option]:
    """Every setting, in the order Settings lists them."""
    hints = typing.get_type_hints(Settings)
    return [_describe(f, hints[f.name]) for f in fields(Settings)]


def _describe(f: Field[Any], hint: Any) -> Option:
    if isinstance(hint, types.UnionType):  # `X | None`
        hint = next(k for k in typing.get_args(hint) if k is not type(None))
    kind = typing.get_origin(hint) or hint
    return Option(f.name, kind, f.default, f.metadata["meaning"], f.metadata["shown"], f.metadata["choices"],
                  f.metadata["hidden"])


def settings_table() -> str:
    """The README's Settings table."""
    rows = ["| option | environment | default | meaning |", "|---|---|---|---|"]
    for option in options():
        if option.hidden:
            continue
        flag, env = f"`{option.flag}`", f"`{option.env}`"
        if option.kind is tuple:
            flag, env = flag + " (repeatable)", env + " (comma-separated)"
        rows.append(f"| {flag} | {env} | {option.default_text} | {option.meaning} |")
    return "\n".join(rows) + "\n"
