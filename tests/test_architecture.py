"""ARCHITECTURE.md names every module of the fake and the kit, and only modules that exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("mock_server", "contracts")


def modules() -> set[str]:
    return {path.relative_to(ROOT).as_posix() for package in PACKAGES for path in (ROOT / package).rglob("*.py")
            if "__pycache__" not in path.parts}


def named() -> set[str]:
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    return set(re.findall(r"^\| `((?:mock_server|contracts)/[\w/]+\.py)` \|", text, flags=re.MULTILINE))


def test_every_module_has_a_row() -> None:
    assert len(modules()) > 50  # the walk found the packages
    assert sorted(modules() - named()) == [], "modules ARCHITECTURE.md does not name (add a row with its role)"


def test_every_row_is_a_module() -> None:
    assert sorted(named() - modules()) == [], "ARCHITECTURE.md names modules that are gone (remove or rename the row)"
