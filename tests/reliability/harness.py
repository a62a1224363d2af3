"""Drive one scenario: a fresh org and store, the engine ticking between windows, then a drain.

The engine and sfemu share a FrozenClock (sfemu may run on a socket in this process); the
org's clock can be skewed against ours. Faults are set by the test between ``baseline`` and
``drain``; the drain runs with every fault removed and the daily limit restored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx2
from generator import FIELDS, Activity, Edit, Event, Person, Scenario

from ringsync.clock import FrozenClock
from ringsync.domain.activities import record_activity
from ringsync.domain.contact_values import Origin
from ringsync.domain.contacts import create_contact, update_contact
from ringsync.domain.sync_settings import edit_draft, save_draft
from ringsync.domain.tracking import ActivityDirection, ActivityEvent, ActivityKind
from ringsync.errors import RingsyncError
from ringsync.salesforce.auth import PasswordAuth
from ringsync.salesforce.budget import ApiBudget
from ringsync.salesforce.client import SalesforceClient
from ringsync.salesforce.hosts import HostPolicy
from ringsync.salesforce.retry import RetryPolicy
from ringsync.store.db import Database
from ringsync.store.repositories import outbox as outbox_repo
from ringsync.store.repositories.sync_links import list_links
from ringsync.sync.engine import EngineOptions, RunSummary, SyncEngine
from ringsync.sync.inbound import InboundOptions

DRAIN_STEP = timedelta(minutes=2)
"""How far the clock moves per drain round: past the outbound retry delay."""


def password_client(
    http: httpx2.Client, base_url: str, clock: FrozenClock, seed: int
) -> SalesforceClient:
    """Return a client logging in with sfemu's published demo credentials, never sleeping."""
    host = base_url.split("://", 1)[1]
    auth = PasswordAuth(
        http,
        base_url,
        HostPolicy([host]),
        client_id="sfemu-client",
        client_secret="sfemu-secret",
        username="admin@sfemu.test",
        password="sfemu",
    )
    return SalesforceClient(
        http,
        auth,
        retry=RetryPolicy.seeded(seed, max_attempts=3, base_delay=0.01, max_delay=0.02),
        budget=ApiBudget(clock),
        clock=clock,
        sleep=lambda _seconds: None,
    )


@dataclass
class World:
    """One account on our side, one emulated org, and the engine between them."""

    seed: int
    db: Database
    clock: FrozenClock
    app: Any
    client: SalesforceClient
    account_id: int
    rep_user_id: str
    contacts: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    late_commit: float = 0.0
    """With > 0, Salesforce edits are stamped this many seconds before the newest stamp the
    last inbound pass could read (a transaction that committed after our read)."""
    read_high: datetime | None = None
    engine: SyncEngine = field(init=False)

    def __post_init__(self) -> None:
        """Build the engine with Bulk reads off (small scenarios read by SOQL)."""
        options = EngineOptions(inbound=InboundOptions(bulk_threshold=None))
        self.engine = SyncEngine(
            self.db, lambda _account: self.client, clock=self.clock, options=options
        )

    # --- the emulator --------------------------------------------------------------------
    @property
    def org(self) -> Any:
        """Return the emulated org."""
        return self.app.state.sfemu.org

    @property
    def faults(self) -> Any:
        """Return sfemu's fault plan."""
        return self.app.state.sfemu.faults

    @property
    def stats(self) -> Any:
        """Return sfemu's call counters."""
        return self.app.state.sfemu.stats

    # --- set-up --------------------------------------------------------------------------
    def configure(self, **changes: Any) -> None:
        """Save sync settings for the account (two-way creates and updates on Leads)."""
        values = {
            "object_mode": "leads",
            "create_direction": "both",
            "update_direction": "both",
            **changes,
        }
        with self.db.write() as session:
            edit_draft(session, self.account_id, values, edited_by="reliability", clock=self.clock)
            save_draft(session, self.account_id, saved_by="reliability", clock=self.clock)

    def baseline(self, scenario: Scenario) -> None:
        """Create the early people on both sides and sync them with no fault active."""
        self.create_early(scenario)
        self.clock.advance(2)
        self.drain()
        self.adopt_early(scenario)

    def create_early(self, scenario: Scenario) -> None:
        """Create the early people: contacts on our side, Leads in Salesforce."""
        for person in scenario.people:
            if person.late:
                continue
            if person.origin == "ours":
                self._create_ours(person)
            else:
                self.org.create(
                    "Lead",
                    {"LastName": person.last_name, "Company": "Initech", "Phone": person.phone},
                    user_id=self.rep_user_id,
                )

    def adopt_early(self, scenario: Scenario) -> None:
        """Find the contacts created from Salesforce Leads; every early person must be linked."""
        links = self.links()
        for person in scenario.people:
            if person.late:
                continue
            if person.origin == "theirs":
                self.contacts[person.index] = self._contact_by_record(person, links)
            assert self.contacts[person.index] in links, f"seed {self.seed}: {person} not linked"

    def create_late(self, scenario: Scenario) -> None:
        """Create the late people on our side (their first sync meets the faults)."""
        for person in scenario.people:
            if person.late:
                self._create_ours(person)

    def _create_ours(self, person: Person) -> None:
        values = {"phone": person.phone, "last_name": person.last_name, "company": "Initech"}
        with self.db.write() as session:
            change = create_contact(session, self.account_id, values, clock=self.clock)
        self.contacts[person.index] = change.contact.id

    def _contact_by_record(self, person: Person, links: dict[int, str]) -> int:
        wanted = {
            self.org.normalize_id(r)
            for r in self.org.find_by_field("Lead", "LastName", person.last_name)
        }
        found = [c for c, record in links.items() if record in wanted]
        assert len(found) == 1, f"seed {self.seed}: {person} has links {found}"
        return found[0]

    # --- events --------------------------------------------------------------------------
    def apply(self, event: Event) -> None:
        """Apply one generated event on its side, one second after the previous one."""
        self.clock.advance(1)
        contact_id = self.contacts[event.person]
        if isinstance(event, Edit):
            if event.side == "ours":
                with self.db.write() as session:
                    update_contact(
                        session,
                        self.account_id,
                        contact_id,
                        {event.prop: event.value},
                        origin=Origin.RINGSYNC,
                        clock=self.clock,
                    )
            else:
                record_id = self.links()[contact_id]
                shift = self._late_shift(record_id)
                self.org.advance_clock(-shift)
                try:
                    self.org.update(
                        "Lead",
                        record_id,
                        {FIELDS[event.prop]: event.value},
                        user_id=self.rep_user_id,
                    )
                finally:
                    self.org.advance_clock(shift)
            return
        self._activity(contact_id, event)

    def _late_shift(self, record_id: str) -> float:
        """Return how far back to stamp an edit of this record (never before its own stamp)."""
        if not self.late_commit or self.read_high is None:
            return 0.0
        target = self.read_high - timedelta(seconds=self.late_commit)
        if _stamp(self.org.get(record_id)) >= target:
            return 0.0
        return max(0.0, (self.org.now() - target).total_seconds())

    def _activity(self, contact_id: int, event: Activity) -> None:
        kind = ActivityKind(event.kind)
        activity = ActivityEvent(
            external_id=event.event_id,
            kind=kind,
            direction=ActivityDirection(event.direction),
            occurred_at=self.clock.now(),
            body=f"text {event.event_id}" if kind is ActivityKind.SMS else None,
            duration_seconds=0 if kind is ActivityKind.SMS else 42,
        )
        with self.db.write() as session:
            record_activity(session, self.account_id, contact_id, activity, clock=self.clock)

    def tick(self) -> list[RunSummary]:
        """Run one inbound and one outbound pass; remember how failed runs ended."""
        self.clock.advance(2)
        self.read_high = max((_stamp(lead) for lead in self.leads()), default=None)
        summaries = [*self.engine.run_inbound(self.account_id)]
        summaries.append(self.engine.run_outbound(self.account_id))
        self.errors.extend(s.error for s in summaries if s.error)
        return summaries

    def play(self, scenario: Scenario, between: Callable[[int], None] | None = None) -> None:
        """Create the late people, then apply each window and tick after it."""
        self.create_late(scenario)
        for number, window in enumerate(scenario.windows):
            if between is not None:
                between(number)
            for event in window:
                self.apply(event)
            try:
                self.tick()
            except RingsyncError as exc:  # a run never raises one; record it if it does
                self.errors.append(f"{exc.code}: {exc.message}")

    def drain(self, max_rounds: int = 15) -> int:
        """Tick until nothing is pending and a round writes nothing; return the rounds used."""
        self.faults.clear()
        for rounds in range(1, max_rounds + 1):
            self.clock.advance(DRAIN_STEP)
            writes = self.stats.write_calls_total
            summaries = self.tick()
            quiet = self.stats.write_calls_total == writes and not any(s.error for s in summaries)
            if quiet and not self.pending():
                return rounds
        raise AssertionError(
            f"seed {self.seed}: not drained after {max_rounds} rounds; "
            f"{len(self.pending())} outbox rows pending; last errors {self.errors[-3:]}"
        )

    # --- reads ---------------------------------------------------------------------------
    def links(self) -> dict[int, str]:
        """Return contact id -> Salesforce record id."""
        with self.db.read() as session:
            return {
                link.contact_id: link.record_id for link in list_links(session, self.account_id)
            }

    def pending(self) -> list[Any]:
        """Return the outbox rows still pending."""
        with self.db.read() as session:
            return outbox_repo.list_rows(session, self.account_id, status=outbox_repo.PENDING)

    def leads(self) -> Iterator[dict[str, Any]]:
        """Yield every live Lead in the org."""
        yield from self.org.iter_records("Lead")


def _stamp(record: dict[str, Any]) -> datetime:
    """Return a record's SystemModstamp as an aware datetime."""
    return datetime.strptime(str(record["SystemModstamp"]), "%Y-%m-%dT%H:%M:%S.%f%z")
