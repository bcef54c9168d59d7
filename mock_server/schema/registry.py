"""A folder of JSON Schema files: their registry, `$ref` resolution and validators."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from .formats import FORMATS
from .view import Node

# The base URI our schema files live under: "returns-v3/return.json" is SCHEMA_BASE + that path.
SCHEMA_BASE = "https://sendcloud-mock.invalid/schemas/"


class Schemas:
    """Every *.json file of a folder (but the OpenAPI document `skip`), by relative path, in one registry."""

    def __init__(self, folder: Path, *, skip: tuple[str, ...] = ("openapi.json",)) -> None:
        self.folder = folder
        self.documents: dict[str, dict[str, Any]] = {}
        for path in sorted(folder.rglob("*.json")):
            rel = path.relative_to(folder).as_posix()
            if rel in skip:
                continue
            with path.open(encoding="utf-8") as handle:
                self.documents[rel] = json.load(handle)
        self.registry: Registry = Registry().with_resources(
            (SCHEMA_BASE + rel, Resource.from_contents(doc, default_specification=DRAFT202012))
            for rel, doc in self.documents.items()
        ).crawl()

    def resolve(self, ref: str, base: str = SCHEMA_BASE) -> Node:
        """The schema a `$ref` written in `base` points at, and its own URI (the base of its refs)."""
        uri = urljoin(base, ref)
        return self.registry.resolver().lookup(uri).contents, uri

    def node(self, rel: str) -> Node:
        """One file's schema, with its URI: where `flatten()` and `inline()` start."""
        return self.documents[rel], SCHEMA_BASE + rel

    def validator(self, schema: Mapping[str, Any]) -> Draft202012Validator:
        """A validator for a schema that may $ref our files (refs relative to the folder), checking formats."""
        rooted = dict(schema)
        rooted.setdefault("$id", SCHEMA_BASE + "__inline__.json")
        return Draft202012Validator(rooted, registry=self.registry, format_checker=FORMATS)
