"""`sendcloud-mock health`: ask a running fake whether it is healthy, once or until it is (`--wait`).

The image's HEALTHCHECK runs it with no arguments, so the address comes from the same
SENDCLOUD_MOCK_HOST/SENDCLOUD_MOCK_PORT variables that `serve` binds to; a wildcard bind
address (0.0.0.0, ::) is asked on loopback.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

WILDCARDS = {"", "0.0.0.0", "::", "[::]", "*"}
# A fake whose admin API is protected (--admin-token) is asked with its token.
ADMIN_TOKEN_ENV = "SENDCLOUD_MOCK_ADMIN_TOKEN"


def default_url(environ: Mapping[str, str] | None = None) -> str:
    """The base URL the serve settings in the environment listen on."""
    environ = os.environ if environ is None else environ
    host = environ.get("SENDCLOUD_MOCK_HOST", "").strip()
    host = "127.0.0.1" if host in WILDCARDS else host
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 literal
    return f"http://{host}:{environ.get('SENDCLOUD_MOCK_PORT', '').strip() or '8080'}"


def probe(base_url: str, timeout: float, token: str | None = None) -> tuple[bool, str]:
    """One health request: (healthy, the health body as JSON text or why it is not healthy)."""
    request = urllib.request.Request(base_url.rstrip("/") + "/__admin/health")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            body: Any = json.load(answer)
    except urllib.error.HTTPError as exc:
        return False, f"{base_url} answered {exc.code}"
    except urllib.error.URLError as exc:
        return False, f"cannot reach {base_url} ({exc.reason})"
    except (OSError, ValueError) as exc:
        return False, f"cannot reach {base_url} ({exc})"
    if not isinstance(body, dict) or body.get("status") != "ok":
        return False, f"{base_url} is not healthy: {json.dumps(body)[:200]}"
    return True, json.dumps(body)


def health(url: str | None, timeout: float, wait: float | None = None, *,
           clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> int:
    """Exit status 0 when the fake answers healthy (within `wait` seconds when given), else 1; one line printed."""
    base = url or default_url()
    token = os.environ.get(ADMIN_TOKEN_ENV) or None
    deadline = clock() + max(0.0, wait or 0.0)
    while True:
        remaining = deadline - clock()
        healthy, text = probe(base, timeout if wait is None else max(0.1, min(timeout, remaining)), token)
        if healthy:
            print(text)
            return 0
        if wait is None or clock() >= deadline:
            if wait is not None:
                text = f"{text}; gave up after {wait:g} s"
            print(f"unhealthy: {text}", file=sys.stderr)
            return 1
        sleep(min(0.2, max(0.0, deadline - clock())))
