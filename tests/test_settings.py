"""The options list is written once, in `Settings`: the command line, the environment and the
README's Settings table are made from it, and these tests fail when any of them disagrees."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pytest

from mock_server.cli import build_parser
from mock_server.config import Option, Settings, options, settings_table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from settings_table import readme_table  # noqa: E402 - tools/ is not a package

SAMPLES: dict[type, tuple[str, object]] = {int: ("7", 7), float: ("2.5", 2.5), str: ("custom", "custom")}


def _sample(option: Option) -> tuple[list[str], str, object]:
    """Command-line arguments, an environment value, and the value both must give."""
    if option.kind is bool:
        return [option.flag], "true", True
    if option.kind is tuple:
        return [option.flag, "a.test", option.flag, "b.test"], "a.test, b.test", ("a.test", "b.test")
    raw, value = (option.choices[-1], option.choices[-1]) if option.choices else SAMPLES[option.kind]
    return [option.flag, raw], raw, value


def test_readme_settings_table_is_the_settings() -> None:
    """README.md's Settings table is what `Settings` says (python tools/settings_table.py rewrites it)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start, end = readme_table(text)
    assert text[start:end] == settings_table()


def test_every_setting_is_a_flag_and_every_flag_a_setting() -> None:
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    serve = commands.choices["serve"]
    flags = {flag for action in serve._actions for flag in action.option_strings} - {"-h", "--help"}
    assert flags == {option.flag for option in options()}
    # Every field of Settings is an option (none is only reachable from Python).
    assert [option.name for option in options()] == list(Settings.__dataclass_fields__)


@pytest.mark.parametrize("option", options(), ids=lambda o: o.name)
def test_each_setting_reads_from_its_flag_and_its_variable(option: Option) -> None:
    argv, raw, value = _sample(option)
    args = build_parser().parse_args(["serve", *argv])
    parsed = getattr(args, option.name)
    assert (tuple(parsed) if option.kind is tuple else parsed) == value
    assert getattr(Settings.from_env({option.env: raw}), option.name) == value
    assert getattr(Settings.from_env({}), option.name) == option.default


def test_the_table_has_a_row_per_setting_but_the_hidden() -> None:
    rows = settings_table().splitlines()[2:]
    shown = [option for option in options() if not option.hidden]
    assert [row.split(" | ")[0] for row in rows] == [f"| `{option.flag}`" + (" (repeatable)" if option.kind is tuple
                                                                            else "") for option in shown]
    assert "| `--journal-size` | `SENDCLOUD_MOCK_JOURNAL_SIZE` | `1000` |" in settings_table()
