"""Inbound scenarios against sfemu in process, one per rule."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ringsync.clock import FrozenClock
from ringsync.sync.engine import EngineOptions, SyncEngine
from ringsync.sync.inbound import InboundOptions


def _lead(org: Any, phone: str, **values: Any) -> str:
    fields = {"LastName": "Ng", "Company": "Acme", "Phone": phone, **values}
    return str(org.create("Lead", fields))


def _contact(org: Any, phone: str, **values: Any) -> str:
    return str(org.create("Contact", {"LastName": "Ng", "Phone": phone, **values}))


def test_leads_mode_creates_contacts_from_leads_and_ignores_contacts(
    engine: SyncEngine, org: Any, store: Any, account_id: int
) -> None:
    _lead(org, "(415) 555-0101", FirstName="Ada", Email="ada@example.com")
    _contact(org, "(415) 555-0102", FirstName="Bob")

    runs = engine.run_inbound(account_id)

    assert [(r.sobject, r.status.value) for r in runs] == [("Lead", "succeeded")]
    ada = store.by_phone("+14155550101")
    assert ada is not None
    assert (ada["first_name"], ada["last_name"], ada["company"]) == ("Ada", "Ng", "Acme")
    assert ada["email"] == "ada@example.com"
    assert store.by_phone("+14155550102") is None
    created = store.log("created")
    assert len(created) == 1
    assert created[0].fields["phone"] == [None, "+1******0101"]
    assert created[0].fields["first_name"] == [None, "Ada"]


def test_contacts_mode_reads_contacts_only(
    engine: SyncEngine, org: Any, store: Any, account_id: int, configure: Callable[..., None]
) -> None:
    configure(object_mode="contacts")
    _lead(org, "(415) 555-0111")
    _contact(org, "(415) 555-0112", FirstName="Cy", MailingCity="Oakland")

    runs = engine.run_inbound(account_id)

    assert [r.sobject for r in runs] == ["Contact"]
    cy = store.by_phone("+14155550112")
    assert cy is not None
    assert (cy["first_name"], cy["city"]) == ("Cy", "Oakland")
    assert store.by_phone("+14155550111") is None


@pytest.mark.parametrize("priority", ["Lead", "Contact"])
def test_priority_example_phone_on_lead_and_contact_only_priority_record_syncs(
    engine: SyncEngine,
    org: Any,
    store: Any,
    account_id: int,
    configure: Callable[..., None],
    priority: str,
) -> None:
    # The seed: "If you set Leads as the priority and a phone number exists as both a Lead and
    # a Contact, only the Lead will sync."
    configure(object_mode="both", priority=priority)
    lead_id = _lead(org, "(415) 555-0121", FirstName="FromLead")
    contact_id = _contact(org, "415.555.0121", FirstName="FromContact")
    kept, ignored = (lead_id, contact_id) if priority == "Lead" else (contact_id, lead_id)

    engine.run_inbound(account_id)

    person = store.by_phone("+14155550121")
    assert person is not None
    assert person["first_name"] == f"From{priority}"
    assert store.count_contacts() == 1
    [link] = store.links()
    assert (link.sobject, link.record_id) == (priority, kept)
    skipped = [e for e in store.log("skipped") if e.record_id == ignored]
    assert skipped
    assert f"{priority} priority" in skipped[0].reason
    assert store.log("unlinked") == []


def test_same_second_update_is_not_missed(
    engine: SyncEngine, org: Any, store: Any, account_id: int
) -> None:
    lead_id = _lead(org, "(415) 555-0131", FirstName="Old")
    engine.run_inbound(account_id)
    # Same second as the cursor: the record changes again and a new one appears.
    org.update("Lead", lead_id, {"FirstName": "New"})
    _lead(org, "(415) 555-0132", FirstName="Sibling")

    engine.run_inbound(account_id)

    changed = store.by_phone("+14155550131")
    assert changed is not None
    assert changed["first_name"] == "New"
    assert store.by_phone("+14155550132") is not None


def test_overlap_reread_is_dropped_without_log_rows(
    engine: SyncEngine, org: Any, store: Any, account_id: int, clock: FrozenClock
) -> None:
    _lead(org, "(415) 555-0141")
    engine.run_inbound(account_id)
    rows_before = len(store.log())
    clock.advance(2)

    [run] = engine.run_inbound(account_id)

    assert run.totals.get("read") == 1
    assert run.totals.get("already_seen") == 1
    assert len(store.log()) == rows_before


def test_initial_read_goes_through_bulk_query_above_threshold(
    org: Any,
    store: Any,
    account_id: int,
    database: Any,
    sf_client: Any,
    clock: FrozenClock,
    sf_stats: Any,
) -> None:
    bulk = SyncEngine(
        database,
        lambda _a: sf_client,
        clock=clock,
        options=EngineOptions(inbound=InboundOptions(bulk_threshold=1)),
    )
    _lead(org, "(415) 555-0151", FirstName="Bulk", DNC__c=True)

    [run] = bulk.run_inbound(account_id)

    assert run.status.value == "succeeded"
    person = store.by_phone("+14155550151")
    assert person is not None
    assert (person["first_name"], person["dnc"]) == ("Bulk", True)
    assert sf_stats.calls_to("jobs/query", "POST") == 1
    clock.advance(5)
    _lead(org, "(415) 555-0152", FirstName="Rest")

    [after] = bulk.run_inbound(account_id)

    assert after.totals["created"] == 1
    assert sf_stats.calls_to("jobs/query", "POST") == 1
    assert store.by_phone("+14155550152") is not None


def test_converted_lead_is_followed_to_its_contact(
    engine: SyncEngine,
    org: Any,
    store: Any,
    account_id: int,
    configure: Callable[..., None],
    clock: FrozenClock,
) -> None:
    configure(object_mode="both", priority="Lead")
    lead_id = _lead(org, "(415) 555-0161", FirstName="Lee")
    engine.run_inbound(account_id)
    clock.advance(10)
    result = org.convert_lead(lead_id)
    contact_record = str(result["contactId"])
    clock.advance(10)

    engine.run_inbound(account_id)

    [link] = store.links()
    assert (link.sobject, link.record_id) == ("Contact", contact_record)
    assert store.count_contacts() == 1
    moved = [e for e in store.log("unlinked") if e.record_id == lead_id]
    assert moved
    assert contact_record in moved[0].reason


def test_deleted_record_unlinks_and_keeps_the_contact(
    engine: SyncEngine, org: Any, store: Any, account_id: int, clock: FrozenClock
) -> None:
    lead_id = _lead(org, "(415) 555-0171")
    engine.run_inbound(account_id)
    clock.advance(60)
    org.delete(lead_id)
    clock.advance(180)

    engine.run_inbound(account_id)

    assert store.links() == []
    assert store.by_phone("+14155550171") is not None
    [deleted] = store.log("deleted")
    assert deleted.record_id == lead_id
    assert "contact kept" in deleted.reason


def test_queue_owner_leaves_owner_as_is_and_logs_why(
    engine: SyncEngine, org: Any, store: Any, account_id: int
) -> None:
    lead_id = _lead(org, "(415) 555-0181", OwnerId=org.queue_id)

    engine.run_inbound(account_id)

    person = store.by_phone("+14155550181")
    assert person is not None
    assert person["owner"] is None
    [created] = [e for e in store.log("created") if e.record_id == lead_id]
    assert "queue" in created.reason


def test_unmapped_owner_leaves_owner_as_is_and_mapped_owner_is_taken(
    engine: SyncEngine, org: Any, store: Any, account_id: int
) -> None:
    agent = store.add_user("agent@example.com")
    store.map_user(agent, org.admin_user_id, "agent@example.com")
    _lead(org, "(415) 555-0191", OwnerId=org.admin_user_id)
    stranger = org.create(
        "User",
        {
            "Username": "x@users.sfemu.test",
            "LastName": "X",
            "Email": "x@users.sfemu.test",
            "Alias": "x",
            "CommunityNickname": "x",
            "ProfileId": org.standard_profile_id,
            "IsActive": True,
        },
    )
    other = _lead(org, "(415) 555-0192", OwnerId=stranger)

    engine.run_inbound(account_id)

    mapped = store.by_phone("+14155550191")
    unmapped = store.by_phone("+14155550192")
    assert mapped is not None
    assert unmapped is not None
    assert mapped["owner"] == agent
    assert unmapped["owner"] is None
    [row] = [e for e in store.log("created") if e.record_id == other]
    assert "no user mapping" in row.reason


def test_from_salesforce_only_field_is_read_and_to_salesforce_only_field_is_not(
    engine: SyncEngine, org: Any, store: Any, account_id: int, configure: Callable[..., None]
) -> None:
    from ringsync.mapping.catalog import SyncObject, default_mapping

    rows = []
    for m in default_mapping(SyncObject.LEAD):
        row = m.to_dict()
        if m.ringsync_property == "custom_field_1":
            row["direction"] = "to_salesforce"
        if m.ringsync_property == "custom_field_2":
            row["direction"] = "from_salesforce"
        rows.append(row)
    configure(lead_mappings=rows)
    _lead(org, "(415) 555-0201", Custom_Field_1__c="one", Custom_Field_2__c="two")

    engine.run_inbound(account_id)

    person = store.by_phone("+14155550201")
    assert person is not None
    assert person["custom_field_1"] is None
    assert person["custom_field_2"] == "two"


@pytest.mark.parametrize("phone", ["", "not a phone"])
def test_record_without_a_valid_phone_is_skipped_and_logged(
    engine: SyncEngine, org: Any, store: Any, account_id: int, phone: str
) -> None:
    lead_id = _lead(org, phone)

    engine.run_inbound(account_id)

    assert store.count_contacts() == 0
    [row] = [e for e in store.log("skipped") if e.record_id == lead_id]
    assert "phone" in row.reason
