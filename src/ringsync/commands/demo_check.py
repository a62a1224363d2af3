"""``ringsync demo --check``: a fixed script of changes on both sides, then proof they agree.

After the initial pull the script records calls and texts for a few contacts, edits and creates
contacts on our side, edits and creates records in Salesforce, then runs outbound and inbound
passes until the outbox is drained and a round changes nothing. The check then reads both
sides back and lists every difference: a linked contact whose mapped fields differ from its
Salesforce record (after conversion), tracking totals that differ from the events recorded, a
Salesforce record ringsync created twice, a change that never arrived.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ringsync.commands.demo_events import SimulatedEvent, pick_contacts, record
from ringsync.commands.demo_setup import DemoWorld
from ringsync.domain.contact_values import Origin
from ringsync.domain.contacts import (
    create_contact,
    find_contact_by_phone,
    list_contacts,
    update_contact,
)
from ringsync.domain.sync_settings import active_settings
from ringsync.mapping.catalog import SyncObject
from ringsync.salesforce.client import SalesforceClient
from ringsync.salesforce.soql import Cond
from ringsync.store.repositories import outbox as outbox_repo
from ringsync.store.repositories import sync_state
from ringsync.store.repositories.sync_links import LinkRow, list_links
from ringsync.sync.engine import RunSummary
from ringsync.sync.fingerprint import default_normalizer, e164_normalizer
from ringsync.sync.records import ReadSchema, read_schema, to_record

EVENT_CONTACTS = 4
EVENTS_PER_CONTACT = 6
MAX_ROUNDS = 8
CHUNK = 200
TOTALS = {
    ("call", "inbound"): "Total_Inbound_Calls__c",
    ("call", "outbound"): "Total_Outbound_Calls__c",
    ("sms", "inbound"): "Total_Inbound_Texts__c",
    ("sms", "outbound"): "Total_Outbound_Texts__c",
}
PHONE_QUERIES = {"Lead": "SELECT Id, Phone FROM Lead", "Contact": "SELECT Id, Phone FROM Contact"}
FIELD = {SyncObject.LEAD: {"city": "City"}, SyncObject.CONTACT: {"city": "MailingCity"}}


@dataclass
class CheckReport:
    """What the check did and every difference it found (none means the sides agree)."""

    runs: list[RunSummary] = field(default_factory=list)
    events: list[SimulatedEvent] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    compared: int = 0
    failed_records: int = 0
    api_calls: int = 0
    rounds: int = 0

    def total(self, direction: str, *actions: str) -> int:
        """Sum the run totals of ``actions`` over the runs of one direction."""
        return sum(
            s.totals.get(a, 0) for s in self.runs if s.direction == direction for a in actions
        )

    @property
    def agree(self) -> bool:
        """Tell whether the two sides agree."""
        return not self.problems


def _chunks(items: list[str], size: int = CHUNK) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _phones(client: SalesforceClient, sobject: str) -> dict[str, str]:
    """Return every record's Id -> Phone of one object."""
    soql = PHONE_QUERIES[sobject]
    return {str(r["Id"]): str(r.get("Phone") or "") for r in client.iter_query(soql)}


def _fresh_phones(taken: Iterable[str], region: str, count: int) -> list[str]:
    """Return ``count`` valid demo numbers that no record uses yet."""
    e164 = e164_normalizer(region)
    used = {e164(p) for p in taken}
    found: list[str] = []
    for n in range(100, 10_000):
        candidate = f"+1 (415) 555-{n:04d}"
        if e164(candidate) and e164(candidate) not in used:
            found.append(candidate)
        if len(found) == count:
            break
    return found


class DemoCheck:
    """Run the scripted scenario against a demo world and verify the outcome."""

    def __init__(self, world: DemoWorld) -> None:
        """Use the world's product, account and emulator."""
        self.world = world
        self.db = world.product.database
        self.account = world.account_id
        self.engine = world.product.engine
        self.client = world.product.client(world.account_id)
        with self.db.read() as session:
            self.settings = active_settings(session, self.account)
        self.report = CheckReport()
        self.baseline: dict[str, dict[str, str]] = {}
        self.created_here: list[str] = []
        self.created_there: list[str] = []
        self.edited_here: dict[int, str] = {}
        self.edited_there: dict[str, str] = {}

    # --- the script -------------------------------------------------------------------
    def run(self, pulled: list[RunSummary]) -> CheckReport:
        """Run the script, converge, verify, and return the report."""
        self.report.runs += pulled
        for sobject in ("Lead", "Contact"):
            self.baseline[sobject] = _phones(self.client, sobject)
        links = self._links()
        self._events()
        self._edit_here(links[EVENT_CONTACTS : EVENT_CONTACTS + 3])
        self._edit_there(links[EVENT_CONTACTS + 3 : EVENT_CONTACTS + 6])
        self._create_both_sides()
        self._converge()
        for run in self.report.runs:
            if run.error:
                where = f"{run.direction} {run.sobject}" if run.sobject else run.direction
                self.report.problems.append(f"run {run.run_id} ({where}) failed: {run.error}")
        self.verify()
        self.report.failed_records = len(self.engine.list_failed(self.account))
        self.report.api_calls = self.world.api_calls()
        return self.report

    def _links(self) -> list[LinkRow]:
        with self.db.read() as session:
            return list_links(session, self.account)

    def _events(self) -> None:
        contacts = pick_contacts(self.db, self.account, EVENT_CONTACTS)
        for number in range(EVENTS_PER_CONTACT):
            for contact_id in contacts:
                self.report.events.append(
                    record(
                        self.db, self.account, contact_id, number, clock=self.world.product.clock
                    )
                )

    def _edit_here(self, links: list[LinkRow]) -> None:
        for index, link in enumerate(links):
            city = f"Edited Here {index}"
            with self.db.write() as session:
                update_contact(
                    session,
                    self.account,
                    link.contact_id,
                    {"city": city, "custom_field_1": f"ringsync note {index}"},
                    origin=Origin.RINGSYNC,
                )
            self.edited_here[link.contact_id] = city

    def _edit_there(self, links: list[LinkRow]) -> None:
        for index, link in enumerate(links):
            sobject = SyncObject(link.sobject)
            city = f"Edited There {index}"
            self.client.update(
                sobject.value,
                link.record_id,
                {FIELD[sobject]["city"]: city, "Custom_Field_2__c": "from SF"},
            )
            self.edited_there[link.record_id] = city

    def _create_both_sides(self) -> None:
        taken = [p for phones in self.baseline.values() for p in phones.values()]
        here_one, here_two, there = _fresh_phones(taken, self.settings.phone_region, 3)
        for phone, last in ((here_one, "Created-Here"), (here_two, "Also-Here")):
            with self.db.write() as session:
                create_contact(
                    session,
                    self.account,
                    {"phone": phone, "first_name": "Demo", "last_name": last, "company": "Acme"},
                )
            self.created_here.append(phone)
        self.client.create(
            "Lead", {"LastName": "Created-There", "Company": "Globex", "Phone": there}
        )
        self.created_there.append(there)

    def _pending(self) -> int:
        with self.db.read() as session:
            return len(outbox_repo.list_rows(session, self.account, status=outbox_repo.PENDING))

    def _converge(self) -> None:
        stats = self.world.emulator.state.sfemu.stats
        for round_number in range(1, MAX_ROUNDS + 1):
            self.report.rounds = round_number
            writes = stats.write_calls_total
            out = self.engine.run_outbound(self.account)
            time.sleep(1.1)  # let Salesforce's SystemModstamp pass the second we wrote in
            ins = self.engine.run_inbound(self.account)
            self.report.runs += [out, *ins]
            changed = sum(s.totals.get(a, 0) for s in (out, *ins) for a in ("created", "updated"))
            if not self._pending() and not changed and stats.write_calls_total == writes:
                return
        self.report.problems.append(
            f"the sync did not settle in {MAX_ROUNDS} rounds ({self._pending()} outbox rows left)"
        )

    # --- verification -----------------------------------------------------------------
    def verify(self) -> list[str]:
        """Compare both sides now; add each difference to the report and return the new ones."""
        before = len(self.report.problems)
        self._verify_links()
        self._verify_totals()
        self._verify_creates()
        self._verify_edits()
        return self.report.problems[before:]

    def _contacts(self) -> dict[int, Mapping[str, Any]]:
        found: dict[int, Mapping[str, Any]] = {}
        after = 0
        with self.db.read() as session:
            while True:
                page = list_contacts(session, self.account, after_id=after, limit=500)
                if not page:
                    return found
                found.update((c.id, c.values) for c in page)
                after = page[-1].id

    def _records(self, schema: ReadSchema, ids: list[str]) -> dict[str, Any]:
        records: dict[str, Any] = {}
        for chunk in _chunks(ids):
            soql = schema.soql(Cond("Id", "IN", tuple(chunk)))
            records.update((str(r["Id"]), r) for r in self.client.iter_query(soql))
        return records

    def _verify_links(self) -> None:
        contacts = self._contacts()
        normalizer = default_normalizer(self.settings.phone_region)
        with self.db.read() as session:
            owners = sync_state.users_by_salesforce_id(session, self.account)
        for sobject in self.settings.objects():
            schema = read_schema(
                sobject, self.client.describe(sobject.value), self.settings.mappings_for(sobject)
            )
            with self.db.read() as session:
                links = list_links(session, self.account, sobject=sobject.value)
            records = self._records(schema, [link.record_id for link in links])
            for link in links:
                raw = records.get(link.record_id)
                ours = contacts.get(link.contact_id)
                if raw is None or ours is None:
                    side = "Salesforce record" if raw is None else "contact"
                    self.report.problems.append(
                        f"{sobject.value} {link.record_id} / contact {link.contact_id}: "
                        f"the {side} is missing"
                    )
                    continue
                self.report.compared += 1
                theirs = to_record(raw, schema, owners, normalizer).record.values
                for prop, value in theirs.items():  # an unmapped owner is not read: not compared
                    mine = ours.get(prop)
                    if normalizer.equal(prop, mine, value) or schema.written_as(
                        prop, mine, value, normalizer
                    ):
                        continue
                    self.report.problems.append(
                        f"contact {link.contact_id} / {sobject.value} {link.record_id}: {prop} "
                        f"is {mine!r} here but {value!r} in Salesforce"
                    )

    def _verify_edits(self) -> None:
        contacts = self._contacts()
        for contact_id, city in self.edited_here.items():
            if contacts.get(contact_id, {}).get("city") != city:
                self.report.problems.append(f"contact {contact_id}: our edit of city was lost")
        by_record = {link.record_id: link.contact_id for link in self._links()}
        for record_id, city in self.edited_there.items():
            linked = by_record.get(record_id)
            if linked is None or contacts.get(linked, {}).get("city") != city:
                self.report.problems.append(
                    f"record {record_id}: the city edited in Salesforce never reached ringsync"
                )

    def _link_of(self, contact_id: int) -> LinkRow | None:
        return next((link for link in self._links() if link.contact_id == contact_id), None)

    def _verify_totals(self) -> None:
        expected: dict[int, Counter[str]] = {}
        for event in self.report.events:
            name = TOTALS[(event.kind.value, event.direction.value)]
            expected.setdefault(event.contact_id, Counter())[name] += 1
        for contact_id, totals in expected.items():
            link = self._link_of(contact_id)
            if link is None:
                self.report.problems.append(f"contact {contact_id} with events is not linked")
                continue
            record_ = self.client.get(link.sobject, link.record_id, list(TOTALS.values()))
            for name in TOTALS.values():
                got = int(float(record_.get(name) or 0))
                if got != totals[name]:
                    self.report.problems.append(
                        f"contact {contact_id} / {link.sobject} {link.record_id}: {name} is "
                        f"{got} in Salesforce, {totals[name]} events were recorded"
                    )

    def _verify_creates(self) -> None:
        e164 = e164_normalizer(self.settings.phone_region)
        for sobject, before in self.baseline.items():
            after = _phones(self.client, sobject)
            counts = Counter(e164(p) for p in after.values() if p)
            for record_id in sorted(set(after) - set(before)):
                number = e164(after[record_id])
                if number and counts[number] > 1:
                    self.report.problems.append(
                        f"{sobject} {record_id}: ringsync created a second record for a phone "
                        "number that already had one"
                    )
        for phone in self.created_here:
            with self.db.read() as session:
                mine = find_contact_by_phone(session, self.account, phone)
            if mine is None or self._link_of(mine.id) is None:
                self.report.problems.append(
                    f"a contact created here (…{phone[-4:]}) never reached Salesforce"
                )
        for phone in self.created_there:
            with self.db.read() as session:
                found = find_contact_by_phone(session, self.account, phone)
            if found is None:
                self.report.problems.append(
                    f"a Lead created in Salesforce (…{phone[-4:]}) never reached ringsync"
                )


__all__ = ["CheckReport", "DemoCheck"]
