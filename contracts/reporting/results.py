"""A run's results as people and CI read them: a console block per contract, and JUnit XML."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from ..runner.run import ERROR, FAILED, SKIPPED, Result
from .junit import Case, write_junit


def write_results_junit(results: Iterable[Result], path: str | Path, redact: Callable[[str], str],
                        properties: dict[str, str] | None = None,
                        replay: Callable[[str], str] | None = None) -> None:
    """JUnit XML; `properties` (the seed, the replay command) go on the suite, `replay(name)` onto each failure."""
    cases = []
    for result in results:
        case = Case(result.name, "sendcloud_contracts", result.duration)
        again = f"\n\nreplay: {replay(result.name)}" if replay else ""
        if result.status == FAILED:
            case.failure = result.detail + again
        elif result.status == ERROR:
            case.error = result.detail + again
        elif result.status == SKIPPED:
            case.skipped = result.detail
        if result.cases:
            case.output = f"{result.cases} generated cases"
        cases.append(case)
    write_junit(path, "sendcloud-contracts", cases, redact, properties)


def format_result(result: Result) -> str:
    spent = f"{result.duration:.1f} s" + (f", {result.cases} cases" if result.cases else "")
    head = f"{result.status.upper():7} {result.name} ({spent})"
    if not result.detail:
        return head
    indented = "\n".join("        " + line for line in result.detail.splitlines())
    return f"{head}\n{indented}"
