"""The command line: `sendcloud-mock serve` (production WSGI server) and `sendcloud-mock health`."""

from __future__ import annotations

import argparse
import atexit
import os
import sys
import tempfile
from collections.abc import Sequence

from . import __version__
from .admin_access import is_loopback_bind
from .config import Settings
from .store import StoreRefused, check_db, remove_in_owner


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sendcloud-mock", description="Offline fake of Sendcloud's return APIs.")
    parser.add_argument("--version", action="version", version=f"sendcloud-mock {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the fake (every option is also SENDCLOUD_MOCK_<NAME>)")
    serve.add_argument("--host", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to bind (default 8080)")
    serve.add_argument("--workers", type=int, help="worker processes sharing the store (default 2)")
    serve.add_argument("--threads", type=int, help=argparse.SUPPRESS)  # ignored: gevent workers
    serve.add_argument("--max-connections", type=int,
                       help="connections each worker holds at once, idle ones included (default 1000)")
    serve.add_argument("--db", help="SQLite file that keeps state across restarts (default: a fresh temporary one)")
    serve.add_argument("--fixtures", help="folder with accounts.json (and partners.json) to load at start")
    serve.add_argument("--label-delay", type=float, help="seconds until a new return is announced (default 10)")
    serve.add_argument("--transit-delay", type=float, help="seconds from announced to in transit (default 3600)")
    serve.add_argument("--delivery-delay", type=float, help="seconds from in transit to delivered (default 86400)")
    serve.add_argument("--jwt-secret", help="key that signs the portal's JWTs (default: random per start)")
    serve.add_argument("--token-ttl", type=float, help="lifetime of portal access tokens in seconds (default 3600)")
    serve.add_argument("--open-accounts", action="store_true", default=None,
                       help="any new API key/secret pair becomes an empty account on first use")
    serve.add_argument("--max-open-accounts", type=int,
                       help="with --open-accounts, at most this many accounts beyond the fixtures (default 10000)")
    serve.add_argument("--validate-responses", action="store_true", default=None,
                       help="check every response against its schema before sending it")
    serve.add_argument("--admin-token",
                       help="admin calls (all but GET /__admin/health) need Authorization: Bearer TOKEN")
    serve.add_argument("--allowed-host", action="append", default=None, metavar="NAME",
                       help="without an admin token, also answer admin calls for this Host name (or *.suffix);"
                            " repeatable")
    serve.add_argument("--log-level", choices=["debug", "info", "warning", "error"], help="default info")
    serve.add_argument("--log-format", choices=["text", "json"], help="access log lines as text or JSON")

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
    overrides = {name: getattr(args, name) for name in (
        "host", "port", "workers", "threads", "max_connections", "db", "fixtures",
        "label_delay", "transit_delay", "delivery_delay", "jwt_secret", "token_ttl",
        "open_accounts", "max_open_accounts", "validate_responses", "log_level", "log_format", "admin_token")}
    if args.allowed_host:
        overrides["allowed_host"] = tuple(args.allowed_host)
    return serve(Settings.from_env(**overrides))


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
