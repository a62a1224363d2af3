"""create_contacts: create_contact's rules for many rows at once, one outcome per row."""

from __future__ import annotations

from ringsync.clock import FrozenClock
from ringsync.domain.contact_values import Origin
from ringsync.domain.contacts import create_contact, get_contact
from ringsync.domain.contacts_bulk import create_contacts
from ringsync.errors import ValidationError
from ringsync.store.db import Database
from ringsync.store.repositories import outbox


def test_each_row_gets_its_id_or_the_refusal_create_contact_would_give(
    database: Database, account_id: int, clock: FrozenClock
) -> None:
    with database.write() as s:
        first = create_contact(s, account_id, {"phone": "+14155550801"}, clock=clock).contact.id
    rows: list[dict[str, object]] = [
        {"phone": "(415) 555-0802", "first_name": "Ada", "dnc": False},
        {"first_name": "No phone"},
        {"phone": "not a number"},
        {"phone": "+14155550801", "first_name": "Taken"},
        {"phone": "415.555.0802", "first_name": "Repeated"},
        {"phone": "+14155550803", "owner": 424242},
        {"phone": "+14155550803 x12", "city": "Reno"},
    ]

    with database.write() as s:
        outcomes = create_contacts(s, account_id, rows, origin=Origin.SALESFORCE, clock=clock)

    assert len(outcomes) == len(rows)
    refused = {i: o for i, o in enumerate(outcomes) if isinstance(o, ValidationError)}
    assert {i: [(p.field, p.code) for p in o.problems] for i, o in refused.items()} == {
        1: [("phone", "required")],
        2: [("phone", "bad_chars")],
        3: [("phone", "taken")],
        4: [("phone", "taken")],
        5: [("owner", "unknown_reference")],
    }
    assert all(o.message == "the contact cannot be created" for o in refused.values())
    assert refused[3].problems[0].reason == "another contact has phone +1******0801"
    with database.read() as s:
        ada = get_contact(s, account_id, int(outcomes[0]))  # type: ignore[arg-type]
        extension = get_contact(s, account_id, int(outcomes[6]))  # type: ignore[arg-type]
        queued = outbox.list_rows(s, account_id)
    assert (ada.phone, ada.values["first_name"], ada.version) == ("+14155550802", "Ada", 1)
    assert sorted(ada.provenance) == ["first_name", "phone"]
    assert {p.origin for p in ada.provenance.values()} == {Origin.SALESFORCE}
    assert (extension.phone, extension.extension, extension.values["city"]) == (
        "+14155550803",
        "12",
        "Reno",
    )
    # Only the contact made by create_contact (origin ringsync) is queued for Salesforce.
    assert [r.contact_id for r in queued] == [first]


def test_our_own_creates_write_one_outbox_row_each_naming_what_they_set(
    database: Database, account_id: int, clock: FrozenClock
) -> None:
    rows = [{"phone": "+14155550811", "city": "Oakland"}, {"phone": "+14155550812"}]

    with database.write() as s:
        ids = create_contacts(s, account_id, rows, origin=Origin.RINGSYNC, clock=clock)
    with database.read() as s:
        queued = outbox.list_rows(s, account_id)

    assert [(r.contact_id, r.fields, r.origin) for r in queued] == [
        (ids[0], ("city", "phone"), "ringsync"),
        (ids[1], ("phone",), "ringsync"),
    ]


def test_no_rows_creates_nothing(database: Database, account_id: int) -> None:
    with database.write() as s:
        assert create_contacts(s, account_id, [], origin=Origin.SALESFORCE) == []
