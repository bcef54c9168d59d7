"""Runs the selected contracts against one context and collects their results (and JUnit XML)."""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from .api import clean_up
from .context import Context, ContractFailure, ContractSkipped
from .contracts import Contract
from .junit import Case, write_junit
from .transport import WriteRefused

PASSED, FAILED, SKIPPED, ERROR = "passed", "failed", "skipped", "error"


@dataclass
class Result:
    name: str
    status: str
    detail: str
    duration: float
    writes: bool
    cases: int = 0  # generated cases (Hypothesis examples) the contract ran

    @property
    def ok(self) -> bool:
        return self.status in (PASSED, SKIPPED)


def run_one(contract: Contract, ctx: Context) -> Result:
    """Run one contract; its failure, skip or crash becomes a Result with a redacted detail."""
    started = time.perf_counter()
    redact = ctx.transport.redact
    ctx.cases = 0
    if contract.writes and not ctx.allow_writes:
        status, detail = SKIPPED, ("writes; not run with --read-only" if ctx.transport.read_only
                                   else "writes; needs --allow-writes against a real API")
    else:
        try:
            contract(ctx)
            status, detail = PASSED, ""
        except ContractSkipped as skip:
            status, detail = SKIPPED, str(skip)
        except (ContractFailure, WriteRefused) as failure:
            status, detail = FAILED, str(failure)
        except Exception as exc:  # noqa: BLE001 - a crash is reported, the other contracts still run
            status, detail = ERROR, f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=6)}"
        finally:
            clean_up(ctx)
    return Result(contract.name, status, redact(detail), time.perf_counter() - started, contract.writes, ctx.cases)


def run_all(contracts: Iterable[Contract], ctx: Context,
            on_result: Callable[[Result], None] = lambda result: None,
            on_start: Callable[[Contract], None] = lambda contract: None) -> list[Result]:
    results = []
    for contract in contracts:
        on_start(contract)
        result = run_one(contract, ctx)
        on_result(result)
        results.append(result)
    return results


def exit_code(results: Iterable[Result]) -> int:
    """0 when every contract that ran held (skips are not failures), else 1."""
    return 0 if all(result.ok for result in results) else 1


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
