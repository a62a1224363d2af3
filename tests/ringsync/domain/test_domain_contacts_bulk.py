from ringsync.clock import FrozenClock
from ringsync.domain.contact_values import Origin
from ringsync.domain.contacts import find_contact_by_phone, update_contact
from ringsync.domain.contacts_bulk import upsert_contacts
from ringsync.store.db import Database
from ringsync.store.repositories import outbox


def rows(count: int, **extra: object) -> list[dict[str, object]]:
    return [{"phone": f"+1415555{i:04d}", "first_name": f"F{i}", **extra} for i in range(count)]


def test_bulk_insert_then_update_then_nothing(
    database: Database, account_id: int, clock: FrozenClock
) -> None:
    with database.write() as s:
        first = upsert_contacts(s, account_id, rows(25), origin=Origin.SALESFORCE, batch_size=10)
    assert (first.inserted, first.updated, first.unchanged, first.outbox_rows) == (25, 0, 0, 0)
    assert len(first.ids) == 25
    clock.advance(5)
    changed = rows(25)
    changed[3]["city"] = "Oakland"
    with database.write() as s:
        second = upsert_contacts(
            s, account_id, changed, origin=Origin.RINGSYNC, batch_size=10, clock=clock
        )
    assert (second.inserted, second.updated, second.unchanged) == (0, 1, 24)
    assert second.outbox_rows == 1
    with database.read() as s:
        queued = outbox.list_rows(s, account_id)
        contact = find_contact_by_phone(s, account_id, "+14155550003")
    assert [(r.contact_id, r.fields) for r in queued] == [
        (first.ids[("+14155550003", "")], ("city",))
    ]
    assert contact is not None
    assert contact.values["city"] == "Oakland"
    assert contact.version == 2
    assert contact.provenance["city"].origin is Origin.RINGSYNC
    assert contact.provenance["first_name"].origin is Origin.SALESFORCE


def test_bulk_from_ringsync_queues_new_contacts(database: Database, account_id: int) -> None:
    with database.write() as s:
        result = upsert_contacts(s, account_id, rows(3, dnc=True), origin=Origin.RINGSYNC)
    with database.read() as s:
        queued = outbox.list_rows(s, account_id)
    assert result.outbox_rows == 3
    assert {r.fields for r in queued} == {("dnc", "first_name", "phone")}


def test_bad_rows_are_skipped_and_reported_by_index(database: Database, account_id: int) -> None:
    batch = rows(4)
    batch[1] = {"phone": "12"}
    batch[2] = {"first_name": "no phone", "email": "bad"}
    with database.write() as s:
        result = upsert_contacts(s, account_id, batch, origin=Origin.SALESFORCE, batch_size=3)
    assert result.inserted == 2
    assert [(r.index, sorted(p.code for p in r.problems)) for r in result.rejected] == [
        (1, ["invalid_number"]),
        (2, ["bad_email", "required"]),
    ]


def test_duplicates_in_one_batch_merge_into_one_contact(
    database: Database, account_id: int
) -> None:
    batch = [
        {"phone": "4155550000", "first_name": "Old"},
        {"phone": "+1 (415) 555-0000", "first_name": "New", "city": "SF"},
    ]
    with database.write() as s:
        result = upsert_contacts(s, account_id, batch, origin=Origin.SALESFORCE)
    assert (result.inserted, result.updated) == (1, 0)
    with database.read() as s:
        contact = find_contact_by_phone(s, account_id, "4155550000")
    assert contact is not None
    assert (contact.values["first_name"], contact.values["city"]) == ("New", "SF")


def test_bulk_and_single_updates_agree_on_versions(database: Database, account_id: int) -> None:
    with database.write() as s:
        ids = upsert_contacts(s, account_id, rows(1), origin=Origin.SALESFORCE).ids
        contact_id = ids[("+14155550000", "")]
        update_contact(s, account_id, contact_id, {"city": "LA"}, origin=Origin.SALESFORCE)
        upsert_contacts(
            s, account_id, [{"phone": "+14155550000", "city": "NY"}], origin=Origin.SALESFORCE
        )
    with database.read() as s:
        contact = find_contact_by_phone(s, account_id, "+14155550000")
    assert contact is not None
    assert (contact.version, contact.values["city"]) == (3, "NY")
    assert contact.provenance["city"].previous == "LA"
