"""Write the README's Settings table from `Settings` (mock_server/config.py).

    python tools/settings_table.py          # rewrite README.md's table in place
    python tools/settings_table.py --check  # exit 1 when README.md's table differs

tests/test_settings.py fails when the two disagree.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mock_server.config import settings_table  # noqa: E402 - the checkout, not an installed copy

HEADER = "| option | environment | default | meaning |"


def readme_table(text: str) -> tuple[int, int]:
    """Where the Settings table starts and ends in the README's text."""
    start = text.index(HEADER)
    end = text.find("\n\n", start)
    return start, (len(text) if end < 0 else end + 1)


def main(argv: list[str]) -> int:
    path = ROOT / "README.md"
    text = path.read_text(encoding="utf-8")
    start, end = readme_table(text)
    wanted = settings_table()
    if text[start:end] == wanted:
        return 0
    if "--check" in argv:
        print("README.md's Settings table differs from Settings: run python tools/settings_table.py", file=sys.stderr)
        return 1
    path.write_text(text[:start] + wanted + text[end:], encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
