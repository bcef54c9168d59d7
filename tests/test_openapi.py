"""The served OpenAPI document: complete, self-contained, and the single source of shapes."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

from flask import Flask

from mock_server import Settings, create_app
from mock_server.config import resource_dir


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _refs(value)]
    return []


def test_served_document_is_self_contained(client) -> None:
    """GET /openapi.json is OpenAPI 3.1 whose every $ref points inside the document."""
    doc = client.get("/openapi.json").json
    assert doc["openapi"] == "3.1.0"
    for ref in _refs(doc):
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.split("/")[-1] in doc["components"]["schemas"], ref


def test_every_route_is_documented_and_every_operation_served(app: Flask, client) -> None:
    """Flask's routes and the document's paths are the same set (besides /openapi.json and the HTML pages)."""
    doc = client.get("/openapi.json").json
    documented = {(method.upper(), path) for path, item in doc["paths"].items()
                  for method in item if method in ("get", "post", "patch", "put", "delete")}
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ("static", "openapi.openapi_document") or rule.endpoint.startswith("inspector."):
            continue  # the inspector's pages and the example portal are HTML for people, not API operations
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule).rstrip("/") or "/"
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            served.add((method, path))
    assert served == documented


def test_adding_a_schema_field_needs_no_handler_change(tmp_path: Path, return_body, auth) -> None:
    """A property added to return.json appears in every Return: its default, or null when nullable."""
    schemas = tmp_path / "schemas"
    shutil.copytree(resource_dir("schemas"), schemas)
    path = schemas / "returns-v3" / "return.json"
    schema = json.loads(path.read_text())
    schema["properties"]["carbon_offset"] = {"type": ["number", "null"], "description": "New upstream field."}
    schema["properties"]["portal_language"] = {"type": "string", "default": "en-GB", "description": "Another."}
    path.write_text(json.dumps(schema))
    app = create_app(Settings(db=str(tmp_path / "db"), schemas=str(schemas), validate_responses=True))
    app.testing = True
    client = app.test_client()
    rid = client.post("/api/v3/returns", json=return_body(), headers=auth).json["return_id"]
    shown = client.get(f"/api/v3/returns/{rid}", headers=auth).json
    assert shown["carbon_offset"] is None and shown["portal_language"] == "en-GB"
    schemas = client.get("/openapi.json").json["components"]["schemas"]
    assert "carbon_offset" in schemas["returns-v3.return"]["properties"]


def test_schema_tightening_is_enforced_on_requests(tmp_path: Path, return_body, auth) -> None:
    """A constraint added to the request schema is enforced with no handler change."""
    schemas = tmp_path / "schemas"
    shutil.copytree(resource_dir("schemas"), schemas)
    path = schemas / "returns-v3" / "create-return-request.json"
    schema = json.loads(path.read_text())
    schema["properties"]["order_number"]["maxLength"] = 5
    path.write_text(json.dumps(schema))
    app = create_app(Settings(db=str(tmp_path / "db"), schemas=str(schemas)))
    response = app.test_client().post("/api/v3/returns", json=return_body(), headers=auth)
    assert response.status_code == 400
    assert response.json["errors"][0]["source"] == {"pointer": "/order_number"}
