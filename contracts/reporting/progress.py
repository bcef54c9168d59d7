"""What a run shows while it runs: a line per contract with its time, and on a terminal a live case counter.

`--quiet` keeps only what needs reading: failed contracts with their details, and the
summary. Everything goes through the transport's redactor.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TextIO

from ..runner.run import Result
from .results import format_result

REFRESH = 0.1  # seconds between redraws of the live counter


class Progress:
    """Prints results as they come; on a terminal also a `\\r`-redrawn line with the running contract's cases."""

    def __init__(self, stream: TextIO, redact: Callable[[str], str], *, quiet: bool = False,
                 live: bool | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.redact = redact
        self.quiet = quiet
        self.live = (not quiet and _is_terminal(stream)) if live is None else live
        self.clock = clock
        self.name = ""
        self.started = 0.0
        self.drawn = 0.0
        self.showing = False

    def line(self, text: str, *, always: bool = False) -> None:
        """A line of output (skipped with --quiet unless `always`)."""
        if self.quiet and not always:
            return
        self._clear()
        print(self.redact(text), file=self.stream, flush=True)

    def start(self, contract: Any) -> None:
        self.name, self.started, self.drawn = contract.name, self.clock(), 0.0
        if self.live:
            self._draw(0)

    def case(self, count: int) -> None:
        """Called for every generated case; redraws the counter at most every REFRESH seconds."""
        if self.live and self.clock() - self.drawn >= REFRESH:
            self._draw(count)

    def result(self, result: Result) -> None:
        self.line(format_result(result), always=result.status in ("failed", "error"))

    def _draw(self, count: int) -> None:
        self.drawn = self.clock()
        elapsed = self.drawn - self.started
        self.stream.write(f"\r\x1b[K  running {self.name}: {count} cases, {elapsed:.0f} s")
        self.stream.flush()
        self.showing = True

    def _clear(self) -> None:
        if self.showing:
            self.stream.write("\r\x1b[K")
            self.showing = False


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
