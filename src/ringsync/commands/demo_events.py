"""Simulate the contact center's traffic in the demo: calls and texts with a few contacts.

Each event goes through ``record_activity`` (the same service the events API calls), which
updates the contact's tracking stats and writes an outbox row in one transaction; after the
commit the runner is woken, so the tracking fields reach Salesforce within seconds.
"""

from __future__ import annotations

import itertools
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from ringsync.clock import Clock, SystemClock
from ringsync.domain.activities import record_activity
from ringsync.domain.contacts import list_contacts
from ringsync.domain.tracking import ActivityDirection, ActivityEvent, ActivityKind
from ringsync.store.db import Database

logger = logging.getLogger(__name__)

# The agents' desk is in a fixed zone so the demo shows the time-zone rule (08:33:16-07:00).
DESK_ZONE = timezone(timedelta(hours=-7))
PATTERN: tuple[tuple[ActivityKind, ActivityDirection], ...] = (
    (ActivityKind.CALL, ActivityDirection.OUTBOUND),
    (ActivityKind.SMS, ActivityDirection.INBOUND),
    (ActivityKind.CALL, ActivityDirection.INBOUND),
    (ActivityKind.SMS, ActivityDirection.OUTBOUND),
)
TEXTS = ("Hi! Is now a good time to talk?", "Thanks, see you Tuesday.", "Call me back please.")


@dataclass(frozen=True)
class SimulatedEvent:
    """One event the simulation recorded: which contact, what kind and direction."""

    contact_id: int
    kind: ActivityKind
    direction: ActivityDirection


def pick_contacts(database: Database, account_id: int, count: int) -> list[int]:
    """Return the ids of the first ``count`` contacts that have a phone number."""
    with database.read() as session:
        found = list_contacts(session, account_id, limit=max(count * 4, 20))
    return [c.id for c in found if c.values.get("phone")][:count]


def make_event(
    number: int, kind: ActivityKind, direction: ActivityDirection, at: datetime
) -> ActivityEvent:
    """Build the ``number``-th simulated event of ``kind`` and ``direction`` at ``at``."""
    local = at.astimezone(DESK_ZONE)
    if kind is ActivityKind.SMS:
        return ActivityEvent(
            external_id=f"demo-{uuid.uuid4()}",
            kind=kind,
            direction=direction,
            occurred_at=local,
            body=TEXTS[number % len(TEXTS)],
        )
    return ActivityEvent(
        external_id=f"demo-{uuid.uuid4()}",
        kind=kind,
        direction=direction,
        occurred_at=local,
        duration_seconds=30 + (number * 17) % 240,
    )


def record(
    database: Database,
    account_id: int,
    contact_id: int,
    number: int,
    *,
    clock: Clock,
) -> SimulatedEvent:
    """Record the ``number``-th event of the pattern for one contact (one transaction)."""
    kind, direction = PATTERN[number % len(PATTERN)]
    event = make_event(number, kind, direction, clock.now())
    with database.write() as session:
        record_activity(session, account_id, contact_id, event, clock=clock)
    return SimulatedEvent(contact_id, kind, direction)


class Simulation:
    """Record an event every few seconds on a background thread until stopped."""

    def __init__(
        self,
        database: Database,
        account_id: int,
        contacts: list[int],
        wake: Callable[[int], None],
        *,
        every_seconds: float = 4.0,
        clock: Clock | None = None,
    ) -> None:
        """Cycle through ``contacts``; call ``wake(account_id)`` after each commit."""
        if not contacts:
            raise ValueError("the simulation needs at least one contact")
        self._database = database
        self._account_id = account_id
        self._contacts = contacts
        self._wake = wake
        self._every = every_seconds
        self._clock = clock or SystemClock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="ringsync-demo-events", daemon=True)
        self.recorded: list[SimulatedEvent] = []

    def start(self) -> None:
        """Start recording events."""
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the event in progress, if any."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _loop(self) -> None:
        for number in itertools.count():
            if self._stop.wait(self._every):
                return
            contact_id = self._contacts[number % len(self._contacts)]
            try:
                done = record(
                    self._database, self._account_id, contact_id, number, clock=self._clock
                )
                self._wake(self._account_id)
            except Exception:
                logger.exception("demo: could not record a simulated event")
                continue
            self.recorded.append(done)
            logger.info(
                "demo: %s %s with contact %s recorded; sync woken",
                done.direction.value,
                done.kind.value,
                contact_id,
            )


__all__ = ["PATTERN", "SimulatedEvent", "Simulation", "make_event", "pick_contacts", "record"]
