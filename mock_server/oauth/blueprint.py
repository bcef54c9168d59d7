"""Blueprint: ``POST /oauth2/token/`` (and without the slash), the client credentials grant.

Sendcloud's token URL is ``https://account.sendcloud.com/oauth2/token/``; the fake serves it
under its one base URL. The client authenticates with the account's API key and secret as
client id and secret, by HTTP Basic or by form fields (RFC 6749 §2.3.1). Errors are the
RFC 6749 §5.2 body, never the API's own format.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote_plus

from flask import Blueprint, Response, current_app, request
from werkzeug.datastructures import Authorization, MultiDict

from ..errors import ApiError
from ..operations import check_response
from .models import SCOPE, OAuthError

bp = Blueprint("oauth", __name__)

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_PARAMETERS = ("grant_type", "client_id", "client_secret", "scope")


@bp.post("/oauth2/token")
def token() -> Response:
    mock = current_app.extensions["sendcloud_mock"]
    try:
        form = _form()
        client_id, client_secret, by_header = _client_credentials(form)
        grant = form.get("grant_type")
        if not grant:
            raise OAuthError(400, "invalid_request", 'The request is missing the "grant_type" parameter.')
        account = _authenticate(client_id, client_secret, by_header)
        if grant != "client_credentials":
            raise OAuthError(400, "unsupported_grant_type",
                             f'The grant type "{grant[:40]}" is not supported; use "client_credentials".')
        scopes = (form.get("scope") or SCOPE).split()
        unknown = [s for s in scopes if s != SCOPE]
        if unknown:
            raise OAuthError(400, "invalid_scope",
                             f'The scope "{unknown[0][:40]}" is unknown; the only scope is "api".')
        issued = mock.oauth.issue(account)
    except OAuthError as error:
        return _answer(error.status, error.body(), {**error.headers, **NO_STORE})
    return _answer(200, issued.body(), NO_STORE)


def _form() -> MultiDict[str, str]:
    """The parameters: a form body as RFC 6749 says, or a JSON object, which many clients send."""
    if request.mimetype == "application/json" or request.mimetype.endswith("+json"):
        try:
            data = json.loads(request.get_data(cache=True) or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise OAuthError(400, "invalid_request", "The request body is not valid JSON.") from None
        if not isinstance(data, dict):
            raise OAuthError(400, "invalid_request", "The request body must be a JSON object.")
        form: MultiDict[str, str] = MultiDict()
        for name in _PARAMETERS:
            value = data.get(name)
            if value is not None:
                if not isinstance(value, str):
                    raise OAuthError(400, "invalid_request", f'The "{name}" parameter must be a string.')
                form.add(name, value)
        return form
    if request.content_length and request.mimetype not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        raise OAuthError(400, "invalid_request",
                         "Send the parameters as application/x-www-form-urlencoded (RFC 6749 §4.4.2).")
    for name in _PARAMETERS:
        if len(request.form.getlist(name)) > 1:
            raise OAuthError(400, "invalid_request", f'The "{name}" parameter was given more than once.')
    return MultiDict({name: request.form[name] for name in _PARAMETERS if name in request.form})


def _client_credentials(form: MultiDict[str, str]) -> tuple[str, str, bool]:
    """(client id, client secret, whether they came in the Authorization header)."""
    header = request.authorization
    in_form = form.get("client_id") is not None or form.get("client_secret") is not None
    if header is not None and header.type == "basic":
        key, secret = header.username or "", header.password or ""
        if in_form and (form.get("client_id", key) not in (key, unquote_plus(key))
                        or form.get("client_secret", secret) not in (secret, unquote_plus(secret))):
            raise OAuthError(400, "invalid_request", "The client authenticated in two different ways.")
        return key, secret, True
    if header is not None:
        raise OAuthError(401, "invalid_client", "Authenticate the client with HTTP Basic or the form fields "
                                                "client_id and client_secret.",
                         {"WWW-Authenticate": 'Basic realm="oauth2"'})
    if not in_form or not form.get("client_id"):
        raise OAuthError(401, "invalid_client", "Client authentication failed: no client credentials.",
                         {"WWW-Authenticate": 'Basic realm="oauth2"'})
    return form["client_id"], form.get("client_secret", ""), False


def _authenticate(client_id: str, client_secret: str, by_header: bool) -> Any:
    """The account whose API key and secret these are; in the header they may be form-encoded."""
    accounts = current_app.extensions["sendcloud_mock"].accounts
    tries = [(client_id, client_secret)]
    if by_header and (unquote_plus(client_id), unquote_plus(client_secret)) != tries[0]:
        tries.append((unquote_plus(client_id), unquote_plus(client_secret)))
    for key, secret in tries:
        try:
            return accounts.authenticate(Authorization("basic", {"username": key, "password": secret}))
        except ApiError:
            continue
    headers = {"WWW-Authenticate": 'Basic realm="oauth2"'} if by_header else {}
    raise OAuthError(401, "invalid_client", "Client authentication failed: unknown client or wrong secret.", headers)


def _answer(status: int, body: dict[str, Any], headers: dict[str, str]) -> Response:
    mock = current_app.extensions["sendcloud_mock"]
    if mock.settings.validate_responses:
        check_response(mock.spec.operations["oauth2_token"], status, body)
    return Response(json.dumps(body, separators=(",", ":")), status=status, mimetype="application/json",
                    headers=headers)
