"""Runs the selected contracts against one context and collects their results."""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..contracts import Contract
from ..contracts.api import clean_up
from ..contracts.context import Context, ContractFailure, ContractSkipped
from ..transport import WriteRefused

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
