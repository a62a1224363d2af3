"""Batch link writes: the same rows `save`, `update_base` and `set_fingerprint` leave behind."""

from __future__ import annotations

from datetime import date, timedelta

from ringsync.clock import FrozenClock
from ringsync.domain.contact_values import Origin
from ringsync.domain.contacts_bulk import create_contacts
from ringsync.store.db import Database
from ringsync.store.repositories import sync_links
from ringsync.store.repositories.sync_links import LinkRow


def _contacts(database: Database, account_id: int, count: int) -> list[int]:
    rows = [{"phone": f"+1415555{700 + i:04d}"} for i in range(count)]
    with database.write() as s:
        ids = create_contacts(s, account_id, rows, origin=Origin.SALESFORCE)
    return [int(i) for i in ids]  # type: ignore[arg-type]  # all valid rows


def test_insert_many_replaces_links_of_the_same_contact_or_record(
    database: Database, account_id: int, clock: FrozenClock
) -> None:
    a, b, c = _contacts(database, account_id, 3)
    with database.write() as s:
        sync_links.save(s, account_id, LinkRow(a, "Lead", "00QA"), clock.now())
        sync_links.save(s, account_id, LinkRow(b, "Lead", "00QB"), clock.now())
        sync_links.save(s, account_id, LinkRow(c, "Lead", "00QC"), clock.now())
    clock.advance(5)
    new = [
        LinkRow(a, "Contact", "003A", {"born": date(1990, 5, 1)}, "fp-a"),
        LinkRow(c, "Lead", "00QB", {"city": "Reno"}),
    ]

    with database.write() as s:
        sync_links.insert_many(s, account_id, new, clock.now())
        stored = {link.record_id: link for link in sync_links.list_links(s, account_id)}

    assert sorted(stored) == ["003A", "00QB"]
    assert (stored["003A"].contact_id, stored["003A"].base, stored["003A"].fingerprint) == (
        a,
        {"born": date(1990, 5, 1)},
        "fp-a",
    )
    assert (stored["00QB"].contact_id, stored["00QB"].base) == (c, {"city": "Reno"})
    assert stored["00QB"].last_synced_at == clock.now()


def test_refresh_many_rewrites_base_and_fingerprint_of_links_as_stored(
    database: Database, account_id: int, clock: FrozenClock
) -> None:
    a, b = _contacts(database, account_id, 2)
    with database.write() as s:
        sync_links.insert_many(
            s, account_id, [LinkRow(a, "Lead", "00QA"), LinkRow(b, "Lead", "00QB")], clock.now()
        )
    linked_at = clock.now()
    clock.advance(60)

    with database.write() as s:
        sync_links.refresh_many(
            s, account_id, [LinkRow(a, "Lead", "00QA", {"city": "Oakland"}, "fp")], clock.now()
        )
        stored = {link.record_id: link for link in sync_links.list_links(s, account_id)}

    assert (stored["00QA"].base, stored["00QA"].fingerprint) == ({"city": "Oakland"}, "fp")
    assert stored["00QA"].last_synced_at == linked_at + timedelta(seconds=60)
    assert (stored["00QB"].base, stored["00QB"].last_synced_at) == ({}, linked_at)


def test_update_bases_merges_changes_and_names_the_linked_contacts(
    database: Database, account_id: int, clock: FrozenClock
) -> None:
    a, b, unlinked = _contacts(database, account_id, 3)
    with database.write() as s:
        sync_links.insert_many(
            s,
            account_id,
            [
                LinkRow(a, "Lead", "00QA", {"city": "Reno", "phone": "+14155550700"}, "fp-a"),
                LinkRow(b, "Lead", "00QB", {"city": "Elko"}),
            ],
            clock.now(),
        )

    with database.write() as s:
        linked = sync_links.update_bases(
            s, account_id, {a: {"city": "Oakland"}, unlinked: {"city": "Nowhere"}}, clock.now()
        )
        stored = {link.contact_id: link for link in sync_links.list_links(s, account_id)}

    assert linked == {a}
    assert stored[a].base == {"city": "Oakland", "phone": "+14155550700"}
    assert stored[a].fingerprint is None  # as update_base: the next read is compared afresh
    assert stored[b].base == {"city": "Elko"}
    assert unlinked not in stored


def test_set_fingerprints_touches_only_the_named_records(
    database: Database, account_id: int, clock: FrozenClock
) -> None:
    a, b = _contacts(database, account_id, 2)
    with database.write() as s:
        sync_links.insert_many(
            s, account_id, [LinkRow(a, "Lead", "00QA"), LinkRow(b, "Lead", "00QB")], clock.now()
        )
        sync_links.set_fingerprints(s, account_id, {"00QA": "fp-new", "00QZ": "none"}, clock.now())
        stored = {link.record_id: link.fingerprint for link in sync_links.list_links(s, account_id)}

    assert stored == {"00QA": "fp-new", "00QB": None}


def test_empty_batches_write_nothing(
    database: Database, account_id: int, clock: FrozenClock
) -> None:
    with database.write() as s:
        sync_links.insert_many(s, account_id, [], clock.now())
        sync_links.refresh_many(s, account_id, [], clock.now())
        sync_links.set_fingerprints(s, account_id, {}, clock.now())
        assert sync_links.update_bases(s, account_id, {}, clock.now()) == set()
        assert sync_links.list_links(s, account_id) == []
