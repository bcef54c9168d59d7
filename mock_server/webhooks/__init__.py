"""Webhooks as Sendcloud sends them, computed from the fake's clock.

`install(app)` adds the tables, the admin blueprint and the hooks: a delivery thread per
worker process (started on the first request once any webhook is configured), a bounded
wait after admin clock moves, and clearing on reset.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass

from flask import Flask, Response, request

from ..operations import body_for_hooks
from .dispatcher import Dispatcher
from .events import EVENTS, PARCEL_STATUS_CHANGED, RETURN_CREATED
from .models import MAX_ATTEMPTS, RETRY_DELAYS, WebhookStore, fixture_webhooks, sign

__all__ = ["EVENTS", "MAX_ATTEMPTS", "PARCEL_STATUS_CHANGED", "RETRY_DELAYS", "RETURN_CREATED", "Webhooks",
           "install", "sign"]

# Admin calls that move a clock (the global one or an account's) wait for what became due.
CLOCK_MOVE = re.compile(r"^/__admin/(?:accounts/[^/]+/)?clock/advance/?$")
RESET = re.compile(r"^/__admin/(?:accounts/(?P<account>[^/]+)/)?reset/?$")
ACCOUNT = re.compile(r"^/__admin/accounts/(?P<account>[^/]+)/?$")
ACCOUNTS = re.compile(r"^/__admin/accounts/?$")


@dataclass
class Webhooks:
    store: WebhookStore
    dispatcher: Dispatcher
    open_accounts: bool
    settle_bound: float
    base_url: str
    max_body_bytes: int

    def send_now(self, account: str, delivery_id: int) -> None:
        """Attempt one delivery in this request, waiting (within the bound) for the account's one in flight."""
        deadline = time.monotonic() + self.settle_bound
        while not self.dispatcher.deliver_one(account, only=delivery_id):
            delivery = self.store.delivery(delivery_id)
            if delivery is None or delivery["attempts"] or time.monotonic() >= deadline:
                return
            time.sleep(0.01)


def install(app: Flask) -> Webhooks:
    mock = app.extensions["sendcloud_mock"]
    settings = mock.settings
    store = WebhookStore(mock.store, mock.clock, mock.returns, fixture_webhooks(mock.fixtures),
                         timeout=float(settings.webhook_timeout))
    hooks = Webhooks(store=store, dispatcher=None,  # type: ignore[arg-type]
                     open_accounts=settings.open_accounts,
                     settle_bound=float(settings.webhook_settle),
                     base_url=f"http://{settings.host}:{settings.port}/",
                     max_body_bytes=settings.max_body_bytes)
    hooks.dispatcher = Dispatcher(store, version=mock.store.data_version, base_url=lambda: hooks.base_url)
    app.extensions["sendcloud_mock_webhooks"] = hooks

    from .admin import bp

    app.register_blueprint(bp)

    @app.after_request
    def _after(response: Response) -> Response:
        if request.path.startswith("/api/") or request.path.startswith("/__admin"):
            hooks.base_url = f"{request.scheme}://{request.host}/"
        if response.status_code < 300 and request.path.startswith("/__admin"):
            _follow_admin_change(hooks, response)
        if not hooks.dispatcher.running_here() and store.any_configured():
            hooks.dispatcher.ensure_running()
        return response

    return hooks


def _follow_admin_change(hooks: Webhooks, response: Response) -> None:
    """Keep webhooks in step with admin calls other modules serve: clock moves, resets, clones, deletions."""
    store = hooks.store
    raw = body_for_hooks(hooks.max_body_bytes) if request.is_json else None
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = None
    body = body if isinstance(body, dict) else {}
    if request.method == "POST" and CLOCK_MOVE.match(request.path):
        if store.any_configured():
            hooks.dispatcher.ensure_running()
            hooks.dispatcher.settle(hooks.settle_bound)
    elif request.method == "POST" and (reset := RESET.match(request.path)):
        account = reset.group("account") or body.get("account") or request.args.get("account")
        store.clear(account if isinstance(account, str) else None)
    elif request.method == "POST" and ACCOUNTS.match(request.path) and isinstance(body.get("from"), str):
        created = response.get_json(silent=True) or {}
        if isinstance(created.get("api_key"), str):
            store.copy_config(body["from"], created["api_key"])
    elif request.method == "DELETE" and (deleted := ACCOUNT.match(request.path)):
        store.forget(deleted.group("account"))
