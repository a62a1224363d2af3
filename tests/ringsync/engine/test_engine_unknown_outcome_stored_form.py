"""A lost write is recognised when read back in the form Salesforce stored it (defect L).

ringsync converts a value for the field's describe before sending it (a text longer than the
field is cut under the ``truncate`` policy), while the values kept in flight are ringsync's
own; Salesforce also stores a picklist value in the case its describe defines. The read-back
value is compared with the stored form of each value sent, so it is still our own echo and
"Salesforce wins" does not revert a newer edit of ours.

Numbers cannot come back rounded, and date-times cannot come back with their fraction of a
second cut: every property of those types is an outbound-only tracking field, never read.

sfemu runs on a real TLS socket so ``drop_after_write`` is a real closed connection after
Salesforce applied the write; every attempt of the call is dropped, so the outcome stays
unknown and the outbox row waits for a retry.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from ringsync.clock import FrozenClock
from ringsync.mapping.catalog import PROPERTIES, TRACKING_PROPERTIES, ValueType
from ringsync.mapping.convert import Converted, to_salesforce
from ringsync.store.repositories import sync_in_flight
from ringsync.sync.engine import SyncEngine
from ringsync.sync.records import NOT_READ

PHONE = "+14155550962"
CITY_LENGTH = 40  # Lead.City is Text(40); ringsync's contacts hold up to 255 characters
LONG_CITY = "Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch"


def _linked(engine: SyncEngine, org: Any, store: Any, account_id: int) -> tuple[str, int]:
    fields = {"LastName": "Ng", "Company": "Acme", "Phone": PHONE, "City": "Oldtown"}
    lead_id = str(org.create("Lead", {**fields, "LeadSource": "Other"}))
    engine.run_inbound(account_id)
    person = store.by_phone(PHONE)
    assert person is not None
    return lead_id, int(person["id"])


def _in_flight(engine: SyncEngine, account_id: int) -> dict[int, Any]:
    with engine.db.read() as session:
        return dict(sync_in_flight.load(session, account_id))


@pytest.mark.parametrize(
    ("prop", "field", "sent", "stored", "newer"),
    [
        pytest.param(
            "city", "City", LONG_CITY, LONG_CITY[:CITY_LENGTH], "Secondtown", id="text-truncated"
        ),
        pytest.param(
            "lead_source", "LeadSource", "web", "Web", "Partner Referral", id="picklist-case"
        ),
    ],
)
def test_a_lost_write_read_back_in_its_stored_form_never_reverts_a_newer_edit(
    socket_engine: SyncEngine,
    sf_app: Any,
    lose_response: Callable[[SyncEngine, int], None],
    org: Any,
    store: Any,
    account_id: int,
    clock: FrozenClock,
    prop: str,
    field: str,
    sent: str,
    stored: str,
    newer: str,
) -> None:
    lead_id, contact_id = _linked(socket_engine, org, store, account_id)
    clock.advance(5)
    store.edit(contact_id, **{prop: sent})
    lose_response(socket_engine, account_id)
    assert org.get(lead_id)[field] == stored  # applied in its stored form; we never heard so
    assert _in_flight(socket_engine, account_id)[contact_id] == {prop: [sent]}  # ours, unconverted
    clock.advance(5)
    store.edit(contact_id, **{prop: newer})  # a newer edit of ours
    clock.advance(5)

    socket_engine.run_inbound(account_id)  # reads our own write back (Salesforce wins)

    assert store.contact(contact_id)[prop] == newer
    assert store.log("conflict") == []
    assert _in_flight(socket_engine, account_id) == {}
    clock.advance(timedelta(minutes=2))
    assert socket_engine.run_outbound(account_id).error is None
    assert org.get(lead_id)[field] == newer
    assert store.outbox("pending") == []


def test_a_lost_truncated_write_read_back_without_a_newer_edit_keeps_our_full_value(
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
    store.edit(contact_id, city=LONG_CITY)
    lose_response(socket_engine, account_id)
    clock.advance(5)

    socket_engine.run_inbound(account_id)
    clock.advance(timedelta(minutes=2))
    assert socket_engine.run_outbound(account_id).error is None
    clock.advance(5)
    socket_engine.run_inbound(account_id)

    assert store.contact(contact_id)["city"] == LONG_CITY  # never cut to Salesforce's length
    assert org.get(lead_id)["City"] == LONG_CITY[:CITY_LENGTH]
    assert store.log("conflict") == []
    assert store.outbox("pending") == []
    assert _in_flight(socket_engine, account_id) == {}


def test_no_value_read_back_can_be_a_rounded_number_or_a_cut_date_time() -> None:
    # Rounding to a field's scale and cutting a date-time to whole seconds cannot make a lost
    # write unrecognisable: only tracking properties hold numbers and date-times, and those
    # are written to Salesforce only, never read back. (Whole numbers are never rounded, and
    # date-times compare at one-second precision anyway.)
    numeric_or_temporal = {
        name
        for name, prop in PROPERTIES.items()
        if prop.value_type in {ValueType.INT, ValueType.DATETIME, ValueType.DATE, ValueType.TIME}
    }
    assert numeric_or_temporal <= TRACKING_PROPERTIES
    assert TRACKING_PROPERTIES <= NOT_READ
    field = {"name": "Total__c", "type": "double", "precision": 18, "scale": 2}
    assert to_salesforce(7, field, value_type=ValueType.INT) == Converted(7)
