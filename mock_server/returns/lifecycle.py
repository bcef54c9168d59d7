"""A return's life, computed from its schedule and the clock: no background work, ever.

At creation a return gets a schedule (announced, in transit, delivered). Reading it at
time `now` replays the schedule up to `now`, stopping at a cancellation or a failed
announcement. Every worker computes the same answer from the same row and clock.

Every rule of a return's life is here: when its steps are due (`plan`), what has happened by
a moment (`replay`), until when that stays true (`settled_until`), whether it may still be
cancelled and whether its label exists (`State`), and how far a portal return has come
(`progress`, which the portal's polling answers).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


@dataclass(frozen=True)
class Step:
    slug: str          # the parent status, as the v3 `parent_parcel_status` filter names it
    parcel_status: int  # Sendcloud's numeric parcel status
    message: str


ANNOUNCING = Step("announcing", 1001, "Being announced")
READY_TO_SEND = Step("ready-to-send", 1000, "Ready to send")
IN_TRANSIT = Step("to-sorting", 3, "En route to sorting center")
DELIVERED = Step("delivered", 11, "Delivered")
CANCELLED = Step("cancelled", 2000, "Cancelled")
ANNOUNCEMENT_FAILED = Step("announcement-failed", 1002, "Announcement failed")


@dataclass(frozen=True)
class Event:
    """A step that has happened, and when."""

    step: Step
    at: float


@dataclass(frozen=True)
class Schedule:
    created: float
    # None while the return waits for something (payment) before it is announced.
    announced: float | None
    in_transit: float | None
    delivered: float | None
    # When set, the carrier refuses the announcement at `announced`.
    failure: str | None = None


@dataclass(frozen=True)
class State:
    events: tuple[Event, ...]

    @property
    def current(self) -> Step:
        return self.events[-1].step

    def reached(self, step: Step) -> Event | None:
        for event in self.events:
            if event.step == step:
                return event
        return None

    @property
    def announced(self) -> bool:
        return self.reached(READY_TO_SEND) is not None

    @property
    def is_cancellable(self) -> bool:
        return self.current not in (DELIVERED, CANCELLED)

    @property
    def label_ready(self) -> bool:
        """A label exists once the carrier accepted the announcement (it stays after a cancel)."""
        return self.announced


@dataclass(frozen=True)
class Delays:
    """Seconds from creation to announcement, from there to transit, from there to delivery."""

    label: float
    transit: float
    delivery: float


def plan(created: float, delays: Delays, *, at_once: bool = False, waiting: bool = False,
         failure: str | None = None) -> Schedule:
    """A new return's schedule. One that waits (for a payment) gets its times from `start()`."""
    pending = Schedule(created, None, None, None, failure)
    return pending if waiting else start(pending, created, delays, at_once=at_once)


def start(schedule: Schedule, at: float, delays: Delays, *, at_once: bool = False) -> Schedule:
    """The schedule with its steps counted from `at` (creation, or the moment a payment arrived)."""
    announced = at if at_once else at + delays.label
    in_transit = announced + delays.transit
    return Schedule(schedule.created, announced, in_transit, in_transit + delays.delivery, schedule.failure)


def replay(schedule: Schedule, cancelled_at: float | None, now: float) -> State:
    """The events that have happened by `now`."""
    events = [Event(ANNOUNCING, schedule.created)]
    planned: list[tuple[Step, float | None]] = (
        [(ANNOUNCEMENT_FAILED, schedule.announced)]
        if schedule.failure
        else [(READY_TO_SEND, schedule.announced), (IN_TRANSIT, schedule.in_transit), (DELIVERED, schedule.delivered)]
    )
    for step, at in planned:
        if at is None or at > now or (cancelled_at is not None and at >= cancelled_at):
            break
        events.append(Event(step, at))
    if cancelled_at is not None and cancelled_at <= now:
        events.append(Event(CANCELLED, cancelled_at))
    return State(tuple(events))


def settled_until(schedule: Schedule, cancelled_at: float | None, now: float) -> float:
    """Until when what replay() says at `now` stays true (the next scheduled event)."""
    upcoming = [at for at in (schedule.created, schedule.announced, schedule.in_transit, schedule.delivered,
                              cancelled_at) if at is not None and at > now]
    return min(upcoming, default=float("inf"))


class Progress(Enum):
    """How far a return has come towards its label, as the portal's polling reports it."""

    AWAITING_PAYMENT = "awaiting_payment"
    PAYMENT_FAILED = "payment_failed"
    ANNOUNCING = "announcing"
    READY = "ready"
    FAILED = "failed"  # the carrier refused the announcement
    CANCELLED = "cancelled"  # before its label was made


def progress(payment_status: str, state: State) -> Progress:
    if payment_status == "awaiting_payment":
        return Progress.AWAITING_PAYMENT
    if payment_status == "payment_failed":
        return Progress.PAYMENT_FAILED
    if state.current == ANNOUNCEMENT_FAILED:
        return Progress.FAILED
    if state.label_ready:
        return Progress.READY
    return Progress.CANCELLED if state.current == CANCELLED else Progress.ANNOUNCING
