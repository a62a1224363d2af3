"""A refused write's fields are re-sent with the contact's next write; nothing is lost silently.

The failed record closes only when a write carrying its fields is accepted (or none of them
needs sending any more); a write refused again keeps it open with every field it names.
"""

from __future__ import annotations

from typing import Any

import pytest

from ringsync.sync.engine import SyncEngine

PHONE = "+14155550971"


@pytest.fixture
def refusing_org(org: Any) -> Any:
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
    return org


def _linked(engine: SyncEngine, org: Any, store: Any, account_id: int) -> tuple[str, int]:
    lead_id = str(
        org.create("Lead", {"LastName": "Ng", "Company": "Acme", "Phone": PHONE, "City": "Oldtown"})
    )
    engine.run_inbound(account_id)
    person = store.by_phone(PHONE)
    assert person is not None
    return lead_id, int(person["id"])


def _refused(engine: SyncEngine, store: Any, account_id: int, contact_id: int) -> None:
    store.edit(contact_id, city="Nowhere", first_name="Ann")
    assert engine.run_outbound(account_id).totals == {"failed": 1}
    [failed] = engine.list_failed(account_id)
    assert failed.payload["properties"] == ["city", "first_name"]


def test_a_refused_writes_other_fields_are_sent_with_the_next_write_before_it_closes(
    engine: SyncEngine, refusing_org: Any, store: Any, account_id: int
) -> None:
    lead_id, contact_id = _linked(engine, refusing_org, store, account_id)
    _refused(engine, store, account_id, contact_id)

    store.edit(contact_id, city="Paris")  # the next write names only the city
    run = engine.run_outbound(account_id)

    assert run.totals == {"updated": 1}
    lead = refusing_org.get(lead_id)
    assert (lead.get("City"), lead.get("FirstName")) == ("Paris", "Ann")
    assert engine.list_failed(account_id) == []


def test_a_later_write_refused_again_keeps_the_failed_record_open_with_every_field(
    engine: SyncEngine, refusing_org: Any, store: Any, account_id: int
) -> None:
    lead_id, contact_id = _linked(engine, refusing_org, store, account_id)
    _refused(engine, store, account_id, contact_id)

    store.edit(contact_id, last_name="Lee")  # City is still Nowhere on our side
    run = engine.run_outbound(account_id)

    assert run.totals == {"failed": 1}
    [failed] = engine.list_failed(account_id)
    assert failed.payload["properties"] == ["city", "first_name", "last_name"]
    assert failed.message == "City cannot be Nowhere"
    assert refusing_org.get(lead_id)["LastName"] == "Ng"
    assert store.outbox("pending") == []


def test_a_refused_value_replaced_by_the_synced_one_closes_the_failed_record(
    engine: SyncEngine, refusing_org: Any, store: Any, account_id: int
) -> None:
    lead_id, contact_id = _linked(engine, refusing_org, store, account_id)
    store.edit(contact_id, city="Nowhere")
    assert engine.run_outbound(account_id).totals == {"failed": 1}

    store.edit(contact_id, city="Oldtown")  # back to what Salesforce holds: nothing to send
    run = engine.run_outbound(account_id)

    assert run.totals == {"skipped": 1}
    assert engine.list_failed(account_id) == []
    assert refusing_org.get(lead_id)["City"] == "Oldtown"
