"""Salesforce's clock set back below our read cursor: the read starts from Salesforce's time.

Edits made after the set-back are stamped below the cursor (the newest SystemModstamp read
before it); reading from ``cursor - overlap`` would never see them. The read starts from the
minute Salesforce's clock has reached (getUpdated's latestDateCovered) minus the time elapsed,
by our clock, since the last read began, and what was read before is dropped again by its key,
so nothing is applied or logged twice.
"""

from __future__ import annotations

from typing import Any

from ringsync.clock import FrozenClock
from ringsync.sync.engine import SyncEngine

PHONE = "+14155550991"


def test_edits_stamped_below_the_cursor_after_salesforces_clock_was_set_back_are_read(
    engine: SyncEngine, org: Any, store: Any, account_id: int, clock: FrozenClock
) -> None:
    lead_id = str(org.create("Lead", {"LastName": "Ng", "Company": "Acme", "Phone": PHONE}))
    engine.run_inbound(account_id)
    person = store.by_phone(PHONE)
    assert person is not None
    clock.advance(120)
    org.update("Lead", lead_id, {"FirstName": "Before"})
    engine.run_inbound(account_id)  # the cursor is now 2 minutes after the link
    org.advance_clock(-300)  # Salesforce's clock goes back 5 minutes
    clock.advance(40)
    org.update("Lead", lead_id, {"FirstName": "Behind"})  # 14:57:40, below the cursor (15:02)
    assert org.get(lead_id)["SystemModstamp"] < org.get(lead_id)["CreatedDate"]
    clock.advance(50)  # Salesforce says 14:58:30: its minute alone (14:58) is past the edit

    runs = engine.run_inbound(account_id)

    assert [r.error for r in runs] == [None]
    assert store.contact(int(person["id"]))["first_name"] == "Behind"


def test_records_read_again_below_the_cursor_are_not_applied_twice(
    engine: SyncEngine, org: Any, store: Any, account_id: int, clock: FrozenClock
) -> None:
    lead_id = str(org.create("Lead", {"LastName": "Ng", "Company": "Acme", "Phone": PHONE}))
    engine.run_inbound(account_id)
    clock.advance(120)
    org.advance_clock(-300)
    org.update("Lead", lead_id, {"FirstName": "Behind"})
    clock.advance(10)
    engine.run_inbound(account_id)
    logged = len(store.log())
    clock.advance(10)

    again = engine.run_inbound(account_id)  # reads from Salesforce's time again

    assert again[0].totals.get("already_seen", 0) >= 1
    assert len(store.log()) == logged
