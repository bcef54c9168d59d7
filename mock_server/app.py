"""The app factory: one Flask app per fake instance, settings read here, never at import time."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from flask import Flask, Request, current_app, g, request
from werkzeug.datastructures import Authorization
from werkzeug.exceptions import HTTPException

from . import admin_access, cors, security
from .accounts import Accounts
from .clock import Clock
from .config import Settings, resource_dir
from .errors import ApiError, Style
from .faults import Faults
from .journal import RequestJournal
from .journal import install as install_journal
from .oauth import OAuthTokens
from .operations import ResponseContractViolation, json_response
from .portal.models import PortalBackend
from .returns.models import ReturnsBackend
from .scope import request_account
from .seeding import load as load_fixtures
from .seeding import seed
from .service_points import ServicePointIndex
from .spec import ApiSpec
from .store import Store, open_store
from .tokens import TokenService
from .webhooks import install as install_webhooks

log = logging.getLogger("sendcloud_mock")

class SafeRequest(Request):
    """A request whose hostile headers cannot raise: an `Authorization` header that does not
    decode (non-ASCII bytes, bad base64, not UTF-8) reads as no credentials, so it is a 401."""

    @property
    def authorization(self) -> Authorization | None:
        try:
            return super().authorization
        except (ValueError, UnicodeError, TypeError):
            return None


class FakeFlask(Flask):
    """Flask, deciding once per function (not once per request and hook) that it is not async."""

    def ensure_sync(self, func: Any) -> Any:
        known: dict[Any, Any] = self.__dict__.setdefault("_ensured", {})
        try:
            return known[func]
        except KeyError:
            if len(known) > 4096:  # bound methods of many objects: keep the memo small
                known.clear()
            made = known[func] = super().ensure_sync(func)
            return made
        except TypeError:  # an unhashable callable
            return super().ensure_sync(func)


@dataclass
class MockState:
    """Everything one app instance holds; shared by its requests, rebuilt by each factory call."""

    settings: Settings
    store: Store
    clock: Clock
    spec: ApiSpec
    accounts: Accounts
    returns: ReturnsBackend
    fixtures: dict[str, Any]
    tokens: TokenService
    points: ServicePointIndex
    portal: PortalBackend
    faults: Faults
    journal: RequestJournal
    oauth: OAuthTokens


def create_app(settings: Settings | None = None, **overrides: Any) -> Flask:
    """Build a fake: its store (temporary unless settings.db), fixtures loaded when empty."""
    settings = settings or Settings.from_env()
    if overrides:
        settings = settings.with_(**overrides)
    app = FakeFlask(__name__)
    app.request_class = SafeRequest
    app.config.update(MAX_CONTENT_LENGTH=None, JSON_SORT_KEYS=False)
    # Django-based production answers every path with and without its trailing slash. With
    # strict slashes off, each rule (whichever blueprint adds it, now or later) matches both
    # spellings directly: no redirect, so a POST stays a POST.
    app.url_map.strict_slashes = False
    store = open_store(settings.db)
    clock = Clock(store)
    accounts = Accounts(store, open_accounts=settings.open_accounts, max_open_accounts=settings.max_open_accounts)
    fixtures = load_fixtures(settings.fixtures_dir)
    seed(store, accounts, fixtures, only_if_empty=True)
    returns = ReturnsBackend(store, clock, accounts, settings)
    points = ServicePointIndex.load(settings.fixtures_dir / "service_points.json"
                                    if (settings.fixtures_dir / "service_points.json").exists()
                                    else resource_dir("fixtures") / "service_points.json")
    app.extensions["sendcloud_mock"] = MockState(
        settings=settings,
        store=store,
        clock=clock,
        spec=ApiSpec(settings.schemas_dir),
        accounts=accounts,
        returns=returns,
        fixtures=fixtures,
        tokens=TokenService(store, clock, secret=settings.jwt_secret, ttl=settings.token_ttl),
        points=points,
        portal=PortalBackend(store, returns, points),
        faults=Faults(store, clock),
        journal=RequestJournal(store, size=settings.journal_size),
        oauth=OAuthTokens(store, clock, accounts, ttl=settings.token_ttl),
    )
    security.bind(app.extensions["sendcloud_mock"].spec)  # each operation's guard, from its documented security
    admin_access.install(app, token=settings.admin_token, allowed_hosts=settings.allowed_host)
    _register_fault_injection(app)
    _register_request_scope(app)
    _register_blueprints(app)
    install_webhooks(app)
    _register_error_handlers(app)
    install_journal(app)
    cors.install(app)
    return app


def _register_fault_injection(app: Flask) -> None:
    """Before anything else (auth included), apply the first matching fault rule."""

    @app.before_request
    def _inject_fault():
        app.extensions["sendcloud_mock"].store.begin_request()
        if request.path.startswith("/__admin"):
            return None
        mock = app.extensions["sendcloud_mock"]
        hit = mock.faults.match(request.method, request.path, request.headers,
                                account=lambda: request_account(mock.store, request))
        if hit is None:
            return None
        g.fault_rule = hit.label
        if hit.delay_ms:
            time.sleep(hit.delay_ms / 1000)
        if hit.status is None:
            return None
        body = hit.body
        if body is None and hit.status >= 400:
            code = {429: "rate_limited"}.get(hit.status, "injected_fault")
            body = ApiError.one(hit.status, code, f"Injected by fault rule: {hit.label}.").render(
                error_style(), request.path)
        return json_response(body if body is not None else {}, hit.status, hit.headers)


def _register_request_scope(app: Flask) -> None:
    @app.teardown_request
    def _end(_: BaseException | None) -> None:
        app.extensions["sendcloud_mock"].store.end_request()


def _register_blueprints(app: Flask) -> None:
    from . import admin, openapi
    from .inspector import blueprint as inspector
    from .oauth import blueprint as oauth
    from .portal import blueprint as portal
    from .portal import media, payments
    from .returns import documents, v2, v3
    from .service_points import blueprint as service_points

    for blueprint in (v3.bp, v2.bp, documents.bp, portal.bp, service_points.bp, oauth.bp, media.bp, payments.bp,
                      admin.bp, inspector.bp,
                      openapi.bp):
        app.register_blueprint(blueprint)


def error_style() -> Style:
    """The error format of this request: its operation's documented one, else by path.

    Returns v2 and Service points answer {"error": {"code": <HTTP status>}}, the Return portal
    (and announce-synchronously, and /__admin) a string code, the v3 APIs JSON:API errors.
    """
    state = current_app.extensions["sendcloud_mock"]
    view = current_app.view_functions.get(request.endpoint or "")
    operation_id = getattr(g, "operation_id", None) or getattr(view, "operation_id", None)
    op = state.spec.operations.get(operation_id) if operation_id else None
    if op is not None and op.error_style is not None:
        return op.error_style
    # No documented operation answers (an unknown path, a wrong method): its neighbours in the document decide.
    return state.spec.nearest_error_style(request.path) or "v2"


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(error: ApiError):
        return json_response(error.render(error_style(), request.path), error.status, error.headers)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(error.code or 500, "invalid")
        detail = {404: "Not found.", 405: f'Method "{request.method}" not allowed.'}.get(
            error.code or 500, error.description or "Bad request.")
        api_error = ApiError.one(error.code or 500, code, detail)
        allowed = getattr(error, "valid_methods", None)  # only a MethodNotAllowed has them
        headers = {"Allow": ", ".join(allowed)} if allowed else {}
        return json_response(api_error.render(error_style(), request.path), error.code or 500, headers)

    store = app.extensions["sendcloud_mock"].store

    def _storage(error: Exception):
        if not store.is_storage_failure(error):
            return _unexpected(error)
        log.error("the store refused a write on %s %s: %s", request.method, request.path, error)
        if "full" in str(error).lower():
            api_error = ApiError.one(507, "insufficient_storage", "The fake's store is full (no disk space left); "
                                     "reads still answer, writes resume when space is freed.")
        else:
            api_error = ApiError.one(503, "service_unavailable", "The fake's store cannot be written right now "
                                     f"({error}); reads still answer.", headers={"Retry-After": "5"})
        return json_response(api_error.render(error_style(), request.path), api_error.status, api_error.headers)

    for kind in store.database_errors:
        app.register_error_handler(kind, _storage)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        if app.testing or isinstance(error, ResponseContractViolation):
            # Surface the bug in the test (or the log) instead of hiding it behind a 500.
            log.error("response contract violated or unexpected error on %s %s", request.method, request.path,
                      exc_info=error)
            if app.testing:
                raise error
        else:
            log.exception("unexpected error on %s %s", request.method, request.path)
        api_error = ApiError.one(500, "server_error", "Something went wrong on our side.")
        return json_response(api_error.render(error_style(), request.path), 500)
