"""The command line: `sendcloud-mock serve` (production WSGI server) and `sendcloud-mock health`."""

from __future__ import annotations

import argparse
import atexit
import os
import sys
import tempfile
from collections.abc import Sequence
from typing import Any

from . import __version__
from .admin_access import is_loopback_bind
from .config import Option, Settings, options
from .store import StoreRefused, check_db, remove_in_owner


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sendcloud-mock", description="Offline fake of Sendcloud's return APIs.")
    parser.add_argument("--version", action="version", version=f"sendcloud-mock {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the fake (every option is also SENDCLOUD_MOCK_<NAME>)")
    for option in options():
        serve.add_argument(option.flag, dest=option.name, **_argument(option))

    health = commands.add_parser("health", help="ask a running fake whether it is healthy (exit 0 when it is)")
    health.add_argument("--url", default=None,
                        help="base URL (default: SENDCLOUD_MOCK_HOST and SENDCLOUD_MOCK_PORT, 0.0.0.0 asked on "
                             "127.0.0.1; else http://127.0.0.1:8080)")
    health.add_argument("--timeout", type=float, default=3.0, help="seconds per request (default 3)")
    health.add_argument("--wait", type=float, default=None, metavar="SECONDS",
                        help="keep asking until the fake is healthy, for at most SECONDS (for scripts and CI)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "health":
        from .health import health

        return health(args.url, args.timeout, args.wait)
    overrides = {option.name: getattr(args, option.name) for option in options()}
    if args.allowed_host:
        overrides["allowed_host"] = tuple(args.allowed_host)
    return serve(Settings.from_env(**overrides))


def _argument(option: Option) -> dict[str, Any]:
    """How argparse reads one setting (each is also the environment variable `option.env`)."""
    help_text = argparse.SUPPRESS if option.hidden else option.help.replace("%", "%%")
    if option.kind is bool:
        return {"action": "store_true", "default": None, "help": help_text}
    if option.kind is tuple:
        return {"action": "append", "default": None, "metavar": "NAME", "help": help_text + "; repeatable"}
    argument: dict[str, Any] = {"type": option.kind, "help": help_text}
    if option.choices:
        argument["choices"] = option.choices
    return argument


def serve(settings: Settings) -> int:
    """Run the fake under gunicorn; its workers share one SQLite file."""
    from .server import run

    warn_if_exposed(settings)
    _raise_open_file_limit(settings.max_connections + 256)
    if settings.db is not None:
        try:
            check_db(settings.db)
        except StoreRefused as refused:
            print(f"sendcloud-mock: refusing --db: {refused}; it was not modified. Point --db at a new file "
                  "(or one this fake created).", file=sys.stderr)
            return 2
    if settings.db is None:
        folder = tempfile.mkdtemp(prefix="sendcloud-mock-")
        master = os.getpid()
        atexit.register(remove_in_owner, folder, master)
        settings = settings.with_(db=os.path.join(folder, "store.sqlite3"))
    run(settings)
    return 0


def _raise_open_file_limit(wanted: int) -> None:
    """Each held connection is a file descriptor: make room for the connection cap if allowed."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        if soft != resource.RLIM_INFINITY and soft < target:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ImportError, ValueError, OSError):
        pass


def warn_if_exposed(settings: Settings) -> None:
    """One loud line when the admin API is reachable from other machines without a token."""
    if settings.admin_token or is_loopback_bind(settings.host):
        return
    print(f"WARNING: sendcloud-mock listens on {settings.host}:{settings.port} (not loopback) WITHOUT an admin "
          "token: anyone who can reach this port can read every account's credentials and reset, reconfigure "
          "or fault this fake through /__admin. Set --admin-token (SENDCLOUD_MOCK_ADMIN_TOKEN).",
          file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
