"""Outbound scenarios against sfemu in process, one per rule."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from ringsync.clock import FrozenClock
from ringsync.domain.tracking import ActivityDirection, ActivityEvent, ActivityKind
from ringsync.sync.engine import SyncEngine

PACIFIC = timezone(timedelta(hours=-7))


def _lead(org: Any, phone: str, **values: Any) -> str:
    fields = {"LastName": "Ng", "Company": "Acme", "Phone": phone, **values}
    return str(org.create("Lead", fields))


def _linked(
    engine: SyncEngine, org: Any, store: Any, account_id: int, phone: str
) -> tuple[str, int]:
    """Create a lead, pull it, and return (lead id, contact id)."""
    lead_id = _lead(org, phone)
    engine.run_inbound(account_id)
    person = store.by_phone(phone)
    assert person is not None
    return lead_id, int(person["id"])


def test_update_direction_both_sends_our_change(
    engine: SyncEngine, org: Any, store: Any, account_id: int, clock: FrozenClock
) -> None:
    lead_id, contact_id = _linked(engine, org, store, account_id, "+14155550301")
    clock.advance(5)
    store.edit(contact_id, first_name="Grace", city="Reno")

    run = engine.run_outbound(account_id)

    assert run.status.value == "succeeded"
    record = org.get(lead_id)
    assert (record["FirstName"], record["City"]) == ("Grace", "Reno")
    [sent] = store.log("updated")[-1:]
    assert sent.direction == "outbound"
    assert sent.fields["first_name"] == [None, "Grace"]
    assert store.outbox(status="pending") == []


def test_update_direction_inbound_sends_nothing_and_logs_why(
    engine: SyncEngine,
    org: Any,
    store: Any,
    account_id: int,
    configure: Callable[..., None],
    sf_stats: Any,
) -> None:
    configure(update_direction="inbound")
    lead_id, contact_id = _linked(engine, org, store, account_id, "+14155550311")
    store.edit(contact_id, first_name="Nope")
    writes = sf_stats.write_calls_total

    engine.run_outbound(account_id)

    assert sf_stats.write_calls_total == writes
    assert org.get(lead_id).get("FirstName") is None
    [row] = [e for e in store.log("skipped") if e.direction == "outbound"]
    assert "update direction is inbound" in row.reason


def test_create_direction_inbound_never_creates_in_salesforce(
    engine: SyncEngine, org: Any, store: Any, account_id: int
) -> None:
    contact_id = store.add_contact(phone="+14155550321", first_name="Local")

    engine.run_outbound(account_id)

    assert org.count("Lead") == 0
    [row] = store.log("skipped")
    assert row.contact_id == contact_id
    assert "create direction is inbound" in row.reason


def test_create_direction_both_creates_the_priority_object_with_lead_fillers(
    engine: SyncEngine,
    org: Any,
    store: Any,
    account_id: int,
    configure: Callable[..., None],
) -> None:
    configure(create_direction="both", object_mode="both", priority="Lead")
    contact_id = store.add_contact(phone="+14155550331", first_name="Ann")

    run = engine.run_outbound(account_id)

    assert run.totals.get("created") == 1
    [link] = store.links()
    assert link.sobject == "Lead"
    record = org.get(link.record_id)
    assert (record["FirstName"], record["LastName"], record["Company"]) == (
        "Ann",
        "Unknown",
        "Unknown",
    )
    assert record["Ringsync_Contact_ID__c"] == str(contact_id)
    assert org.count("Contact") == 0
    [created] = store.log("created")
    assert "last_name filled with the Lead default 'Unknown'" in created.reason
    assert "company filled with the Lead default 'Unknown'" in created.reason


def test_create_looks_for_the_same_phone_in_other_formats_first(
    engine: SyncEngine,
    org: Any,
    store: Any,
    account_id: int,
    configure: Callable[..., None],
    clock: FrozenClock,
) -> None:
    configure(create_direction="both")
    contact_id = store.add_contact(phone="+14155550341", first_name="Dup")
    clock.advance(5)
    lead_id = _lead(org, "(415) 555-0341", Email="dup@example.com")

    engine.run_outbound(account_id)

    assert org.count("Lead") == 1
    [link] = store.links()
    assert (link.contact_id, link.record_id) == (contact_id, lead_id)
    assert store.contact(contact_id)["email"] == "dup@example.com"
    assert any("already exists" in e.reason for e in store.log("skipped"))


def test_two_quick_events_never_create_two_records(
    engine: SyncEngine,
    org: Any,
    store: Any,
    account_id: int,
    configure: Callable[..., None],
) -> None:
    configure(create_direction="both")
    contact_id = store.add_contact(phone="+14155550351", first_name="Twice")
    store.edit(contact_id, city="Fresno")

    engine.run_outbound(account_id)
    store.edit(contact_id, city="Tahoe")
    engine.run_outbound(account_id)

    assert org.count("Lead") == 1
    [link] = store.links()
    assert org.get(link.record_id)["City"] == "Tahoe"


def test_tracking_fields_reach_salesforce_with_the_time_rules(
    engine: SyncEngine, org: Any, store: Any, account_id: int
) -> None:
    lead_id, contact_id = _linked(engine, org, store, account_id, "+14155550361")
    when = datetime(2026, 3, 2, 8, 33, 16, tzinfo=PACIFIC)
    store.activity(
        contact_id,
        ActivityEvent("call-1", ActivityKind.CALL, ActivityDirection.OUTBOUND, when),
    )
    store.activity(
        contact_id,
        ActivityEvent("sms-1", ActivityKind.SMS, ActivityDirection.OUTBOUND, when, body="hi"),
    )

    engine.run_outbound(account_id)

    record = org.get(lead_id)
    assert record["Last_Outbound_Call_Time__c"] == "08:33:16-07:00"
    assert record["Last_Outbound_Message_Time__c"] == "15:33:16.000Z"
    assert record["Total_Outbound_Calls__c"] == 1
    assert record["Last_Outbound_Call_Date__c"] == "2026-03-02"
    assert record["Last_Outbound_Text__c"] == "hi"


def test_from_salesforce_only_field_is_never_sent(
    engine: SyncEngine,
    org: Any,
    store: Any,
    account_id: int,
    configure: Callable[..., None],
) -> None:
    from ringsync.mapping.catalog import SyncObject, default_mapping

    rows = []
    for m in default_mapping(SyncObject.LEAD):
        row = m.to_dict()
        if m.ringsync_property == "city":
            row["direction"] = "from_salesforce"
        rows.append(row)
    configure(lead_mappings=rows)
    lead_id, contact_id = _linked(engine, org, store, account_id, "+14155550371")
    store.edit(contact_id, city="Elko", first_name="Sent")

    engine.run_outbound(account_id)

    record = org.get(lead_id)
    assert record.get("City") is None
    assert record["FirstName"] == "Sent"


def test_edits_on_both_sides_resolve_per_policy_and_are_logged_as_conflicts(
    engine: SyncEngine,
    org: Any,
    store: Any,
    account_id: int,
    configure: Callable[..., None],
    clock: FrozenClock,
) -> None:
    configure(conflict_policies={"first_name": "ringsync_wins", "city": "salesforce_wins"})
    lead_id = _lead(org, "+14155550381", FirstName="Base", City="Base")
    engine.run_inbound(account_id)
    person = store.by_phone("+14155550381")
    assert person is not None
    clock.advance(5)
    store.edit(int(person["id"]), first_name="Ours", city="Ours")
    org.update("Lead", lead_id, {"FirstName": "Theirs", "City": "Theirs"})
    clock.advance(5)

    engine.run_inbound(account_id)
    engine.run_outbound(account_id)

    after = store.contact(int(person["id"]))
    record = org.get(lead_id)
    assert (after["first_name"], record["FirstName"]) == ("Ours", "Ours")
    assert (after["city"], record["City"]) == ("Theirs", "Theirs")
    conflicts = {next(iter(e.fields)): e for e in store.log("conflict")}
    assert set(conflicts) == {"first_name", "city"}
    assert conflicts["first_name"].fields["first_name"] == ["Ours", "Theirs"]
    assert "ringsync kept" in conflicts["first_name"].reason


def test_after_a_full_sync_another_pass_makes_zero_writes_and_one_query_per_object(
    engine: SyncEngine,
    org: Any,
    store: Any,
    account_id: int,
    configure: Callable[..., None],
    clock: FrozenClock,
    sf_stats: Any,
) -> None:
    configure(object_mode="both", priority="Lead", create_direction="both")
    for n in range(5):
        _lead(org, f"(415) 555-04{n:02d}", FirstName=f"L{n}")
        org.create("Contact", {"LastName": f"C{n}", "Phone": f"(415) 555-05{n:02d}"})
    local = store.add_contact(phone="+14155550499", first_name="Local", last_name="Only")
    when = datetime(2026, 3, 2, 8, 0, 0, tzinfo=PACIFIC)
    for _ in range(2):
        engine.run_inbound(account_id)
        engine.run_outbound(account_id)
        clock.advance(3)
    person = store.by_phone("+14155550400")
    assert person is not None
    store.activity(
        int(person["id"]),
        ActivityEvent("c-1", ActivityKind.CALL, ActivityDirection.INBOUND, when),
    )
    store.edit(local, city="Napa")
    for _ in range(2):
        engine.run_inbound(account_id)
        engine.run_outbound(account_id)
        clock.advance(3)
    sf_stats.reset()

    engine.run_inbound(account_id)
    engine.run_outbound(account_id)

    assert sf_stats.write_calls_total == 0
    assert sf_stats.calls_to("query", "GET") <= 2
    assert store.count_contacts() == 11
    assert len(store.links()) == 11


def test_a_contact_whose_record_was_deleted_is_created_again_not_linked_to_the_dead_one(
    engine: SyncEngine,
    org: Any,
    store: Any,
    account_id: int,
    configure: Callable[..., None],
    clock: FrozenClock,
) -> None:
    configure(create_direction="both")
    contact_id = store.add_contact(phone="+14155550391", last_name="Again")
    engine.run_outbound(account_id)
    [first] = store.links()
    clock.advance(60)
    org.delete(first.record_id)
    clock.advance(180)
    engine.run_inbound(account_id)
    assert store.links() == []
    store.edit(contact_id, city="Boise")

    engine.run_outbound(account_id)

    [second] = store.links()
    assert second.record_id != first.record_id
    assert org.get(second.record_id)["City"] == "Boise"
    assert org.count("Lead") == 1
