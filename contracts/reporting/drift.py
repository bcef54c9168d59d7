"""A drift report written out: JSON, a Markdown table, JUnit XML (one test case per endpoint)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..checks import ERROR, INFO, Finding
from ..drift import DriftReport
from .junit import Case, write_junit


def write_json(report: DriftReport, path: str | Path, redact: Any = str) -> None:
    text = json.dumps(report.to_dict(), indent=2, ensure_ascii=False)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(redact(text) + "\n", encoding="utf-8")


def to_markdown(report: DriftReport) -> str:
    data = report.to_dict()
    summary = data["summary"]
    lines = [f"# Schema drift report ({report.source})", "",
             f"Target: `{report.target}`  ", f"Generated: {data['generated_at']}  ",
             f"**{summary['errors']} error(s)**, {summary['info']} info finding(s).", ""]
    if not report.findings:
        lines.append("No findings: every answer matches our schemas.")
        return "\n".join(lines) + "\n"
    lines += ["| severity | endpoint | path | kind | detail |", "|---|---|---|---|---|"]
    for f in sorted(report.findings, key=lambda f: (f.severity != ERROR, f.endpoint, f.path)):
        detail = f.detail.replace("|", "\\|").replace("\n", " ")
        count = f" (x{f.count})" if f.count > 1 else ""
        lines.append(f"| {f.severity} | `{f.endpoint}` | `{f.path or '/'}` | {f.kind} | {detail}{count} |")
    return "\n".join(lines) + "\n"


def write_markdown(report: DriftReport, path: str | Path, redact: Any = str) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(redact(to_markdown(report)), encoding="utf-8")


def write_report_junit(report: DriftReport, path: str | Path, redact: Any = str) -> None:
    """One test case per endpoint: failed when it has an error finding; info findings as output."""
    by_endpoint: dict[str, list[Finding]] = {}
    for endpoint in [e["endpoint"] for e in report.endpoints] + [f.endpoint for f in report.findings]:
        by_endpoint.setdefault(endpoint, [])
    for finding in report.findings:
        by_endpoint[finding.endpoint].append(finding)
    cases = []
    for endpoint, findings in by_endpoint.items():
        errors = [f for f in findings if f.severity == ERROR]
        info = [f for f in findings if f.severity == INFO]
        cases.append(Case(endpoint, f"sendcloud_drift.{report.source}",
                          failure=_lines(errors) if errors else None, output=_lines(info) if info else None))
    write_junit(path, f"sendcloud-drift-{report.source}", cases, redact)


def _lines(findings: Iterable[Finding]) -> str:
    return "\n".join(f"{f.path or '/'} [{f.kind}] {f.detail}" for f in findings)
