"""Hypothesis settings for contract runs: bounded, quiet, no example database, optionally seeded."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from hypothesis import HealthCheck, Phase, Verbosity, seed, settings

from .context import Context

F = TypeVar("F", bound=Callable[..., Any])


def run_settings(ctx: Context, *, examples: int | None = None, shrink: bool = False, **extra: Any) -> settings:
    """Settings for one property: the run's example budget, no deadline, nothing stored on disk."""
    phases = [Phase.explicit, Phase.generate] + ([Phase.shrink] if shrink else [])
    return settings(max_examples=max(1, examples if examples is not None else ctx.max_examples), deadline=None,
                    database=None, suppress_health_check=list(HealthCheck), phases=phases,
                    verbosity=Verbosity.quiet, print_blob=False, **extra)


def seeded(ctx: Context, test: F) -> F:
    """The test with the run's seed applied (reproducible runs with --seed)."""
    return seed(ctx.seed)(test) if ctx.seed is not None else test
