"""Which webhook events a return produces, and when: read off its lifecycle, never scheduled.

The lifecycle (returns/lifecycle.py) says what has happened to a return by any time; the
events here are that history seen from outside: `return_created` when the return exists,
then one `parcel_status_changed` per incoming parcel at each parcel status step, with
Sendcloud's v2 parcel status id and message.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..returns.lifecycle import (
    ANNOUNCEMENT_FAILED,
    CANCELLED,
    DELIVERED,
    IN_TRANSIT,
    READY_TO_SEND,
    State,
    Step,
)

RETURN_CREATED = "return_created"
PARCEL_STATUS_CHANGED = "parcel_status_changed"
TEST_WEBHOOK = "test_webhook"
EVENTS = (RETURN_CREATED, PARCEL_STATUS_CHANGED)

# Sendcloud's v2 parcel status for a cancellation the carrier has not confirmed yet.
CANCELLATION_REQUESTED = Step("cancellation-requested", 1999, "Cancellation requested")

# The parcel status steps the fake models that are changes (the first, "Being announced"
# (1001), is where every parcel starts, so no webhook announces it).
NOTIFIED_STEPS = (READY_TO_SEND, IN_TRANSIT, DELIVERED, CANCELLATION_REQUESTED, CANCELLED, ANNOUNCEMENT_FAILED)


@dataclass(frozen=True)
class Happening:
    """One event of one return: what, when (server clock seconds), and its place among equals."""

    event: str
    at: float
    step: Step | None = None

    @property
    def key(self) -> str:
        return self.event if self.step is None else f"{self.event}:{self.step.parcel_status}"


def happenings(state: State) -> list[Happening]:
    """Everything a return's state says has happened, in order.

    A cancellation of a parcel that was already announced goes through "Cancellation
    requested" (1999) before "Cancelled" (2000), as at Sendcloud; the fake's carrier
    confirms at once, so both carry the cancellation time.
    """
    found = [Happening(RETURN_CREATED, state.events[0].at or 0.0)]
    for event in state.events[1:]:
        if event.at is None:
            continue
        if event.step == CANCELLED and state.announced:
            found.append(Happening(PARCEL_STATUS_CHANGED, event.at, CANCELLATION_REQUESTED))
        if event.step in NOTIFIED_STEPS:
            found.append(Happening(PARCEL_STATUS_CHANGED, event.at, event.step))
    return found
