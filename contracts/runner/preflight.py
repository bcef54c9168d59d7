"""Before any contract runs: is the target there, and does it take our credentials?

One request per base URL tells whether anything answers HTTP; one authenticated read
tells whether the credentials are accepted. Each failure is one line and its own exit
status (3 unreachable, 4 credentials refused), so a CI log says at once what is wrong
instead of every contract failing the same way.
"""

from __future__ import annotations

import requests

from ..contracts.context import LIST_WINDOW
from ..transport import Transport

UNREACHABLE, CREDENTIALS_REFUSED = 3, 4
CREDENTIAL_HINT = "--api-key/--api-secret or SENDCLOUD_API_KEY/SENDCLOUD_API_SECRET"


class PreflightFailed(Exception):
    """The run cannot start; `str()` is the one line to show, `code` the exit status."""

    def __init__(self, line: str, code: int) -> None:
        super().__init__(line)
        self.code = code


def reason(exc: BaseException) -> str:
    """A few words for why a request never got an answer (no traceback, no nested reprs)."""
    text = str(exc)
    if isinstance(exc, requests.Timeout):
        return "timed out"
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS handshake failed"
    if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                        requests.exceptions.InvalidSchema)):
        return "not a valid http(s) URL"
    for needle, words in (("Connection refused", "connection refused"),
                          ("Name or service not known", "host name not found"),
                          ("nodename nor servname", "host name not found"),
                          ("Temporary failure in name resolution", "host name not found"),
                          ("No address associated", "host name not found"),
                          ("Network is unreachable", "network unreachable"),
                          ("No route to host", "no route to host"),
                          ("Connection reset", "connection reset"),
                          ("RemoteDisconnected", "connection closed without an answer")):
        if needle in text:
            return words
    return (text.splitlines() or [type(exc).__name__])[0][:120]


def check_reachable(transport: Transport) -> None:
    """Every base URL the transport uses answers HTTP (any status).

    Raises PreflightFailed(3) naming the first that does not.
    """
    for base in transport.base_urls():
        try:
            transport.probe(base)
        except (requests.RequestException, OSError) as exc:
            raise PreflightFailed(f"cannot reach {transport.redact(base)} ({reason(exc)})", UNREACHABLE) from None


def check_credentials(transport: Transport) -> None:
    """An authenticated read is not refused with 401/403; PreflightFailed(4) when it is."""
    try:
        answer = transport.get("/api/v3/returns", params={**LIST_WINDOW, "page_size": 1})
    except (requests.RequestException, OSError) as exc:
        where = transport.redact(transport.base_urls()[0])
        raise PreflightFailed(f"cannot reach {where} ({reason(exc)})", UNREACHABLE) from None
    if answer.status in (401, 403):
        which = "no API key/secret given" if not transport.has_credentials else "the API key/secret were refused"
        raise PreflightFailed(f"{which}: GET /api/v3/returns on {transport.describe()} answered {answer.status}; "
                              f"give credentials with {CREDENTIAL_HINT}", CREDENTIALS_REFUSED)


def check_admin_access(transport: Transport) -> None:
    """On the fake, its admin API (fixtures, clock, accounts) answers; PreflightFailed(4) when its token is refused."""
    if not transport.is_fake:
        return
    answer = transport.admin("GET", "/fixtures")
    if answer.status in (401, 403):
        which = "no admin token given" if not transport.admin_headers() else "the admin token was refused"
        raise PreflightFailed(f"{which}: GET /__admin/fixtures on {transport.describe()} answered {answer.status}; "
                              f"give the fake's token with --admin-token or SENDCLOUD_MOCK_ADMIN_TOKEN",
                              CREDENTIALS_REFUSED)
