"""One HTTP POST of a webhook: no redirects followed, a bounded read, a hard deadline."""

from __future__ import annotations

import http.client
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from .. import __version__

# Bytes of a receiver's answer the fake reads at most (it only needs the status line).
MAX_RESPONSE_BYTES = 64 * 1024
USER_AGENT = f"sendcloud-mock/{__version__} (webhooks)"


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.error is None and self.status_code is not None and 200 <= self.status_code < 300


def post(url: str, body: bytes, signature: str, *, timeout: float) -> Outcome:
    """POST `body` to `url`; anything but a 2xx within `timeout` seconds is a failure."""
    deadline = time.monotonic() + timeout
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return Outcome(None, f"Not an http(s) URL: {url[:200]}")
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    try:
        port = parts.port
    except ValueError:
        return Outcome(None, "Invalid port in the webhook URL.")
    connection = connection_class(parts.hostname, port, timeout=timeout)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", target, body=body, headers={
            "Content-Type": "application/json",
            "Sendcloud-Signature": signature,
            "User-Agent": USER_AGENT,
            "Connection": "close",
        })
        _set_remaining(connection, deadline)
        response = connection.getresponse()
        remaining = MAX_RESPONSE_BYTES
        while remaining > 0:
            _set_remaining(connection, deadline)
            chunk = response.read1(min(remaining, 16384)) if hasattr(response, "read1") else response.read(remaining)
            if not chunk:
                break
            remaining -= len(chunk)
        status = response.status
    except TimeoutError:
        return Outcome(None, f"Timed out after {timeout:g} s.")
    except (OSError, http.client.HTTPException) as exc:
        return Outcome(None, f"{type(exc).__name__}: {exc}"[:300])
    finally:
        connection.close()
    if 300 <= status < 400:
        location = response.getheader("Location") or ""
        return Outcome(status, f"Redirect not followed (Location: {location[:200]}).")
    if not 200 <= status < 300:
        return Outcome(status, f"The receiver answered HTTP {status}.")
    return Outcome(status, None)


def _set_remaining(connection: http.client.HTTPConnection, deadline: float) -> None:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError("deadline passed")
    if connection.sock is not None:
        connection.sock.settimeout(remaining)
