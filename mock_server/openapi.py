"""Blueprint: the OpenAPI document the fake serves, bundled from schemas/ once per app."""

from __future__ import annotations

from flask import Blueprint, Response, current_app

from .operations import json_response

bp = Blueprint("openapi", __name__)


@bp.get("/openapi.json")
def openapi_document() -> Response:
    return json_response(current_app.extensions["sendcloud_mock"].spec.served_openapi)
