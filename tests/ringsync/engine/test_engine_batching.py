"""Batch apply and settle: a few statements per batch, the outcomes of record-by-record."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event

from ringsync.clock import FrozenClock
from ringsync.domain.contact_values import Origin
from ringsync.domain.contacts_bulk import upsert_contacts
from ringsync.domain.sync_settings import active_settings
from ringsync.mapping.catalog import SyncObject
from ringsync.store.db import Database
from ringsync.store.repositories import sync_failed, sync_links
from ringsync.store.repositories.sync_links import LinkRow
from ringsync.store.repositories.sync_log import LogAction
from ringsync.sync.engine import SyncEngine
from ringsync.sync.fingerprint import default_normalizer, e164_normalizer
from ringsync.sync.inbound_apply import BatchContext, apply_batch
from ringsync.sync.inbound_writes import BatchWrites
from ringsync.sync.plan import InboundRecord, PlanSettings
from ringsync.sync.records import ReadRecord


@contextmanager
def _statements(database: Database) -> Iterator[list[str]]:
    """Collect the SQL statements the driver runs (an executemany counts once)."""
    seen: list[str] = []

    def note(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(database.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(database.engine, "before_cursor_execute", note)


def _lead(org: Any, phone: str, **values: Any) -> str:
    fields = {"LastName": "Ng", "Company": "Acme", "Phone": phone, **values}
    return str(org.create("Lead", fields))


def _context(database: Database, account_id: int, clock: FrozenClock) -> BatchContext:
    with database.read() as session:
        settings = active_settings(session, account_id)
    return BatchContext(
        account_id=account_id,
        settings=PlanSettings.from_sync_settings(settings),
        normalizer=default_normalizer(settings.phone_region),
        phone=e164_normalizer(settings.phone_region),
        at=clock.now(),
    )


def _read(record_id: str, **values: Any) -> ReadRecord:
    record = InboundRecord(SyncObject.LEAD, record_id, {"last_name": "Ng", **values})
    return ReadRecord(record, datetime(2026, 3, 1, 11, 0, tzinfo=UTC), f"key-{record_id}")


def test_pulling_new_leads_costs_a_few_statements_per_batch_not_per_record(
    engine: SyncEngine, org: Any, store: Any, account_id: int, database: Database
) -> None:
    for i in range(40):
        _lead(org, f"(415) 555-{1000 + i:04d}", FirstName=f"F{i}")

    with _statements(database) as seen:
        [run] = engine.run_inbound(account_id)

    assert run.totals.get("created") == 40
    links = store.links()
    assert len(links) == 40
    assert all(link.fingerprint for link in links)
    assert store.by_phone("+14155551007")["first_name"] == "F7"  # type: ignore[index]
    # Record by record this took about ten statements a record (400 here).
    assert len(seen) <= 40
    assert sum("INSERT INTO contacts" in sql for sql in seen) == 1
    assert sum("INSERT INTO sync_links" in sql for sql in seen) == 1


def test_one_batch_creates_refuses_updates_and_resolves_in_plan_order(
    database: Database, account_id: int, clock: FrozenClock
) -> None:
    with database.write() as session:
        done = upsert_contacts(
            session, account_id, [{"phone": "+14155550901"}], origin=Origin.RINGSYNC
        )
        kept_id = done.ids[("+14155550901", "")]
        for record_id in ("00Q000000000001AAA", "00Q000000000002AAA"):
            sync_failed.record_failure(
                session,
                account_id,
                contact_id=None,
                sobject="Lead",
                record_id=record_id,
                operation=sync_failed.INBOUND_OPERATION,
                payload={},
                error_code="validation_error",
                message="earlier refusal",
                at=clock.now(),
            )
    reads = [
        _read("00Q000000000001AAA", phone="+14155550911", first_name="New"),
        _read("00Q000000000002AAA", phone="+14155550912", owner=987654),
        _read("00Q000000000003AAA", phone="+14155550901", first_name="Matched"),
        _read("00Q000000000004AAA", phone="+14155550913", first_name="Also new"),
    ]
    ctx = _context(database, account_id, clock)

    with database.write() as session:
        apply_batch(session, ctx, reads)

    by_record = {e.record_id: e for e in ctx.entries}
    assert [e.record_id for e in ctx.entries] == [r.record.id for r in reads]
    assert by_record["00Q000000000001AAA"].action is LogAction.CREATED
    refused = by_record["00Q000000000002AAA"]
    assert refused.action is LogAction.FAILED
    assert refused.reason == "contact not created: no user 987654 in this account"
    assert refused.error_code == "validation_error"
    assert by_record["00Q000000000003AAA"].action is LogAction.UPDATED
    assert by_record["00Q000000000003AAA"].contact_id == kept_id
    assert by_record["00Q000000000004AAA"].action is LogAction.CREATED
    with database.read() as session:
        still_open = sync_failed.list_failed(session, account_id)
        links = sync_links.by_records(session, account_id, [r.record.id for r in reads])
    assert [(f.record_id, f.message, f.attempts) for f in still_open] == [
        ("00Q000000000002AAA", refused.reason, 2)
    ]
    assert sorted(links) == ["00Q000000000001AAA", "00Q000000000003AAA", "00Q000000000004AAA"]
    assert links["00Q000000000003AAA"].contact_id == kept_id
    assert {e.contact_id for e in ctx.entries if e.action is LogAction.CREATED} == {
        links["00Q000000000001AAA"].contact_id,
        links["00Q000000000004AAA"].contact_id,
    }


def test_settling_a_push_costs_a_few_statements_for_the_whole_group(
    engine: SyncEngine,
    org: Any,
    store: Any,
    account_id: int,
    database: Database,
    clock: FrozenClock,
) -> None:
    lead_ids = [_lead(org, f"(415) 555-{2000 + i:04d}") for i in range(30)]
    engine.run_inbound(account_id)
    clock.advance(5)
    with database.write() as session:
        upsert_contacts(
            session,
            account_id,
            [{"phone": f"+1415555{2000 + i:04d}", "city": f"City {i}"} for i in range(30)],
            origin=Origin.RINGSYNC,
            clock=clock,
        )

    with _statements(database) as seen:
        run = engine.run_outbound(account_id)

    assert run.totals.get("updated") == 30
    assert [org.get(lead_id)["City"] for lead_id in lead_ids] == [f"City {i}" for i in range(30)]
    assert store.outbox(status="pending") == []
    assert len(store.outbox(status="done")) == 30
    bases = {link.record_id: link.base for link in store.links()}
    assert bases[lead_ids[4]]["city"] == "City 4"
    assert bases[lead_ids[4]]["phone"] == "+14155552004"  # the rest of the base is kept
    # Record by record settling alone took about four statements a record (120 here).
    assert len(seen) <= 30
    assert sum(sql.startswith("UPDATE sync_links") for sql in seen) == 1


def test_a_failed_push_and_a_sent_one_settle_apart_in_one_group(
    engine: SyncEngine,
    org: Any,
    store: Any,
    account_id: int,
    clock: FrozenClock,
) -> None:
    ok_lead = _lead(org, "(415) 555-0931")
    bad_lead = _lead(org, "(415) 555-0932")
    engine.run_inbound(account_id)
    ok_contact = int(store.by_phone("+14155550931")["id"])  # type: ignore[index]
    bad_contact = int(store.by_phone("+14155550932")["id"])  # type: ignore[index]
    org.delete(bad_lead)
    clock.advance(5)
    store.edit(ok_contact, city="Reno")
    store.edit(bad_contact, city="Gone")

    engine.run_outbound(account_id)

    assert org.get(ok_lead)["City"] == "Reno"
    [failed] = engine.list_failed(account_id)
    assert (failed.contact_id, failed.record_id) == (bad_contact, bad_lead)
    assert [r.contact_id for r in store.outbox(status="done")] == [ok_contact]
    assert [r.contact_id for r in store.outbox(status="failed")] == [bad_contact]
    bases = {link.contact_id: link.base for link in store.links()}
    assert bases[ok_contact]["city"] == "Reno"
    assert "city" not in bases.get(bad_contact, {})
    sent = [e for e in store.log("updated") if e.direction == "outbound"]
    assert [e.contact_id for e in sent] == [ok_contact]


def test_a_link_given_twice_for_one_contact_or_record_keeps_the_later_one(
    database: Database, account_id: int, clock: FrozenClock
) -> None:
    with database.write() as session:
        done = upsert_contacts(
            session,
            account_id,
            [{"phone": f"+1415555{950 + i:04d}"} for i in range(3)],
            origin=Origin.SALESFORCE,
        )
    a, b, c = sorted(done.ids.values())
    with database.write() as session:
        sync_links.save(session, account_id, LinkRow(a, "Lead", "00QA"), clock.now())
        stored = sync_links.by_records(session, account_id, ["00QA"])
        writes = BatchWrites(session, account_id, clock.now(), stored)
        writes.link(LinkRow(a, "Lead", "00QA", {"city": "first"}))
        writes.link(LinkRow(a, "Lead", "00QA", {"city": "second"}))  # same link: refreshed
        writes.link(LinkRow(b, "Lead", "00QB", {"city": "dropped"}))
        writes.link(LinkRow(c, "Lead", "00QB", {"city": "record moved"}))  # same record
        writes.link(LinkRow(b, "Lead", "00QX", {"city": "contact moved"}))
        writes.flush()
        links = {link.record_id: link for link in sync_links.list_links(session, account_id)}

    assert {rid: (link.contact_id, link.base) for rid, link in links.items()} == {
        "00QA": (a, {"city": "second"}),
        "00QB": (c, {"city": "record moved"}),
        "00QX": (b, {"city": "contact moved"}),
    }
