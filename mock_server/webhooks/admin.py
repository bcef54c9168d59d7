"""Blueprint: webhook configuration and the delivery log, under /__admin (behind the admin guard)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app

from ..errors import ApiError
from ..operations import Reply, operation

bp = Blueprint("webhooks_admin", __name__, url_prefix="/__admin")


def webhooks():
    return current_app.extensions["sendcloud_mock_webhooks"]


def _known_account(api_key: str) -> None:
    """An account must exist, except with open accounts (it may be configured before its first request)."""
    hooks = webhooks()
    if hooks.store.account_row(api_key) is None and not hooks.open_accounts:
        raise ApiError.one(404, "not_found", f"No account has the API key {api_key!r}.")


def _configured(api_key: str):
    _known_account(api_key)
    config = webhooks().store.config(api_key)
    if config is None:
        raise ApiError.one(404, "not_found", "This account has no webhook configured.")
    return config


@bp.get("/accounts/<api_key>/webhook")
@operation("admin_webhook_get")
def get_webhook(params: dict[str, Any], body: None) -> Reply:
    return Reply(200, _configured(params["api_key"]).describe())


@bp.put("/accounts/<api_key>/webhook")
@operation("admin_webhook_put")
def put_webhook(params: dict[str, Any], body: dict[str, Any]) -> Reply:
    _known_account(params["api_key"])
    hooks = webhooks()
    config = hooks.store.put(params["api_key"], url=body["url"], signature_key=body.get("signature_key"),
                             events=body.get("events"))
    hooks.dispatcher.ensure_running()
    return Reply(200, config.describe())


@bp.delete("/accounts/<api_key>/webhook")
@operation("admin_webhook_delete")
def delete_webhook(params: dict[str, Any], body: None) -> Reply:
    _configured(params["api_key"])
    return Reply(200, {"deleted": webhooks().store.delete(params["api_key"])})


@bp.post("/accounts/<api_key>/webhook/test")
@operation("admin_webhook_test")
def test_webhook(params: dict[str, Any], body: None) -> Reply:
    config = _configured(params["api_key"])
    hooks = webhooks()
    delivery_id = hooks.store.add_test(params["api_key"], config)
    hooks.send_now(params["api_key"], delivery_id)
    return Reply(200, hooks.store.delivery(delivery_id))


@bp.get("/webhooks/deliveries")
@operation("admin_webhook_deliveries")
def deliveries(params: dict[str, Any], body: None) -> Reply:
    found = webhooks().store.deliveries(account=params.get("account"), event=params.get("event"),
                                        status=params.get("status"), limit=params.get("limit", 100))
    return Reply(200, {"deliveries": found})


@bp.get("/webhooks/deliveries/<int:id>")
@operation("admin_webhook_delivery")
def delivery(params: dict[str, Any], body: None) -> Reply:
    found = webhooks().store.delivery(params["id"])
    if found is None:
        raise ApiError.one(404, "not_found", "No webhook delivery has this id.")
    return Reply(200, found)


@bp.post("/webhooks/deliveries/<int:id>/redeliver")
@operation("admin_webhook_redeliver")
def redeliver(params: dict[str, Any], body: None) -> Reply:
    hooks = webhooks()
    new_id = hooks.store.redeliver(params["id"])
    if new_id is None:
        raise ApiError.one(404, "not_found", "No webhook delivery has this id.")
    original = hooks.store.delivery(new_id)
    hooks.send_now(original["account"], new_id)
    return Reply(201, hooks.store.delivery(new_id))
