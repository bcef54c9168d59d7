"""The contract test kit: contracts and a schema-drift check that run against the fake or the real API.

Three front ends share one core: the `sendcloud-contracts` CLI (contracts.cli), the pytest
plugin (contracts.pytest_plugin) and plain Python, in process or over HTTP:

    from contracts import Context, WsgiTransport, in_process_app, run_all, select
    transport = WsgiTransport(in_process_app(), "test_api_key_stroopwafel", "test_api_secret_stroopwafel")
    results = run_all(select(), Context(transport, allow_writes=True))

Names are imported on first use, so loading the pytest plugin stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Finding": "checks",
    "Context": "context", "ContractFailure": "context", "ContractSkipped": "context", "Identifiers": "context",
    "fake_identifiers": "context",
    "BY_NAME": "contracts", "CONTRACTS": "contracts", "Contract": "contracts", "select": "contracts",
    "Result": "runner", "exit_code": "runner", "run_all": "runner", "run_one": "runner",
    "Answer": "transport", "HttpTransport": "transport", "Transport": "transport", "WsgiTransport": "transport",
    "in_process_app": "transport",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'contracts' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
