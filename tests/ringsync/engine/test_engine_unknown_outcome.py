"""A write whose response was lost may have been applied: reading it back is our echo.

sfemu runs on a real TLS socket so ``drop_after_write`` is a real closed connection after
Salesforce applied the update; every attempt of the call is dropped, so the outcome stays
unknown and the outbox row waits for a retry.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from ringsync.clock import FrozenClock
from ringsync.store.repositories import sync_in_flight
from ringsync.sync.engine import SyncEngine

PHONE = "+14155550961"


def _linked(engine: SyncEngine, org: Any, store: Any, account_id: int) -> tuple[str, int]:
    lead_id = str(
        org.create("Lead", {"LastName": "Ng", "Company": "Acme", "Phone": PHONE, "City": "Oldtown"})
    )
    engine.run_inbound(account_id)
    person = store.by_phone(PHONE)
    assert person is not None
    return lead_id, int(person["id"])


def test_reading_back_a_write_whose_response_was_lost_never_reverts_a_newer_edit(
    socket_engine: SyncEngine,
    sf_app: Any,
    lose_response: Callable[[SyncEngine, int], None],
    org: Any,
    store: Any,
    account_id: int,
    clock: FrozenClock,
) -> None:
    lead_id, contact_id = _linked(socket_engine, org, store, account_id)
    clock.advance(5)
    store.edit(contact_id, city="Firsttown")
    lose_response(socket_engine, account_id)
    assert org.get(lead_id)["City"] == "Firsttown"  # applied, though we never heard so
    clock.advance(5)
    store.edit(contact_id, city="Secondtown")  # a newer edit of ours
    clock.advance(5)

    socket_engine.run_inbound(account_id)  # reads our own Firsttown back (Salesforce wins)

    assert store.contact(contact_id)["city"] == "Secondtown"
    assert store.log("conflict") == []
    clock.advance(timedelta(minutes=2))
    assert socket_engine.run_outbound(account_id).error is None
    assert org.get(lead_id)["City"] == "Secondtown"
    assert store.outbox("pending") == []
    with socket_engine.db.read() as session:
        assert sync_in_flight.load(session, account_id) == {}


def test_a_salesforce_edit_after_a_lost_response_still_wins_its_conflict(
    socket_engine: SyncEngine,
    sf_app: Any,
    lose_response: Callable[[SyncEngine, int], None],
    org: Any,
    store: Any,
    account_id: int,
    clock: FrozenClock,
) -> None:
    lead_id, contact_id = _linked(socket_engine, org, store, account_id)
    clock.advance(5)
    store.edit(contact_id, city="Firsttown")
    lose_response(socket_engine, account_id)
    clock.advance(5)
    store.edit(contact_id, city="Secondtown")
    org.update("Lead", lead_id, {"City": "Repstown"})  # not what we sent: a real edit
    clock.advance(5)

    socket_engine.run_inbound(account_id)

    assert store.contact(contact_id)["city"] == "Repstown"  # Salesforce wins, as configured
    assert len(store.log("conflict")) == 1


def test_adopting_the_record_of_a_create_whose_response_was_lost_keeps_a_newer_edit(
    socket_engine: SyncEngine,
    sf_app: Any,
    org: Any,
    store: Any,
    account_id: int,
    clock: FrozenClock,
    configure: Any,
) -> None:
    configure(create_direction="both")
    contact_id = store.add_contact(phone=PHONE, last_name="Ng", company="Acme", city="Firsttown")
    sf_app.state.sfemu.faults.add(
        {"kind": "drop_after_write", "endpoint": "composite/*", "count": 1}
    )
    assert socket_engine.run_outbound(account_id).totals == {"skipped": 1}  # outcome unknown
    sf_app.state.sfemu.faults.clear()
    assert org.count("Lead") == 1  # created, though we never heard so
    clock.advance(5)
    store.edit(contact_id, city="Secondtown")
    clock.advance(timedelta(minutes=2))

    socket_engine.run_outbound(account_id)  # finds the record by phone and links it
    socket_engine.run_outbound(account_id)  # sends the newer edit

    assert store.contact(contact_id)["city"] == "Secondtown"
    [lead] = org.iter_records("Lead")
    assert lead["City"] == "Secondtown"
    assert store.log("conflict") == []
    assert store.outbox("pending") == []


def test_adopting_the_record_of_a_lost_create_still_sends_the_calls_made_since(
    socket_engine: SyncEngine,
    sf_app: Any,
    org: Any,
    store: Any,
    account_id: int,
    clock: FrozenClock,
    configure: Any,
) -> None:
    # Tracking fields go only one way: reading the adopted record cannot bring them in, so
    # the contact's rows must stay to update it (found by the latency fault's seeds 7 and 8).
    from datetime import UTC, datetime

    from ringsync.domain.tracking import ActivityDirection, ActivityEvent, ActivityKind

    configure(create_direction="both")
    contact_id = store.add_contact(phone=PHONE, last_name="Ng", company="Acme")
    sf_app.state.sfemu.faults.add(
        {"kind": "drop_after_write", "endpoint": "composite/*", "count": 1}
    )
    assert socket_engine.run_outbound(account_id).totals == {"skipped": 1}  # outcome unknown
    sf_app.state.sfemu.faults.clear()
    clock.advance(5)
    when = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)
    store.activity(
        contact_id, ActivityEvent("call-9", ActivityKind.CALL, ActivityDirection.OUTBOUND, when)
    )
    clock.advance(timedelta(minutes=2))

    socket_engine.run_outbound(account_id)  # finds the record by phone and links it
    socket_engine.run_outbound(account_id)  # sends what the record does not have yet

    [lead] = org.iter_records("Lead")
    assert lead["Total_Outbound_Calls__c"] == 1
    assert store.outbox("pending") == []


@pytest.mark.parametrize(
    "city",
    [
        pytest.param("Firsttown", id="stored-as-sent"),
        # Lead.City is Text(40): the create carries it cut (defect L: still our own echo)
        pytest.param("Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch", id="cut"),
    ],
)
def test_reading_the_record_of_a_create_whose_response_was_lost_keeps_a_newer_edit(
    socket_engine: SyncEngine,
    sf_app: Any,
    org: Any,
    store: Any,
    account_id: int,
    clock: FrozenClock,
    configure: Any,
    city: str,
) -> None:
    configure(create_direction="both")
    contact_id = store.add_contact(phone=PHONE, last_name="Ng", company="Acme", city=city)
    sf_app.state.sfemu.faults.add(
        {"kind": "drop_after_write", "endpoint": "composite/*", "count": 1}
    )
    assert socket_engine.run_outbound(account_id).totals == {"skipped": 1}  # outcome unknown
    sf_app.state.sfemu.faults.clear()
    clock.advance(5)
    store.edit(contact_id, city="Secondtown")
    clock.advance(5)

    socket_engine.run_inbound(account_id)  # reads the new Lead and links it by phone
    clock.advance(timedelta(minutes=2))
    socket_engine.run_outbound(account_id)

    assert store.contact(contact_id)["city"] == "Secondtown"
    [lead] = org.iter_records("Lead")
    assert lead["City"] == "Secondtown"
    assert store.log("conflict") == []
    assert store.outbox("pending") == []
