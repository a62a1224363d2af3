"""A Salesforce clock set back and a session refused twice end without losing anything."""

from __future__ import annotations

from typing import Any

from ringsync.clock import FrozenClock
from ringsync.sync.engine import SyncEngine


def _linked(
    engine: SyncEngine, org: Any, store: Any, account_id: int, phone: str
) -> tuple[str, int]:
    lead_id = str(org.create("Lead", {"LastName": "Ng", "Company": "Acme", "Phone": phone}))
    engine.run_inbound(account_id)
    person = store.by_phone(phone)
    assert person is not None
    return lead_id, int(person["id"])


def test_a_session_refused_after_the_refresh_fails_the_run_and_keeps_the_change(
    engine: SyncEngine, org: Any, store: Any, account_id: int, sf_app: Any, clock: FrozenClock
) -> None:
    lead_id, contact_id = _linked(engine, org, store, account_id, "+14155550701")
    store.edit(contact_id, first_name="Kept")
    sf_app.state.sfemu.faults.add({"kind": "session_expiry", "endpoint": "composite/*", "count": 2})

    run = engine.run_outbound(account_id)

    assert run.error is not None
    assert "auth" in run.error
    assert engine.list_failed(account_id) == []
    assert store.log("failed") == []
    assert len(store.outbox("pending")) == 1
    clock.advance(120)
    assert engine.run_outbound(account_id).error is None
    assert store.outbox("pending") == []
    assert org.get(lead_id)["FirstName"] == "Kept"


def test_a_deletion_window_starting_in_salesforces_future_waits_without_failing(
    engine: SyncEngine, org: Any, store: Any, account_id: int, clock: FrozenClock
) -> None:
    lead_id, contact_id = _linked(engine, org, store, account_id, "+14155550702")
    clock.advance(180)
    assert [r.error for r in engine.run_inbound(account_id)] == [None]
    org.advance_clock(-600)  # Salesforce's clock is set back below our last window's end
    clock.advance(180)

    waiting = engine.run_inbound(account_id)
    clock.advance(900)  # Salesforce's clock passes the window's start again
    org.delete(lead_id)
    clock.advance(180)
    caught_up = engine.run_inbound(account_id)

    assert [r.error for r in waiting] == [None]
    assert [r.error for r in caught_up] == [None]
    assert store.links() == []
    assert store.contact(contact_id)["last_name"] == "Ng"
