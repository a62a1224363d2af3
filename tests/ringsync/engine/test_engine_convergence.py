"""Property: any interleaving of edits on both sides converges, then syncing writes nothing."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ringsync.clock import FrozenClock
from ringsync.sync.engine import SyncEngine

FIELDS = {"first_name": "FirstName", "city": "City", "custom_field_1": "Custom_Field_1__c"}
_numbers = itertools.count(100)

edits = st.lists(
    st.tuples(
        st.sampled_from(["ours", "theirs"]),
        st.sampled_from(sorted(FIELDS)),
        st.text(alphabet="abxyz ", min_size=0, max_size=6),
    ),
    max_size=6,
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(script=edits)
def test_any_interleaving_of_edits_converges_and_then_makes_no_writes(
    engine: SyncEngine,
    org: Any,
    store: Any,
    account_id: int,
    clock: FrozenClock,
    sf_stats: Any,
    script: list[tuple[str, str, str]],
) -> None:
    number = next(_numbers)
    phone = f"+1415555{number:04d}"
    lead_id = str(org.create("Lead", {"LastName": "P", "Company": "C", "Phone": phone}))
    clock.advance(2)
    engine.run_inbound(account_id)
    person = store.by_phone(phone)
    assert person is not None
    contact_id = int(person["id"])
    for side, prop, text in script:
        clock.advance(1)
        if side == "ours":
            store.edit(contact_id, **{prop: text or None})
        else:
            org.update("Lead", lead_id, {FIELDS[prop]: text or None})

    for _ in range(2):
        clock.advance(2)
        engine.run_inbound(account_id)
        engine.run_outbound(account_id)
    clock.advance(2)
    writes = sf_stats.write_calls_total
    engine.run_inbound(account_id)
    engine.run_outbound(account_id)

    assert sf_stats.write_calls_total == writes
    ours = store.contact(contact_id)
    theirs = org.get(lead_id)
    for prop, field in FIELDS.items():  # blank and whitespace mean "no value" on both sides
        assert (ours[prop] or "").strip() == (theirs.get(field) or "").strip(), prop
