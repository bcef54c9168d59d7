"""The inspector's sign-in: `/__admin/ui?token=...` trades the admin token for a cookie.

The cookie holds the admin token itself, HttpOnly (page scripts cannot read it),
SameSite=Strict (no other site's page or link sends it) and scoped to /__admin. The admin
guard accepts it like `Authorization: Bearer`, so the inspector's pages and the admin calls
they make work in a browser that cannot set headers on a link or a form.
"""

from __future__ import annotations

import hmac

from flask import request

COOKIE = "sendcloud_mock_admin"
SIGN_IN_PATHS = ("/__admin/ui", "/__admin/ui/")


def cookie_matches(token: str) -> bool:
    given = request.cookies.get(COOKIE)
    return given is not None and hmac.compare_digest(given.encode("utf-8", "replace"), token.encode())


def signing_in() -> bool:
    """A GET of the inspector's landing page with ?token=: its view checks the token itself."""
    return request.method == "GET" and request.path in SIGN_IN_PATHS and "token" in request.args
