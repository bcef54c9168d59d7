"""`drift --spec`: our schema files against a (newer) published OpenAPI document.

Each of our files is paired with the upstream schema it was written from (the pairs of
tests/test_schemas_match_upstream.py); pairs whose upstream pointer the document lacks are
skipped. Both sides are flattened ($ref, allOf, anyOf, nullable) and compared property by
property. Kinds and severities:

- field_added / field_removed (upstream has a property we lack / we have one it lacks): info,
  our schemas allow unknown members either way;
- enum_value_added: error, a value Sendcloud may send or accept that our schemas refuse;
  enum_value_removed: info;
- required_added / required_removed: error, one side now refuses what the other accepts;
- type_changed: error; constraint_changed (length, bounds, pattern, format): info.

Differences that were reviewed and are intended (KNOWN) are reported as info with the reason.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mock_server.schema import Node, Resolve, View, flatten, follow
from mock_server.spec import ApiSpec

from .checks import ERROR, INFO, Finding
from .drift import DriftReport

RETURN_LIST_200 = "#/paths/~1returns/get/responses/200/content/application~1json/schema"
# Which upstream component each of our schema files was written from (tests/test_schemas_match_upstream.py
# checks the same pairs, imported from here).
PAIRS: dict[str, str] = {
    "common/address.json": "#/components/schemas/address",
    "common/address-required.json": "#/components/schemas/address-with-required-fields",
    "common/weight.json": "#/components/schemas/weight",
    "common/dimension.json": "#/components/schemas/dimension",
    "common/price.json": "#/components/schemas/price",
    "common/price-any-currency.json": "#/components/schemas/price-with-any-currency",
    "common/price-string.json": "#/components/schemas/Price",
    "common/required-price.json": "#/components/schemas/required-price",
    "common/delivery-option.json": "#/components/schemas/DeliveryOption",
    "common/customs-information.json": "#/components/schemas/parcel-customs-information",
    "common/shipping-functionalities.json": "#/components/schemas/carrier-shipping-functionalities",
    "common/tax-number.json": "#/components/schemas/TaxNumber",
    "common/dangerous-goods.json": "#/components/schemas/dangerous-goods",
    "returns-v3/ship-with.json": "#/components/schemas/ShipWith",
    "returns-v3/parcel-item-create.json": "#/components/schemas/parcel-item-returns-create",
    "returns-v3/parcel-item-details.json": "#/components/schemas/parcel-item-returns-details",
    "returns-v3/return-reason.json": "#/components/schemas/return-reason",
    "returns-v3/return-refund.json": "#/components/schemas/return-refund",
    "returns-v3/tracking-status.json": "#/components/schemas/detailed-tracking-blob-status",
    "returns-v3/return.json": "#/components/schemas/Return",
    "returns-v3/return-validation.json": "#/components/schemas/ReturnValidation",
    "returns-v3/create-return-request.json": "#/components/requestBodies/CreateReturn/content/application~1json/schema",
    "returns-v3/create-return-response.json": "#/paths/~1returns/post/responses/201/content/application~1json/schema",
    "returns-v3/cancel-accepted.json":
        "#/paths/~1returns~1{id}~1cancel/patch/responses/202/content/application~1json/schema",
    "returns-v3/cancel-conflict.json":
        "#/paths/~1returns~1{id}~1cancel/patch/responses/409/content/application~1json/schema",
    "returns-v3/return-list.json": RETURN_LIST_200,
    "errors/v3-error-object.json": "#/components/schemas/ErrorObject",
    "errors/portal-error.json": "#/components/responses/400/content/application~1json/schema",
}

# The v2 OpenAPI for Returns and Service points (a community merge of sendcloud.dev's v2 files,
# down-converted to OpenAPI 3.0): its own pairs, since its component names overlap the v3 file's.
V2_PAIRS: dict[str, str] = {
    "returns-v2/return.json": "#/components/schemas/Return",
    "returns-v2/parcel-data.json": "#/components/schemas/ReturnParcel",
    "returns-v2/return-list.json": "#/paths/~1returns/get/responses/200/content/application~1json/schema",
    "service-points/service-point.json": "#/components/schemas/service-point",
    "service-points/service-point-list.json":
        "#/paths/~1service-points/get/responses/200/content/application~1json/schema",
    "errors/v2-error.json": "#/components/responses/404/content/application~1json/schema",
}
# The merge lost `type: [x, "null"]` unions: a null we allow that it does not is unknown, not drift.
V2_NULL_REASON = "the v2 merged file lost its `type: [x, null]` unions; a missing null there is unknown"
# It lists no required members in its answers either: what we require is what the fake always sends.
V2_REQUIRED_REASON = "the v2 merged file lists no required members in its answers; ours are what the fake always sends"


def pairs_for(document: dict[str, Any]) -> tuple[dict[str, str], bool]:
    """The pairs a document is compared by, and whether its missing nulls are unknown (the v2 file)."""
    servers = [str(server.get("url", "")) for server in document.get("servers", []) if isinstance(server, dict)]
    if any(url.rstrip("/").endswith("/api/v2") for url in servers):
        return V2_PAIRS, True
    return PAIRS, False


_ERRORS_REQUIRED = "our error objects always carry status, code, title and detail; upstream lists none"
_RETURN_KNOWN = {
    ("/id", "field_removed"): "our Return adds the return's own id so list items can be looked up",
    ("/errors/*", "required_removed"): _ERRORS_REQUIRED,
    ("/refund", "type_changed"): "upstream writes $ref beside type [object, null], which never admits null under "
                                 "2020-12; we leave the field out instead",
    ("/return_fee", "type_changed"): "as refund",
}
KNOWN: dict[tuple[str, str, str], str] = {
    **{("returns-v3/return.json", path, kind): why for (path, kind), why in _RETURN_KNOWN.items()},
    **{("returns-v3/return-list.json", "/data/*" + path, kind): why for (path, kind), why in _RETURN_KNOWN.items()},
    ("returns-v3/return-list.json", "", "required_removed"): "the page always carries next, previous and data",
    ("returns-v3/create-return-request.json", "/parcel_items", "constraint_changed"):
        "upstream states no bound on parcel items; the fake takes at most 100 (bounded memory)",
    ("returns-v3/return-list.json", "/next", "type_changed"): "null on the last page",
    ("returns-v3/return-list.json", "/previous", "type_changed"): "null on the first page",
    ("errors/v3-error-object.json", "", "required_removed"): _ERRORS_REQUIRED,
    ("errors/portal-error.json", "", "required_removed"): "the v2 error body always has its 'error' member",
    ("errors/portal-error.json", "/error", "required_removed"): "v2 errors always carry code, message and request",
    ("errors/v2-error.json", "", "required_removed"): "the v2 error body always has its 'error' member",
    ("errors/v2-error.json", "/error", "required_removed"): "v2 errors always carry code, message and request",
    **{(rel, prefix + path, "type_changed"): "upstream leaves a rule's value untyped; the fake sends the text it shows"
       for rel, prefix in (("returns-v2/return.json", ""), ("returns-v2/return-list.json", "/returns/*"))
       for path in ("/rule_modifications/*/value", "/incoming_parcel_data/rules/*/modifications/*/value")},
}
SEVERITY = {"field_added": INFO, "field_removed": INFO, "enum_value_added": ERROR, "enum_value_removed": INFO,
            "enum_added": INFO, "enum_removed": ERROR, "required_added": ERROR, "required_removed": ERROR,
            "type_changed": ERROR, "constraint_changed": INFO}
COMPARED_KEYWORDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength",
                     "minItems", "maxItems", "pattern", "format")
FORMAT_ALIASES: dict[str, str | None] = {"url": "uri", "int32": None, "int64": None, "double": None, "float": None}

def load_document(path: str | Path) -> dict[str, Any]:
    """An OpenAPI document from YAML or JSON."""
    text = Path(path).read_text(encoding="utf-8")
    if str(path).endswith(".json"):
        return json.loads(text)
    import yaml

    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not YAML: {exc}") from None
    if not isinstance(document, dict):
        raise ValueError(f"{path}: not an OpenAPI document")
    return document


def keywords(view: View) -> dict[str, Any]:
    """The constraints compared, with upstream's format names read as ours (and numeric formats dropped)."""
    out = {}
    for key in COMPARED_KEYWORDS:
        if key in view.keywords:
            value = view.keywords[key]
            if key == "format":
                value = FORMAT_ALIASES.get(value, value)
            if value is not None:
                out[key] = value
    return out


class _Comparison:
    def __init__(self, rel: str, upstream_ref: str, ours: Resolve, theirs: Resolve, *,
                 null_unknown: bool = False) -> None:
        self.rel, self.upstream_ref = rel, upstream_ref
        self.ours, self.theirs = ours, theirs
        self.null_unknown = null_unknown
        self.findings: list[Finding] = []

    def note(self, path: str, kind: str, detail: str, reason: str | None = None) -> None:
        reason = reason or KNOWN.get((self.rel, path, kind))
        if reason is None and self.null_unknown and kind == "required_removed":
            reason = V2_REQUIRED_REASON
        severity = INFO if reason else SEVERITY[kind]
        if reason:
            detail += f" (known: {reason})"
        self.findings.append(Finding(self.rel, path, kind, severity, detail, upstream=self.upstream_ref))

    def compare(self, ours: Node, theirs: Node, path: str = "", depth: int = 0) -> None:
        if depth > 30:
            return
        o, u = flatten(*ours, self.ours), flatten(*theirs, self.theirs)
        ours_types, their_types = o.object_types, u.object_types
        if ours_types != their_types:
            only_null = (self.null_unknown and ours_types is not None and their_types is not None
                         and ours_types - {"null"} == their_types - {"null"})
            self.note(path, "type_changed", f"ours {_fmt(ours_types)}, upstream {_fmt(their_types)}",
                      V2_NULL_REASON if only_null else None)
        self._enums(path, o.enum, u.enum)
        for name in sorted(u.required - o.required):
            self.note(path, "required_added", f"upstream requires {name!r}, we do not")
        for name in sorted(o.required - u.required):
            self.note(path, "required_removed", f"we require {name!r}, upstream does not")
        for name in sorted(set(u.properties) - set(o.properties)):
            self.note(f"{path}/{name}", "field_added", f"upstream documents {name!r}, our schema does not")
        for name in sorted(set(o.properties) - set(u.properties)):
            self.note(f"{path}/{name}", "field_removed", f"our schema has {name!r}, upstream does not")
        ours_kw, their_kw = keywords(o), keywords(u)
        for key in sorted(set(ours_kw) | set(their_kw)):
            if ours_kw.get(key) != their_kw.get(key):
                self.note(path, "constraint_changed",
                          f"{key}: ours {ours_kw.get(key)!r}, upstream {their_kw.get(key)!r}")
        for name in sorted(set(o.properties) & set(u.properties)):
            self.compare(o.properties[name], u.properties[name], f"{path}/{name}", depth + 1)
        if o.items is not None and u.items is not None:
            self.compare(o.items, u.items, f"{path}/*", depth + 1)

    def _enums(self, path: str, ours: frozenset[str] | None, theirs: frozenset[str] | None) -> None:
        if ours == theirs:
            return
        if ours is None:
            self.note(path, "enum_added", f"upstream restricts the value to {sorted(theirs or [])}")
        elif theirs is None:
            self.note(path, "enum_removed", f"upstream allows any value; ours only {sorted(ours)}")
        else:
            for value in sorted(theirs - ours):
                self.note(path, "enum_value_added", f"upstream allows {value}, our enum does not")
            for value in sorted(ours - theirs):
                self.note(path, "enum_value_removed", f"our enum allows {value}, upstream does not")


def _fmt(values: frozenset[str] | None) -> str:
    return "any" if values is None else "[" + ", ".join(sorted(values)) + "]"


def compare_with(spec: ApiSpec, document: dict[str, Any], label: str) -> DriftReport:
    """Every pair whose upstream schema the document has, compared; a report of the differences."""

    def theirs(ref: str, base: str) -> Node:
        if not ref.startswith("#/"):
            raise ValueError(f"only document-internal refs are supported upstream, not {ref!r}")
        return follow(document, ref), base

    report = DriftReport(label, source="spec")
    pairs, null_unknown = pairs_for(document)
    for rel, upstream_ref in pairs.items():
        try:
            upstream = follow(document, upstream_ref)
        except (KeyError, TypeError, IndexError):
            continue
        comparison = _Comparison(rel, upstream_ref, spec.schemas.resolve, theirs, null_unknown=null_unknown)
        comparison.compare(spec.schemas.node(rel), (upstream, ""))
        report.findings.extend(comparison.findings)
        report.endpoints.append({"endpoint": rel, "upstream": upstream_ref, "findings": len(comparison.findings)})
    return report
