"""A blank owner is held back: Salesforce cannot blank OwnerId, so the other fields still go."""

from __future__ import annotations

from typing import Any

from ringsync.clock import FrozenClock
from ringsync.sync.engine import SyncEngine


def test_a_blank_owner_is_held_back_and_the_other_fields_are_sent(
    engine: SyncEngine, org: Any, store: Any, account_id: int, clock: FrozenClock
) -> None:
    agent = store.add_user("agent@example.com")
    store.map_user(agent, org.admin_user_id, "agent@example.com")
    lead_id = str(
        org.create(
            "Lead",
            {"LastName": "Ng", "Company": "Acme", "Phone": "+14155550901"},
        )
    )
    engine.run_inbound(account_id)
    person = store.by_phone("+14155550901")
    assert person is not None
    assert person["owner"] == agent
    clock.advance(5)
    store.edit(int(person["id"]), owner=None, first_name="Kept")

    run = engine.run_outbound(account_id)

    assert run.status.value == "succeeded"
    assert run.totals.get("failed") is None
    assert engine.list_failed(account_id) == []
    record = org.get(lead_id)
    assert (record["FirstName"], record["OwnerId"]) == ("Kept", org.admin_user_id)
    [sent] = [e for e in store.log("updated") if e.direction == "outbound"]
    assert "owner: Salesforce requires an owner; a blank owner is not sent" in sent.reason
    assert "owner" not in sent.fields
    assert store.outbox(status="pending") == []


def test_a_blank_owner_alone_sends_nothing_and_says_why(
    engine: SyncEngine, org: Any, store: Any, account_id: int, sf_stats: Any
) -> None:
    agent = store.add_user("solo@example.com")
    store.map_user(agent, org.admin_user_id, "solo@example.com")
    org.create("Lead", {"LastName": "Ng", "Company": "Acme", "Phone": "+14155550911"})
    engine.run_inbound(account_id)
    person = store.by_phone("+14155550911")
    assert person is not None
    store.edit(int(person["id"]), owner=None)
    writes = sf_stats.write_calls_total

    engine.run_outbound(account_id)

    assert sf_stats.write_calls_total == writes
    [row] = [e for e in store.log("skipped") if e.direction == "outbound"]
    assert row.reason == (
        "nothing to send; owner: Salesforce requires an owner; a blank owner is not sent"
    )
    assert engine.list_failed(account_id) == []
