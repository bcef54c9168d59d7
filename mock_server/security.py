"""Who may call an operation comes from its `security` in schemas/openapi.json.

Each operation lists the schemes that open it, as alternatives; `guard_for` turns that list
into the check the operation runs before any of its input is looked at:

- `basicAuth` + `oauth2` (the Returns APIs and label documents): the account's key and secret
  (HTTP Basic) or an OAuth2 access token (Bearer); g.account;
- `bearerAuth` alone (the Return portal): a portal JWT for the brand in the path, of the
  purpose the operation names in `x-token-purpose` (access, poller, label), sent as a Bearer
  header or, where the operation documents a `token` query parameter, there; g.claims;
- `basicAuth` + `oauth2` + `publicKey` + `bearerAuth` (Service points): any of Basic, an
  OAuth2 token, the public key as `access_token`, or a portal JWT of `x-token-purpose`
  (service_points) as `access_token` or Bearer; g.account or g.claims;
- none (`security: []`, or none given: the admin API, media, payments, the token endpoint):
  no check here.

A combination with no guard is refused when the app starts, so a new operation cannot go
unprotected by mistake.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, g, request

from .guards import account_from_header, bearer_token, check_partner_header
from .spec import ApiSpec, Operation

Guard = Callable[..., None]
API_CREDENTIALS = frozenset({"basicAuth", "oauth2"})
PORTAL_TOKEN = frozenset({"bearerAuth"})
SERVICE_POINTS = frozenset({"basicAuth", "oauth2", "publicKey", "bearerAuth"})


def _mock() -> Any:
    return current_app.extensions["sendcloud_mock"]


def api_credentials(**path_args: Any) -> None:
    """HTTP Basic with the account's key and secret, or an OAuth2 Bearer token: g.account, else 401."""
    g.account = account_from_header()
    check_partner_header()


def portal_token(purpose: str, *, in_query: bool) -> Guard:
    """A portal JWT of `purpose` for the path's brand (an unknown brand is a 404 first): g.brand and g.claims,
    loaded once for the handler."""

    def guard(brand_domain: str, **path_args: Any) -> None:
        g.brand = _mock().portal.brand(brand_domain)
        token = request.args.get("token") if in_query else None
        where = {"parameter": "token"} if token else {"header": "Authorization"}
        g.claims = _mock().tokens.verify(token or bearer_token(), purpose=purpose, brand=g.brand.domain, where=where)

    return guard


def service_points_credentials(purpose: str) -> Guard:
    """Basic, an OAuth2 token, the public key (`access_token`), or a portal JWT of `purpose`: g.account or g.claims."""

    def guard(**path_args: Any) -> None:
        mock = _mock()
        g.account, g.claims = None, None
        header = request.headers.get("Authorization", "")
        access_token = request.args.get("access_token")
        if header[:6].lower() == "basic ":
            g.account = account_from_header()
            return
        if access_token:
            # The public API key is the account's API key (its secret stays on the server side).
            g.account = mock.accounts.by_key(access_token) or mock.oauth.account_for(access_token)
            if g.account is None:
                g.claims = mock.tokens.verify(access_token, purpose=purpose, brand=None,
                                              where={"parameter": "access_token"})
            return
        token = bearer_token()
        if token is not None:
            g.account = mock.oauth.account_for(token)
            if g.account is None:
                g.claims = mock.tokens.verify(token, purpose=purpose, brand=None, where={"header": "Authorization"})
            return
        mock.tokens.verify(None, purpose=purpose, brand=None, where={"header": "Authorization"})

    return guard


def guard_for(op: Operation) -> Guard | None:
    """The check an operation's documented security asks for (None: public, or guarded elsewhere)."""
    schemes = frozenset(name for requirement in op.security for name in requirement)
    if not schemes:
        return None
    if schemes == API_CREDENTIALS:
        return api_credentials
    if schemes in (PORTAL_TOKEN, SERVICE_POINTS) and not op.token_purpose:
        raise ValueError(f"{op.operation_id}: bearerAuth needs the token's purpose in x-token-purpose")
    if schemes == PORTAL_TOKEN:
        in_query = any(p.name == "token" and p.location == "query" for p in op.parameters)
        return portal_token(op.token_purpose or "", in_query=in_query)
    if schemes == SERVICE_POINTS:
        return service_points_credentials(op.token_purpose or "")
    raise ValueError(f"{op.operation_id}: no guard for the security schemes {sorted(schemes)}")


def bind(spec: ApiSpec) -> None:
    """Give every operation the guard its security asks for (at start: a combination without one is an error)."""
    for op in spec.operations.values():
        op.guard = guard_for(op)
