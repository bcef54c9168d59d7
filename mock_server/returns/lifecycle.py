"""A return's life, computed from its schedule and the clock: no background work, ever.

At creation a return gets a schedule (announced, in transit, delivered). Reading it at
time `now` replays the schedule up to `now`, stopping at a cancellation or a failed
announcement. Every worker computes the same answer from the same row and clock.
"""

from __future__ import annotations

from dataclasses import dataclass


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
    step: Step
    at: float | None


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


def replay(schedule: Schedule, cancelled_at: float | None, now: float) -> State:
    """The events that have happened by `now`."""
    events = [Event(ANNOUNCING, schedule.created)]
    planned = (
        [Event(ANNOUNCEMENT_FAILED, schedule.announced)]
        if schedule.failure
        else [Event(READY_TO_SEND, schedule.announced), Event(IN_TRANSIT, schedule.in_transit),
              Event(DELIVERED, schedule.delivered)]
    )
    for event in planned:
        if event.at is None or event.at > now or (cancelled_at is not None and event.at >= cancelled_at):
            break
        events.append(event)
    if cancelled_at is not None and cancelled_at <= now:
        events.append(Event(CANCELLED, cancelled_at))
    return State(tuple(events))


def settled_until(schedule: Schedule, cancelled_at: float | None, now: float) -> float:
    """Until when what replay() says at `now` stays true (the next scheduled event)."""
    upcoming = [at for at in (schedule.created, schedule.announced, schedule.in_transit, schedule.delivered,
                              cancelled_at) if at is not None and at > now]
    return min(upcoming, default=float("inf"))
