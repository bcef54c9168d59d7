"""The `contracts` extra: it holds exactly what the kit imports, and without it the kit says so in one sentence."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

from contracts import extra

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
STDLIB = set(sys.stdlib_module_names)
# Imported by the kit but installed with the fake itself (its core dependencies).
CORE = {"mock_server", "jsonschema", "werkzeug", "referencing", "flask"}
# Imported by the kit's pytest plugin, which only pytest ever loads.
PLUGIN_ONLY = {"pytest"}

# Run the CLI with the extra's modules made unimportable, as in a venv with only `pip install sendcloud-mock`.
# (A None in sys.modules makes `import x` fail and importlib.util.find_spec('x') answer None.)
WITHOUT_EXTRA = """
import sys
sys.modules.update(dict.fromkeys({hidden!r}))
from contracts.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _name(dist: str) -> str:
    """A requirement's distribution name, normalised ('hypothesis>=6,<7' -> 'hypothesis')."""
    for mark in "<>=![; ":
        dist = dist.split(mark)[0]
    return dist.strip().lower().replace("_", "-")


def kit_imports() -> set[str]:
    """The top-level modules that contracts/*.py import (at module level or inside functions)."""
    found: set[str] = set()
    for path in (ROOT / "contracts").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found - STDLIB - {"__future__"}


def test_the_extra_lists_what_the_kit_imports_and_nothing_more() -> None:
    """Every third-party module the kit imports is in the contracts extra (or the fake's core), and vice versa."""
    imported = kit_imports() - CORE - PLUGIN_ONLY
    assert imported == set(extra.REQUIRED), "contracts/extra.py REQUIRED is out of date"
    declared = {_name(dist) for dist in PYPROJECT["project"]["optional-dependencies"]["contracts"]}
    assert declared == {_name(dist) for dist in extra.REQUIRED.values()}
    core = {_name(dist) for dist in PYPROJECT["project"]["dependencies"]}
    assert {"flask", "jsonschema", "referencing"} <= core


def test_the_test_extra_includes_the_kit() -> None:
    """This project's own suite installs the kit through the contracts extra rather than a copy of its list."""
    assert "sendcloud-mock[contracts]" in PYPROJECT["project"]["optional-dependencies"]["test"]


@pytest.mark.parametrize("argv", [["--help"], ["run", "--help"], ["list"], ["run", "--in-process"],
                                  ["drift", "--spec", "x.yml"]])
def test_without_the_extra_every_call_is_one_sentence(argv: list[str]) -> None:
    """With hypothesis and schemathesis missing, no traceback: --help works, a command names the install command."""
    hidden = {"hypothesis", "schemathesis", "hypothesis_jsonschema"}
    done = subprocess.run([sys.executable, "-c", WITHOUT_EXTRA.format(hidden=hidden), *argv],
                          check=False, capture_output=True, text=True, timeout=60, cwd=ROOT)
    output = done.stdout + done.stderr
    assert "Traceback" not in output
    assert "pip install 'sendcloud-mock[contracts]'" in output
    if "--help" in argv:
        assert done.returncode == 0 and "usage: sendcloud-contracts" in done.stdout
    else:
        assert done.returncode == 2
        assert done.stdout == "" and done.stderr.count("\n") == 1, output
        assert "hypothesis" in done.stderr and "schemathesis" in done.stderr


def test_with_the_extra_nothing_is_missing() -> None:
    """In this environment (installed with the test extra) the kit finds everything it needs."""
    assert extra.missing() == []


def test_the_plugin_refuses_a_target_without_the_extra(pytester: pytest.Pytester,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """pytest with --sendcloud-base-url but no extra stops with the sentence, not an import error."""
    monkeypatch.setattr(extra, "missing", lambda: ["schemathesis"])
    pytester.makepyfile(test_x="def test_x(): pass")
    result = pytester.runpytest_inprocess("--sendcloud-base-url=http://127.0.0.1:9")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "pip install 'sendcloud-mock[contracts]'" in result.stderr.str()


def test_every_package_is_installed() -> None:
    """Each folder with an __init__.py under mock_server/ and contracts/ is in [tool.setuptools] packages, so a
    non-editable install (the Docker image, `pip install .`) carries it."""
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    found = {".".join(path.parent.relative_to(ROOT).parts)
             for top in ("mock_server", "contracts") for path in (ROOT / top).rglob("__init__.py")}
    assert found - listed == set()
