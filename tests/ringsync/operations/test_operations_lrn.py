"""LRN lookups: the counting fake, the cost rule, and the pull estimate against sfemu."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ringsync.clock import FrozenClock
from ringsync.domain.contacts import create_contact
from ringsync.mapping.catalog import SyncObject
from ringsync.operations import lrn
from ringsync.salesforce.client import SalesforceClient
from ringsync.store.db import Database
from ringsync.sync.config import ObjectMode, SyncSettings


def test_the_fake_provider_counts_every_call_and_answers_the_same_each_time() -> None:
    provider = lrn.FakeLrnProvider()

    first = provider.lookup("+14155550100")
    again = provider.lookup("+14155550100")
    provider.lookup("+442079460000")

    assert first == again
    assert first.e164 == "+14155550100"
    assert provider.call_count == 3
    assert provider.calls == ["+14155550100", "+14155550100", "+442079460000"]


@given(
    st.integers(min_value=0, max_value=1_000_000),
    st.decimals(min_value=0, max_value=10, places=5, allow_nan=False, allow_infinity=False),
)
def test_cost_is_lookups_times_price(lookups: int, price: Decimal) -> None:
    result = lrn.estimate(lookups, price)

    assert result.lookups == lookups
    assert result.cost == price * lookups
    assert result.as_dict()["cost"] == str(price * lookups)


def test_a_negative_number_of_lookups_is_refused() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        lrn.estimate(-1, Decimal("0.01"))


def _lead(org: Any, phone: str | None, *, converted: bool = False) -> str:
    values = {"LastName": "Lead", "Company": "Acme"}
    if phone is not None:
        values["Phone"] = phone
    record_id = str(org.create("Lead", values))
    if converted:
        org.set_system_fields(record_id, {"IsConverted": True})
    return record_id


def test_pull_estimate_counts_new_distinct_numbers_only(
    sf_client: SalesforceClient,
    sf_org: Any,
    database: Database,
    account_id: int,
    clock: FrozenClock,
) -> None:
    _lead(sf_org, "(415) 555-0101")
    _lead(sf_org, "415.555.0101")  # the same number, written differently
    _lead(sf_org, "+1 415 555 0102")  # already a contact
    _lead(sf_org, "415-555-0103")
    _lead(sf_org, "not a phone")
    _lead(sf_org, None)
    _lead(sf_org, "415-555-0104", converted=True)  # converted leads are not pulled
    sf_org.create("Contact", {"LastName": "Only a contact", "Phone": "415-555-0105"})
    with database.write() as session:
        create_contact(session, account_id, {"phone": "+14155550102"}, clock=clock)
    settings = SyncSettings(lrn_price_per_lookup=Decimal("0.0035"))

    with database.read() as session:
        result = lrn.estimate_pull(sf_client, session, account_id, settings)

    assert result.lookups == 2  # 555-0101 and 555-0103
    assert result.cost == Decimal("0.0070")
    assert result.records_read == 5  # leads with a phone, not converted
    assert result.api_calls == 2  # one COUNT() and one query page


def test_pull_estimate_reads_both_objects_when_both_sync(
    sf_client: SalesforceClient, sf_org: Any, database: Database, account_id: int
) -> None:
    _lead(sf_org, "415-555-0111")
    sf_org.create("Contact", {"LastName": "Contact", "Phone": "415-555-0111"})
    sf_org.create("Contact", {"LastName": "Contact", "Phone": "415-555-0112"})
    settings = SyncSettings(
        object_mode=ObjectMode.BOTH,
        priority=SyncObject.CONTACT,
        lrn_price_per_lookup=Decimal("0.01"),
    )

    with database.read() as session:
        result = lrn.estimate_pull(sf_client, session, account_id, settings)

    assert (result.lookups, result.cost, result.records_read) == (2, Decimal("0.02"), 3)


def test_pull_query_is_built_through_the_soql_builder() -> None:
    assert lrn.pull_soql(SyncObject.LEAD) == (
        "SELECT Id, Phone FROM Lead WHERE (IsConverted = false AND Phone != null)"
    )
    assert lrn.pull_soql(SyncObject.CONTACT) == "SELECT Id, Phone FROM Contact WHERE Phone != null"


def test_new_numbers_ignores_numbers_of_other_accounts(
    database: Database, account_id: int, clock: FrozenClock
) -> None:
    from ringsync.domain.accounts import create_account

    with database.write() as session:
        other = create_account(session, "Other", clock=clock).id
        create_contact(session, other, {"phone": "+14155550121"}, clock=clock)
        create_contact(session, account_id, {"phone": "+14155550122"}, clock=clock)

    with database.read() as session:
        fresh = lrn.new_numbers(session, account_id, ["+14155550121", "+14155550122"])

    assert fresh == {"+14155550121"}


def test_the_estimate_reads_large_objects_through_bulk_api_2(
    sf_client: SalesforceClient, sf_org: Any, sf_http: Any, database: Database, account_id: int
) -> None:
    for n in range(3):
        _lead(sf_org, f"415-555-013{n}")
    paths: list[str] = []
    sf_http.event_hooks["request"].append(lambda request: paths.append(request.url.path))

    with database.read() as session:
        result = lrn.estimate_pull(sf_client, session, account_id, SyncSettings(), bulk_threshold=2)

    assert result.lookups == 3
    assert any(path.endswith("/jobs/query") for path in paths)
