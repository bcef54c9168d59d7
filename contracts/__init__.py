"""The contract test kit: contracts and a schema-drift check that run against the fake or the real API.

Three front ends share one core: the `sendcloud-contracts` CLI (contracts.cli), the pytest
plugin (contracts.pytest_plugin) and plain Python, in process or over HTTP:

    from contracts import Options, build_context, run_all, select
    context = build_context(Options(in_process=True, seed=7))
    try:
        results = run_all(select(), context)
    finally:
        context.close()

The packages: `contracts.contracts` (the contracts, what they share, their Context),
`contracts.runner` (the options model, build_context, preflight, the run's own account,
running), `contracts.reporting` (progress, result blocks, JUnit XML, drift reports); beside
them the transports, the schema checks, the drift check and the two front ends.

Names are imported on first use, so loading the pytest plugin stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Finding": "checks",
    "Context": "contracts.context", "ContractFailure": "contracts.context", "ContractSkipped": "contracts.context",
    "Identifiers": "contracts.context", "fake_identifiers": "contracts.context",
    "BY_NAME": "contracts", "CONTRACTS": "contracts", "Contract": "contracts", "select": "contracts",
    "Options": "runner.options", "build_context": "runner.session",
    "Result": "runner.run", "exit_code": "runner.run", "run_all": "runner.run", "run_one": "runner.run",
    "Answer": "transport", "HttpTransport": "transport", "Transport": "transport", "WsgiTransport": "transport",
    "in_process_app": "transport",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'contracts' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
