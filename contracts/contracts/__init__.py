"""The named contracts: what each checks, and whether it writes (creates, cancels or announces)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .bodies import create_bodies_round_trip
from .conformance import openapi_conformance
from .context import Context
from .lifecycle import pagination_invariants, retrieve_known_return, returns_lifecycle
from .portal_flows import portal_flow, token_rules
from .stateful import returns_state_machine


@dataclass(frozen=True)
class Contract:
    """One contract: a name, whether it writes, and the function that raises ContractFailure."""

    name: str
    writes: bool
    check: Callable[[Context], None]
    summary: str

    def __call__(self, ctx: Context) -> None:
        self.check(ctx)


CONTRACTS: tuple[Contract, ...] = (
    Contract("openapi_conformance", False, openapi_conformance,
             "Schemathesis over our OpenAPI document: documented statuses and content types, bodies matching "
             "their schemas, no 5xx (reads only unless writes are allowed)"),
    Contract("retrieve_known_return", False, retrieve_known_return,
             "the return given by --return-id (else the newest listed) matches our v3 and v2 schemas"),
    Contract("pagination_invariants", False, pagination_invariants,
             "v3 and v2 lists in pages of 2: no repeats, no skips, ids descending, next/previous round trip"),
    Contract("token_rules", False, token_rules,
             "portal tokens work only for their purpose and brand (POST refusals only when writes are allowed)"),
    Contract("create_bodies_round_trip", True, create_bodies_round_trip,
             "bodies generated from create-return-request.json: valid ones 201 or a business-rule 400, broken "
             "ones (dropped required field, wrong type) a 400 naming the field"),
    Contract("returns_lifecycle", True, returns_lifecycle,
             "create -> retrieve -> list finds it -> cancel 202 -> cancel again 409"),
    Contract("returns_state_machine", True, returns_state_machine,
             "a Hypothesis state machine: create/retrieve/cancel/list in any order agree with a model"),
    Contract("portal_flow", True, portal_flow,
             "return portal: lookup -> create -> poll (202, then 200) -> download the label PDF"),
)

BY_NAME = {contract.name: contract for contract in CONTRACTS}


def select(names: list[str] | None = None) -> list[Contract]:
    """The contracts to run, in their fixed order; unknown names are a ValueError."""
    unknown = sorted(set(names or []) - set(BY_NAME))
    if unknown:
        raise ValueError(f"unknown contract(s): {', '.join(unknown)}; known: {', '.join(BY_NAME)}")
    return [c for c in CONTRACTS if not names or c.name in names]
