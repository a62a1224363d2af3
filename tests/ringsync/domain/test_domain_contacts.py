from datetime import UTC, datetime

import pytest

from ringsync.clock import FrozenClock
from ringsync.domain.contact_values import Origin
from ringsync.domain.contacts import (
    create_contact,
    define_custom_property,
    find_contact_by_phone,
    get_contact,
    list_contacts,
    update_contact,
)
from ringsync.domain.users import create_user
from ringsync.errors import NotFoundError, ValidationError
from ringsync.store.db import Database
from ringsync.store.repositories import outbox


def test_create_normalizes_the_phone_and_queues_every_written_property(
    database: Database, account_id: int, clock: FrozenClock
) -> None:
    with database.write() as s:
        change = create_contact(
            s,
            account_id,
            {"phone": "(415) 555-0100", "first_name": " Ann ", "dnc": "yes", "city": ""},
            clock=clock,
        )
    contact = change.contact
    assert change.created
    assert contact.phone == "+14155550100"
    assert contact.extension == ""
    assert contact.values["first_name"] == "Ann"
    assert contact.values["dnc"] is True
    assert contact.values["city"] is None
    assert contact.version == 1
    assert change.changed == ("dnc", "first_name", "phone")
    with database.read() as s:
        rows = outbox.list_rows(s, account_id)
    assert [(r.contact_id, r.fields, r.origin) for r in rows] == [
        (contact.id, ("dnc", "first_name", "phone"), "ringsync")
    ]
    assert rows[0].id == change.outbox_id
    assert contact.provenance["first_name"].origin is Origin.RINGSYNC
    assert contact.provenance["first_name"].written_at == clock.now()
    assert contact.provenance["first_name"].previous is None


def test_create_from_salesforce_writes_no_outbox_row(database: Database, account_id: int) -> None:
    with database.write() as s:
        change = create_contact(
            s, account_id, {"phone": "+1 415 555 0101"}, origin=Origin.SALESFORCE
        )
    assert change.outbox_id is None
    with database.read() as s:
        assert outbox.list_rows(s, account_id) == []
    assert change.contact.provenance["phone"].origin is Origin.SALESFORCE


def test_update_bumps_version_records_provenance_and_queues_changed_fields(
    database: Database, account_id: int, clock: FrozenClock
) -> None:
    with database.write() as s:
        contact = create_contact(s, account_id, {"phone": "4155550102", "first_name": "A"}).contact
    clock.advance(60)
    with database.write() as s:
        change = update_contact(
            s,
            account_id,
            contact.id,
            {"first_name": "B", "last_name": "Lee", "phone": "+1 415-555-0102"},
            origin=Origin.RINGSYNC,
            clock=clock,
        )
    assert change.changed == ("first_name", "last_name")  # same phone in another spelling
    assert change.contact.version == 2
    assert change.contact.updated_at == datetime(2026, 3, 1, 12, 1, tzinfo=UTC)
    first = change.contact.provenance["first_name"]
    assert (first.origin, first.previous, first.written_at) == (Origin.RINGSYNC, "A", clock.now())
    with database.read() as s:
        rows = outbox.list_rows(s, account_id, contact_id=contact.id)
    assert rows[-1].fields == ("first_name", "last_name")


def test_salesforce_origin_update_writes_no_outbox_row(database: Database, account_id: int) -> None:
    with database.write() as s:
        contact = create_contact(s, account_id, {"phone": "4155550103"}).contact
        before = len(outbox.list_rows(s, account_id))
    with database.write() as s:
        change = update_contact(
            s, account_id, contact.id, {"email": "a@b.co"}, origin=Origin.SALESFORCE
        )
    assert change.changed == ("email",)
    assert change.outbox_id is None
    assert change.contact.provenance["email"].origin is Origin.SALESFORCE
    with database.read() as s:
        assert len(outbox.list_rows(s, account_id)) == before


def test_an_update_that_changes_nothing_writes_nothing(database: Database, account_id: int) -> None:
    with database.write() as s:
        contact = create_contact(s, account_id, {"phone": "4155550104", "city": "SF"}).contact
    with database.write() as s:
        change = update_contact(s, account_id, contact.id, {"city": "SF"}, origin=Origin.RINGSYNC)
    assert change.changed == ()
    assert change.outbox_id is None
    assert change.contact.version == 1


def test_changing_a_phone_masks_the_previous_value(database: Database, account_id: int) -> None:
    with database.write() as s:
        contact = create_contact(s, account_id, {"phone": "4155550105"}).contact
        change = update_contact(
            s, account_id, contact.id, {"phone": "4155550199"}, origin=Origin.SALESFORCE
        )
    assert change.contact.phone == "+14155550199"
    assert change.contact.provenance["phone"].previous == "+1******0105"


def test_every_problem_is_reported_at_once(database: Database, account_id: int) -> None:
    with database.write() as s, pytest.raises(ValidationError) as caught:
        create_contact(
            s,
            account_id,
            {
                "phone": "555",
                "email": "not-an-email",
                "dnc": "maybe",
                "first_name": "x" * 300,
                "nickname": "Bob",
                "total_inbound_calls": 3,
                "owner": 999_999,
            },
        )
    problems = {(p.field, p.code) for p in caught.value.problems}
    assert problems == {
        ("phone", "invalid_number"),
        ("email", "bad_email"),
        ("dnc", "bad_boolean"),
        ("first_name", "too_long"),
        ("nickname", "unknown"),
        ("total_inbound_calls", "read_only"),
        ("owner", "unknown_reference"),
    }
    assert str(caught.value) == "the contact cannot be created"


def test_phone_is_required_and_unique_per_account(database: Database, account_id: int) -> None:
    with database.write() as s:
        create_contact(s, account_id, {"phone": "4155550106"})
    with database.write() as s, pytest.raises(ValidationError) as caught:
        create_contact(s, account_id, {"phone": "+1 (415) 555-0106"})
    assert caught.value.problems[0].reason == "another contact has phone +1******0106"
    with database.write() as s, pytest.raises(ValidationError) as missing:
        create_contact(s, account_id, {"first_name": "No phone"})
    assert [p.code for p in missing.value.problems] == ["required"]


def test_extension_makes_a_separate_identity(database: Database, account_id: int) -> None:
    with database.write() as s:
        main = create_contact(s, account_id, {"phone": "4155550107"}).contact
        desk = create_contact(s, account_id, {"phone": "4155550107 ext 12"}).contact
    assert main.id != desk.id
    assert desk.extension == "12"
    with database.read() as s:
        found = find_contact_by_phone(s, account_id, "(415) 555-0107 x12")
        assert found is not None
        assert found.id == desk.id


def test_owner_must_be_a_user_of_the_account(database: Database, account_id: int) -> None:
    with database.write() as s:
        user = create_user(s, account_id, email="agent@example.com")
        contact = create_contact(s, account_id, {"phone": "4155550108", "owner": user.id}).contact
    assert contact.values["owner"] == user.id


def test_custom_properties_are_typed(database: Database, account_id: int) -> None:
    with database.write() as s:
        define_custom_property(s, account_id, "budget", label="Budget", value_type="number")
        define_custom_property(s, account_id, "renewal", label="Renewal", value_type="date")
        contact = create_contact(
            s, account_id, {"phone": "4155550109", "budget": "1200", "renewal": "2026-05-01"}
        ).contact
    assert contact.values["budget"] == 1200
    assert contact.values["renewal"] == "2026-05-01"
    with database.write() as s, pytest.raises(ValidationError) as caught:
        update_contact(
            s, account_id, contact.id, {"budget": "lots", "renewal": "soon"}, origin=Origin.RINGSYNC
        )
    assert {p.code for p in caught.value.problems} == {"bad_number", "bad_date"}


def test_custom_property_definitions_are_checked(database: Database, account_id: int) -> None:
    with database.write() as s:
        define_custom_property(s, account_id, "tier", label="Tier", value_type="text")
    with database.write() as s, pytest.raises(ValidationError) as caught:
        define_custom_property(s, account_id, "Bad Name", label="", value_type="color")
    assert {p.field for p in caught.value.problems} == {"name", "label", "value_type"}
    for taken in ("tier", "email", "total_inbound_calls"):
        with database.write() as s, pytest.raises(ValidationError) as again:
            define_custom_property(s, account_id, taken, label="X", value_type="text")
        assert again.value.problems[0].code == "taken"


def test_unknown_contact_and_paging(database: Database, account_id: int) -> None:
    with database.read() as s, pytest.raises(NotFoundError, match="contact 999999 does not exist"):
        get_contact(s, account_id, 999_999)
    with database.write() as s:
        ids = [
            create_contact(s, account_id, {"phone": f"41555502{i:02d}"}).contact.id
            for i in range(5)
        ]
    with database.read() as s:
        first = list_contacts(s, account_id, limit=3)
        rest = list_contacts(s, account_id, after_id=first[-1].id, limit=3)
    assert [c.id for c in first + rest] == ids


def test_secondary_phones_are_normalized_when_possible(database: Database, account_id: int) -> None:
    with database.write() as s:
        contact = create_contact(
            s, account_id, {"phone": "4155550110", "mobile_phone": "415.555.0111", "fax": "N/A"}
        ).contact
    assert contact.values["mobile_phone"] == "+14155550111"
    assert contact.values["fax"] == "N/A"
