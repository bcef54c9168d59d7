"""What the kit needs beyond the fake itself (the `contracts` extra), and the one sentence shown when it is missing.

The fake's own dependencies (flask, jsonschema, ...) come with `pip install sendcloud-mock`; the
kit's generators and HTTP client come with `pip install 'sendcloud-mock[contracts]'`. Front
ends (the CLI, the pytest plugin) check this before importing anything that needs them, so a
missing extra is a sentence, never a traceback.
"""

from __future__ import annotations

import importlib.util

INSTALL = "pip install 'sendcloud-mock[contracts]'"
# Import name -> distribution, for the modules the kit imports (tests/test_contracts_extra.py keeps this honest).
REQUIRED = {
    "hypothesis": "hypothesis",
    "hypothesis_jsonschema": "hypothesis-jsonschema",
    "schemathesis": "schemathesis",
    "requests": "requests",
    "yaml": "pyyaml",
}


def missing() -> list[str]:
    """The distributions of the contracts extra that are not importable here."""
    return [dist for module, dist in REQUIRED.items() if importlib.util.find_spec(module) is None]


def message(missing_dists: list[str]) -> str:
    """One sentence naming what is missing and the command that installs it."""
    return (f"The contract kit needs the 'contracts' extra ({', '.join(missing_dists)} not installed): "
            f"install it with {INSTALL}")
