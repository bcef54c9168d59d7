"""A Hypothesis state machine over returns: any order of create, retrieve, cancel, list and waiting."""

from __future__ import annotations

from typing import Any

from hypothesis import seed
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from .api import cancel, create_return, expect, items, list_page, retrieve, return_body
from .context import Context, ContractFailure
from .hypo import run_settings
from .lifecycle import identity

ORDER_NUMBERS = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789-", min_size=1, max_size=16)


def returns_machine(ctx: Context, steps: list[int]) -> type[RuleBasedStateMachine]:
    """The machine class, bound to this run's context."""

    class ReturnsMachine(RuleBasedStateMachine):
        returns = Bundle("returns")

        def __init__(self) -> None:
            super().__init__()
            self.cancelled: dict[int, bool] = {}
            steps[0] += 1
            ctx.count_case()

        @initialize(target=returns, order=ORDER_NUMBERS)
        def first(self, order: str) -> int:
            return self._create(1.0, 1, order)

        @rule(target=returns, weight=st.floats(min_value=0.1, max_value=20.0), collo=st.integers(1, 2),
              order=ORDER_NUMBERS)
        def create(self, weight: float, collo: int, order: str) -> int:
            return self._create(weight, collo, order)

        def _create(self, weight: float, collo: int, order: str) -> int:
            body = return_body(ctx)
            body.update(weight={"value": round(weight, 2), "unit": "kg"}, collo_count=collo, order_number=order)
            return_id = create_return(ctx, body)
            self.cancelled[return_id] = False
            found = retrieve(ctx, return_id)
            _same(found.get("order_number"), order, f"return {return_id} order_number")
            _same(found.get("collo_count"), collo, f"return {return_id} collo_count")
            return return_id

        @rule(return_id=returns)
        def read(self, return_id: int) -> None:
            found = retrieve(ctx, return_id)
            _same(found["is_cancellable"], not self.cancelled[return_id], f"return {return_id} is_cancellable")
            v2 = retrieve(ctx, return_id, version=2)
            _same(v2["is_cancellable"], not self.cancelled[return_id], f"v2 return {return_id} is_cancellable")

        @rule(return_id=returns)
        def cancel_it(self, return_id: int) -> None:
            answer = cancel(ctx, return_id)
            status = 409 if self.cancelled[return_id] else 202
            expect(ctx, "returns_v3_cancel", answer, [status], f"cancelling return {return_id}")
            self.cancelled[return_id] = True
            self.read(return_id)
            if return_id in ctx.created_returns:
                ctx.created_returns.remove(return_id)

        @precondition(lambda self: ctx.transport.is_fake)
        @rule(seconds=st.sampled_from([1, 5, 11]))
        def time_passes(self, seconds: int) -> None:
            ctx.transport.advance_clock(seconds)

        @rule()
        def list_them(self) -> None:
            if not self.cancelled:
                return
            listed = items(list_page(ctx, 2, page_size=40))
            seen = {identity(item) for item in listed}
            newest = sorted(self.cancelled, reverse=True)[:40]
            missing = [i for i in newest if i not in seen]
            if missing:
                raise ContractFailure(f"created returns {missing} are missing from GET /api/v2/returns")

        @invariant()
        def newest_first(self) -> None:
            if self.cancelled:
                first = [identity(item) for item in items(list_page(ctx, 2, page_size=10))]
                if max(self.cancelled) not in first[:10]:
                    raise ContractFailure(f"the newest return {max(self.cancelled)} does not lead the list {first}")

    return ReturnsMachine


def returns_state_machine(ctx: Context) -> None:
    """Random sequences of create/retrieve/cancel/list keep the server consistent with a simple model."""
    ctx.require_writes("creates and cancels returns")
    machine = returns_machine(ctx, steps := [0])
    examples = max(3, ctx.max_examples)
    if ctx.seed is not None:
        machine = seed(ctx.seed)(machine)  # run_state_machine_as_test honours a seed set on the machine class
    run_state_machine_as_test(machine, settings=run_settings(ctx, examples=examples, stateful_step_count=10))
    ctx.log(f"returns_state_machine: {steps[0]} runs")


def _same(got: Any, wanted: Any, what: str) -> None:
    if got != wanted:
        raise ContractFailure(f"{what}: expected {wanted!r}, got {got!r}")
