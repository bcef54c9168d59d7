"""Live drift: read the GET operations the OpenAPI document marks and judge each answer against our schemas.

Which operations are read, and with what, comes from schemas/openapi.json: a GET operation
with an `x-drift` member is visited, taking its path and query values from `x-drift`
(literals, or "@name" for a value known by then: the identifiers given, or one an earlier
answer yielded through its `collect` pointers), at most `limit` times; an operation whose
values are not known is not visited. Only GET requests are sent (the transport is
read-only). The report lists findings as `{"endpoint", "path", "kind", "severity",
"detail", "count"}`; the same drift in every item of a list is one finding with a count.
Undocumented fields are info; everything our schemas forbid, and unexpected statuses, are
errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

import requests

from mock_server.spec import ApiSpec, Operation

from .checks import ERROR, INFO, Finding, check_answer, merge
from .contracts.context import Context
from .transport import Answer


@dataclass
class DriftReport:
    target: str
    findings: list[Finding] = field(default_factory=list)
    endpoints: list[dict[str, Any]] = field(default_factory=list)
    source: str = "live"

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    def exit_code(self) -> int:
        return 1 if self.errors else 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "source": self.source,
            "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "summary": {"errors": len(self.errors), "info": sum(1 for f in self.findings if f.severity == INFO),
                        "endpoints": len(self.endpoints)},
            "findings": [f.to_dict() for f in self.findings],
            "endpoints": self.endpoints,
        }


class _Visitor:
    """Sends the GETs and collects what each answer shows."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.findings: list[Finding] = []
        self.endpoints: list[dict[str, Any]] = []

    def visit(self, operation_id: str, url: str, *, params: dict[str, Any] | None = None, auth: str | None = "basic",
              bearer: str | None = None) -> Any:
        """GET and judge; the JSON body when the answer was a 200, else None."""
        op = self.ctx.spec.operations[operation_id]
        endpoint = f"{op.method} {op.path}"
        try:
            answer = self.ctx.transport.get(url, params=params, auth=auth, bearer=bearer)
        except requests.RequestException as exc:
            self.findings.append(Finding(endpoint, "", "unreachable", ERROR, self.ctx.transport.redact(exc)))
            self.endpoints.append({"endpoint": endpoint, "status": None, "findings": 1})
            return None
        found = check_answer(self.ctx.spec, operation_id, answer, expected=[200], endpoint=endpoint)
        self.findings.extend(found)
        self.endpoints.append({"endpoint": endpoint, "status": answer.status, "findings": len(found)})
        return _body(answer) if answer.status == 200 else None


@dataclass
class Step:
    """One GET operation the drift check visits, as its `x-drift` in the OpenAPI document describes it."""

    op: Operation
    path: dict[str, str]  # path parameter -> the known value it takes
    query: dict[str, Any]  # query parameter -> a literal, or "@name" (a known value; "@name?" when optional)
    url: str | None  # "@name": GET this known URL instead of the operation's path
    collect: dict[str, str]  # known value -> JSON pointer into the answer ("*" for every item of a list)
    limit: int  # how many of the known values (ids, URLs) to visit

    def needs(self) -> set[str]:
        refs = [*self.path.values(), *(v for v in self.query.values() if isinstance(v, str)), self.url or ""]
        return {ref.strip("@?") for ref in refs if ref.startswith("@") and not ref.endswith("?")}

    def uses(self) -> set[str]:
        refs = [*self.path.values(), *(v for v in self.query.values() if isinstance(v, str)), self.url or ""]
        return {ref.strip("@?") for ref in refs if ref.startswith("@")}

    @property
    def basic(self) -> bool:
        """Basic credentials go along when the operation takes them and no other credential is in the query."""
        schemes = {name for requirement in self.op.security for name in requirement}
        return "basicAuth" in schemes and not {"access_token", "token"} & set(self.query)


def plan(spec: ApiSpec) -> list[Step]:
    """The GET operations with an `x-drift`, each after those that collect what it needs (else document order)."""
    steps = []
    for op in spec.operations.values():
        raw = spec.openapi["paths"][op.path][op.method.lower()].get("x-drift")
        if op.method != "GET" or raw is None:
            continue
        steps.append(Step(op, dict(raw.get("path", {})), dict(raw.get("query", {})), raw.get("url"),
                          dict(raw.get("collect", {})), int(raw.get("limit", 1))))
    ordered: list[Step] = []
    waiting = list(steps)
    while waiting:
        producers = {name for step in waiting for name in step.collect}
        ready = next((s for s in waiting if not (s.uses() & producers - set(s.collect))), waiting[0])
        waiting.remove(ready)
        ordered.append(ready)
    return ordered


def live_drift(ctx: Context) -> DriftReport:
    """Read-only calls to every GET operation the document marks for drift (`x-drift`) that the known values reach."""
    visitor = _Visitor(ctx)
    ids = ctx.identifiers
    known: dict[str, list[Any]] = {name: [value] for name, value in (
        ("brand_domain", ids.brand_domain), ("tracking_number", ids.tracking_number),
        ("postal_code", ids.postal_code), ("return_id", ids.return_id)) if value not in (None, "")}
    for step in plan(ctx.spec):
        for call in _calls(step, known):
            body = visitor.visit(step.op.operation_id, call["url"], params=call["params"] or None,
                                 auth="basic" if step.basic else None)
            for name, where in step.collect.items():
                for value in _at(body, where):
                    if value not in known.setdefault(name, []):
                        known[name].append(value)
    return DriftReport(ctx.transport.describe(), merge(visitor.findings), visitor.endpoints)


def _calls(step: Step, known: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """The requests a step sends: one per known value of its (first) multi-valued input, up to its limit."""
    if any(not known.get(name) for name in step.needs()):
        return []
    params: dict[str, Any] = {}
    for name, value in step.query.items():
        if isinstance(value, str) and value.startswith("@"):
            values = known.get(value.strip("@?"))
            if values:
                params[name] = values[0]
        else:
            params[name] = value
    if step.url is not None:
        return [{"url": url, "params": params} for url in known[step.url.strip("@")][:step.limit]]
    calls = []
    choices = {name: _valid(step.op, name, known[ref.strip("@")]) for name, ref in step.path.items()}
    varying = next((name for name, values in choices.items() if len(values) > 1), None)
    for value in (choices[varying][:step.limit] if varying else [None]):
        path_values = {name: (value if name == varying else values[0] if values else None)
                       for name, values in choices.items()}
        if any(v is None for v in path_values.values()):
            return []
        url = step.op.path
        for name, v in path_values.items():
            url = url.replace("{" + name + "}", quote(str(v), safe=""))
        calls.append({"url": url, "params": params})
    return calls


def _valid(op: Operation, name: str, values: list[Any]) -> list[Any]:
    """The known values a path parameter's schema accepts (an id must be an integer, ...)."""
    param = next((p for p in op.parameters if p.name == name and p.location == "path"), None)
    return [v for v in values if param is None or param.validator.is_valid(v)]


def _at(body: Any, where: str) -> list[Any]:
    """The scalar values at a JSON pointer whose "*" parts stand for every item of a list."""
    nodes = [body]
    for part in where.strip("/").split("/"):
        nxt = []
        for node in nodes:
            if part == "*" and isinstance(node, list):
                nxt.extend(node)
            elif isinstance(node, dict) and part in node:
                nxt.append(node[part])
        nodes = nxt
    return [n for n in nodes if isinstance(n, (str, int, float)) and not isinstance(n, bool)]


def _body(answer: Answer) -> Any:
    return answer.json_or_none() if answer.is_json else None
