"""Who may call the admin API (/__admin/*): a bearer token, and a guard against DNS rebinding.

With `--admin-token`, every admin call except `GET /__admin/health` must carry
`Authorization: Bearer TOKEN` (401 JSON otherwise), or the inspector's sign-in cookie
(`/__admin/ui?token=TOKEN` sets it; see inspector/session.py). Without one, a web page could still
make a browser on the same machine call the fake by pointing a name it owns at 127.0.0.1
(DNS rebinding): the browser then sends that name as `Host`. So without a token an admin
call is only answered when its `Host` is a name no public attacker can own: a loopback
name, an IP literal, a single-label name (a compose service such as `sendcloud`), or one
configured with `--allowed-host`. Everything else answers 403 JSON.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterable

from flask import Flask, request

from .errors import ApiError
from .inspector import session

ADMIN_PREFIX = "/__admin"
OPEN_ADMIN_PATHS = {"/__admin/health", "/__admin/health/"}
LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


def host_name(host_header: str) -> str:
    """The name part of a Host header, lower-cased, without port, brackets or trailing dot."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host[1:]
    if host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".")


def is_ip_literal(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def is_loopback_bind(host: str) -> bool:
    """Whether binding this address only accepts connections from this machine."""
    name = host_name(host) if host else "127.0.0.1"
    if name in LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_allowed(host_header: str | None, allowed: Iterable[str]) -> bool:
    """Whether an admin call without a token may be answered for this Host header."""
    if host_header is None:
        return True  # HTTP/1.0 without Host: not a browser
    name = host_name(host_header)
    if not name:
        return False
    if name in LOOPBACK_NAMES or name.endswith(".localhost") or is_ip_literal(name) or "." not in name:
        return True
    for pattern in allowed:
        pattern = pattern.strip().lower().rstrip(".")
        if pattern.startswith("*.") and name.endswith(pattern[1:]):
            return True
        if name == pattern:
            return True
    return False


def install(app: Flask, *, token: str | None, allowed_hosts: Iterable[str]) -> None:
    """Check every admin call before anything else sees it."""
    expected = f"Bearer {token}".encode() if token else None
    allowed = tuple(allowed_hosts)

    @app.before_request
    def _guard_admin() -> None:
        path = request.path
        if not path.startswith(ADMIN_PREFIX) or path in OPEN_ADMIN_PATHS:
            return
        if expected is not None and token:  # (one implies the other; this tells mypy)
            given = request.environ.get("HTTP_AUTHORIZATION", "").strip().encode("latin-1", "replace")
            if not hmac.compare_digest(given, expected):
                if session.signing_in() or session.cookie_matches(token):  # the inspector, in a browser
                    return
                detail = ("Authentication credentials were not provided." if not given
                          else "Invalid admin token.")
                raise ApiError.one(401, "authentication_failed",
                                   detail + " Send Authorization: Bearer <admin token>.", header="Authorization",
                                   headers={"WWW-Authenticate": 'Bearer realm="sendcloud-mock admin"'})
            return
        if not host_allowed(request.environ.get("HTTP_HOST"), allowed):
            raise ApiError.one(403, "forbidden",
                               "Admin calls are only answered for loopback, IP-literal, single-label or "
                               "--allowed-host names when no --admin-token is set (DNS rebinding guard).",
                               header="Host")
