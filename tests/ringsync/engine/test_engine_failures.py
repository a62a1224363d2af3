"""Failure outcomes: each ends documented and logged, with nothing lost."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from ringsync.clock import FrozenClock
from ringsync.sync.engine import SyncEngine


def _lead(org: Any, phone: str, **values: Any) -> str:
    fields = {"LastName": "Ng", "Company": "Acme", "Phone": phone, **values}
    return str(org.create("Lead", fields))


def _linked(
    engine: SyncEngine, org: Any, store: Any, account_id: int, phone: str
) -> tuple[str, int]:
    lead_id = _lead(org, phone)
    engine.run_inbound(account_id)
    person = store.by_phone(phone)
    assert person is not None
    return lead_id, int(person["id"])


def _inactive_user(org: Any) -> str:
    return str(
        org.create(
            "User",
            {
                "Username": "gone@users.sfemu.test",
                "LastName": "Gone",
                "Email": "gone@users.sfemu.test",
                "Alias": "gone",
                "CommunityNickname": "gone",
                "ProfileId": org.standard_profile_id,
                "IsActive": False,
            },
        )
    )


def test_inactive_owner_is_kept_in_failed_records_with_the_salesforce_error(
    engine: SyncEngine, org: Any, store: Any, account_id: int
) -> None:
    lead_id, contact_id = _linked(engine, org, store, account_id, "+14155550601")
    agent = store.add_user("gone@example.com")
    store.map_user(agent, _inactive_user(org), "gone@example.com")
    store.edit(contact_id, owner=agent, first_name="Kept")

    run = engine.run_outbound(account_id)

    assert run.totals.get("failed") == 1
    [failed] = engine.list_failed(account_id)
    assert (failed.contact_id, failed.record_id) == (contact_id, lead_id)
    assert failed.error_code == "INACTIVE_OWNER_OR_USER"
    assert failed.payload["salesforce"]["FirstName"] == "Kept"
    assert org.get(lead_id).get("FirstName") is None
    [row] = store.log("failed")
    assert row.error_code == "INACTIVE_OWNER_OR_USER"
    assert store.contact(contact_id)["first_name"] == "Kept"


def test_too_long_value_is_truncated_in_salesforce_and_kept_whole_here(
    engine: SyncEngine, org: Any, store: Any, account_id: int, clock: FrozenClock, sf_stats: Any
) -> None:
    lead_id, contact_id = _linked(engine, org, store, account_id, "+14155550611")
    long_name = "A" * 60
    store.edit(contact_id, first_name=long_name)

    engine.run_outbound(account_id)
    clock.advance(5)
    engine.run_inbound(account_id)
    clock.advance(5)
    writes = sf_stats.write_calls_total
    engine.run_inbound(account_id)
    engine.run_outbound(account_id)

    assert org.get(lead_id)["FirstName"] == "A" * 40
    assert store.contact(contact_id)["first_name"] == long_name
    [sent] = [e for e in store.log("updated") if e.direction == "outbound"]
    assert "truncated" in sent.reason
    assert sf_stats.write_calls_total == writes


def test_bad_picklist_value_skips_the_field_and_sends_the_rest(
    engine: SyncEngine, org: Any, store: Any, account_id: int
) -> None:
    org.sobject("Lead").field("LeadSource").restricted_picklist = True
    lead_id, contact_id = _linked(engine, org, store, account_id, "+14155550621")
    store.edit(contact_id, lead_source="Carrier pigeon", city="Ames")

    engine.run_outbound(account_id)

    record = org.get(lead_id)
    assert record["City"] == "Ames"
    assert record.get("LeadSource") is None
    [sent] = [e for e in store.log("updated") if e.direction == "outbound"]
    assert "LeadSource" in sent.reason
    assert store.contact(contact_id)["lead_source"] == "Carrier pigeon"
    assert engine.list_failed(account_id) == []


def test_missing_required_field_fails_the_create_until_fixed_and_retried(
    engine: SyncEngine,
    org: Any,
    store: Any,
    account_id: int,
    configure: Callable[..., None],
    clock: FrozenClock,
    woken: list[int],
) -> None:
    configure(object_mode="contacts", create_direction="both")
    contact_id = store.add_contact(phone="+14155550631", first_name="NoLast")

    engine.run_outbound(account_id)

    [failed] = engine.list_failed(account_id)
    assert failed.error_code == "REQUIRED_FIELD_MISSING"
    assert failed.operation == "create"
    assert failed.payload["salesforce"]["Phone"] == "***0631"
    assert org.count("Contact") == 0
    store.edit(contact_id, last_name="Found")
    outbox_before = len(store.outbox())
    clock.advance(5)

    assert engine.retry_failed(account_id, [failed.id]) == 1
    assert woken == [account_id]
    engine.run_outbound(account_id)

    assert len(store.outbox()) > outbox_before
    assert org.count("Contact") == 1
    assert engine.list_failed(account_id) == []
    [link] = store.links()
    assert org.get(link.record_id)["LastName"] == "Found"


def test_validation_rule_error_is_kept_with_its_message_and_can_be_ignored(
    engine: SyncEngine, org: Any, store: Any, account_id: int
) -> None:
    org.add_validation_rule_spec(
        "Lead",
        {
            "name": "No_Nowhere",
            "field": "City",
            "operator": "equals",
            "value": "Nowhere",
            "message": "City cannot be Nowhere",
        },
    )
    lead_id, contact_id = _linked(engine, org, store, account_id, "+14155550641")
    store.edit(contact_id, city="Nowhere")

    engine.run_outbound(account_id)

    [failed] = engine.list_failed(account_id)
    assert failed.error_code == "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    assert "City cannot be Nowhere" in failed.message
    assert org.get(lead_id).get("City") is None
    assert engine.ignore_failed(account_id, [failed.id]) == 1
    assert engine.list_failed(account_id) == []
    assert store.contact(contact_id)["city"] == "Nowhere"


def test_transient_error_releases_the_change_for_a_later_retry(
    engine: SyncEngine,
    org: Any,
    store: Any,
    account_id: int,
    clock: FrozenClock,
    sf_app: Any,
) -> None:
    lead_id, contact_id = _linked(engine, org, store, account_id, "+14155550651")
    store.edit(contact_id, first_name="Later")
    faults = sf_app.state.sfemu.faults
    faults.add({"kind": "http_503", "endpoint": "composite/sobjects", "count": 10})

    engine.run_outbound(account_id)

    assert org.get(lead_id).get("FirstName") is None
    assert engine.list_failed(account_id) == []
    [pending] = store.outbox(status="pending")
    assert pending.contact_id == contact_id
    faults.clear()
    engine.run_outbound(account_id)
    assert org.get(lead_id).get("FirstName") is None
    clock.advance(timedelta(minutes=2))

    engine.run_outbound(account_id)

    assert org.get(lead_id)["FirstName"] == "Later"
    assert store.outbox(status="pending") == []


def test_inbound_record_whose_phone_another_contact_has_is_logged_as_failed(
    engine: SyncEngine, org: Any, store: Any, account_id: int, configure: Callable[..., None]
) -> None:
    configure(object_mode="both", priority="Lead")
    lead_id, contact_id = _linked(engine, org, store, account_id, "+14155550661")
    other = store.add_contact(phone="+14155550662")
    org.update("Lead", lead_id, {"Phone": "(415) 555-0662"})

    engine.run_inbound(account_id)

    assert store.contact(contact_id)["phone"] == "+14155550661"
    assert store.contact(other)["phone"] == "+14155550662"
    failed = [e for e in store.log("failed") if e.record_id == lead_id]
    assert failed
    assert "phone" in failed[0].reason
    [kept] = engine.list_failed(account_id)
    assert (kept.operation, kept.record_id, kept.contact_id) == ("inbound", lead_id, contact_id)


def test_refused_inbound_record_is_read_again_on_retry_once_fixed(
    engine: SyncEngine,
    org: Any,
    store: Any,
    account_id: int,
    clock: FrozenClock,
    database: Any,
) -> None:
    from ringsync.domain.contact_values import Origin
    from ringsync.domain.contacts import update_contact

    lead_id, contact_id = _linked(engine, org, store, account_id, "+14155550671")
    other = store.add_contact(phone="+14155550672")
    org.update("Lead", lead_id, {"Phone": "(415) 555-0672", "FirstName": "Moved"})
    engine.run_inbound(account_id)
    [failed] = engine.list_failed(account_id)
    with database.write() as session:
        update_contact(
            session, account_id, other, {"phone": "+14155550673"}, origin=Origin.RINGSYNC
        )
    clock.advance(5)

    assert engine.retry_failed(account_id, [failed.id]) == 1

    after = store.contact(contact_id)
    assert (after["phone"], after["first_name"]) == ("+14155550672", "Moved")
    assert engine.list_failed(account_id) == []


def test_retry_of_a_record_that_still_fails_keeps_it_failed_with_more_attempts(
    engine: SyncEngine, org: Any, store: Any, account_id: int
) -> None:
    lead_id, contact_id = _linked(engine, org, store, account_id, "+14155550681")
    store.add_contact(phone="+14155550682")
    org.update("Lead", lead_id, {"Phone": "(415) 555-0682"})
    engine.run_inbound(account_id)
    [failed] = engine.list_failed(account_id)

    engine.retry_failed(account_id, [failed.id])

    [again] = engine.list_failed(account_id)
    assert (again.id, again.status, again.attempts) == (failed.id, "failed", 2)
    assert store.contact(contact_id)["phone"] == "+14155550681"
