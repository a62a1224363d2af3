"""Generate a seeded scenario of edits on both sides, calls and texts, each with a unique id.

A scenario is a list of people (created on our side or in Salesforce before the first sync,
or *late*: created on our side when the faults start, edited by our side only) and a list of
*windows*: the events that happen between two sync ticks. To keep the expected
outcome independent of which ticks a fault spoils, each (person, property) pair is edited by
one side only (its *owner*), except the pairs chosen as conflicts, which both sides edit once
inside the same window and never again. Activity events may be delivered twice (same id); a
re-delivery must count once.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

Side = Literal["ours", "theirs"]

FIELDS: dict[str, str] = {
    "first_name": "FirstName",
    "city": "City",
    "custom_field_1": "Custom_Field_1__c",
    "custom_field_2": "Custom_Field_2__c",
}
"""Edited properties and the Lead fields they map to by default."""

TOTALS: dict[tuple[str, str], tuple[str, str]] = {
    ("call", "inbound"): ("total_inbound_calls", "Total_Inbound_Calls__c"),
    ("call", "outbound"): ("total_outbound_calls", "Total_Outbound_Calls__c"),
    ("sms", "inbound"): ("total_inbound_texts", "Total_Inbound_Texts__c"),
    ("sms", "outbound"): ("total_outbound_texts", "Total_Outbound_Texts__c"),
}
"""Tracking totals per (kind, direction): our property and the Lead field."""


@dataclass(frozen=True)
class Size:
    """How big a scenario is."""

    people: int
    windows: int
    events_per_window: int


@dataclass(frozen=True)
class Person:
    """One person: a contact on our side and a Lead in Salesforce once synced."""

    index: int
    phone: str
    origin: Side
    last_name: str
    late: bool = False


@dataclass(frozen=True)
class Edit:
    """One side sets one property of one person."""

    event_id: str
    side: Side
    person: int
    prop: str
    value: str


@dataclass(frozen=True)
class Activity:
    """One call or text for one person; ``event_id`` repeats on a re-delivery."""

    event_id: str
    person: int
    kind: str
    direction: str
    redelivery: bool = False


Event = Edit | Activity


@dataclass
class Scenario:
    """What the generator produced for one seed."""

    seed: int
    people: list[Person]
    windows: list[list[Event]]
    owners: dict[tuple[int, str], Side]
    conflicts: set[tuple[int, str]] = field(default_factory=set)

    def events(self) -> list[Event]:
        """Return every event in order."""
        return [event for window in self.windows for event in window]

    def edits(self) -> list[Edit]:
        """Return every edit in order."""
        return [e for e in self.events() if isinstance(e, Edit)]

    def activities(self) -> list[Activity]:
        """Return every activity delivery (re-deliveries included) in order."""
        return [e for e in self.events() if isinstance(e, Activity)]


def phone_for(seed: int, index: int) -> str:
    """Return a distinct US number for one person of one seed (a fictional 555 exchange)."""
    return f"+1415555{(seed * 37 + index) % 10_000:04d}"


def generate(
    seed: int,
    size: Size,
    *,
    conflicts: int = 0,
    poison: tuple[str, str] | None = None,
    poisoned: int = 0,
) -> Scenario:
    """Build the scenario of ``seed``: people, owners, then windows of events.

    ``conflicts`` pairs are edited by both sides in one window. With ``poison`` (a property
    and a value) our side sets that value on ``poisoned`` people owned by us (for validation
    rules that reject it).
    """
    rng = random.Random(seed)
    late = max(1, size.people // 5)
    people = [
        Person(
            index=i,
            phone=phone_for(seed, i),
            origin="ours" if i >= size.people - late else rng.choice(("ours", "theirs")),
            last_name=f"Person{seed}x{i}",
            late=i >= size.people - late,
        )
        for i in range(size.people)
    ]
    owners: dict[tuple[int, str], Side] = {
        (p.index, prop): "ours" if p.late else rng.choice(("ours", "theirs"))
        for p in people
        for prop in FIELDS
    }
    counter = iter(range(1_000_000))

    def next_id() -> str:
        return f"s{seed}-e{next(counter)}"

    windows: list[list[Event]] = [[] for _ in range(size.windows)]
    early = sorted(key for key in owners if not people[key[0]].late)
    chosen = rng.sample(early, min(conflicts, len(early)))
    for person, prop in chosen:
        window = windows[rng.randrange(size.windows)]
        sides: list[Side] = ["ours", "theirs"]
        rng.shuffle(sides)
        for side in sides:
            window.append(Edit(next_id(), side, person, prop, ""))
    conflict_set = set(chosen)
    editable = [key for key in sorted(owners) if key not in conflict_set]
    delivered: list[Activity] = []
    for window in windows:
        for _ in range(size.events_per_window):
            roll = rng.random()
            if roll < 0.5 and editable:
                person, prop = rng.choice(editable)
                window.append(Edit(next_id(), owners[(person, prop)], person, prop, ""))
            elif roll < 0.9 or not delivered:
                kind, direction = rng.choice(sorted(TOTALS))
                activity = Activity(next_id(), rng.randrange(size.people), kind, direction)
                delivered.append(activity)
                window.append(activity)
            else:
                again = rng.choice(delivered)
                window.append(
                    Activity(again.event_id, again.person, again.kind, again.direction, True)
                )
        rng.shuffle(window)
    # Values carry the event id so every write is distinguishable.
    for window in windows:
        for position, event in enumerate(window):
            if isinstance(event, Edit):
                window[position] = Edit(
                    event.event_id, event.side, event.person, event.prop, f"v-{event.event_id}"
                )
    if poison is not None and poisoned:
        _add_poison(rng, windows, owners, conflict_set, poison, poisoned, next_id)
    return Scenario(seed, people, windows, owners, conflict_set)


def _add_poison(
    rng: random.Random,
    windows: list[list[Event]],
    owners: dict[tuple[int, str], Side],
    conflicts: set[tuple[int, str]],
    poison: tuple[str, str],
    poisoned: int,
    next_id: Callable[[], str],
) -> None:
    """Append our edits setting the poison value on people who own that property."""
    prop, value = poison
    candidates = sorted(
        person
        for (person, p), side in owners.items()
        if p == prop and side == "ours" and (person, p) not in conflicts
    )
    for person in rng.sample(candidates, min(poisoned, len(candidates))):
        window = windows[rng.randrange(len(windows))]
        window.append(Edit(next_id(), "ours", person, prop, value))
