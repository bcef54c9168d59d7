"""The kit's core: one options model, `build_context()` from it, the preflight, the run's own account, the runner.

The front ends (contracts.cli, contracts.pytest_plugin) only turn their arguments into
`Options`, call `build_context()` and report what `run_all()`/`run_one()` return. Names are
imported on first use: the options table loads without the `contracts` extra.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Options": "options", "OPTIONS": "options",
    "build_context": "session",
    "PreflightFailed": "preflight",
    "ERROR": "run", "FAILED": "run", "PASSED": "run", "SKIPPED": "run", "Result": "run", "exit_code": "run",
    "run_all": "run", "run_one": "run",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'contracts.runner' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
