"""Runs, options and hooks: bulk paths, run records, stopping, deletion policy, no echo."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, time, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ringsync.clock import FrozenClock
from ringsync.salesforce.auth import PasswordAuth
from ringsync.salesforce.budget import ApiBudget
from ringsync.salesforce.client import SalesforceClient
from ringsync.salesforce.hosts import HostPolicy
from ringsync.salesforce.retry import RetryPolicy
from ringsync.store.repositories.sync_log import list_runs
from ringsync.store.repositories.sync_state import get_cursor
from ringsync.store.typed_json import decode_values, encode_values
from ringsync.sync.engine import EngineOptions, SyncEngine
from ringsync.sync.inbound import InboundOptions
from ringsync.sync.outbound import OutboundOptions


def _lead(org: Any, phone: str, **values: Any) -> str:
    fields = {"LastName": "Ng", "Company": "Acme", "Phone": phone, **values}
    return str(org.create("Lead", fields))


def _engine(database: Any, client: Any, clock: FrozenClock, **options: Any) -> SyncEngine:
    return SyncEngine(database, lambda _a: client, clock=clock, options=EngineOptions(**options))


def test_inbound_changes_write_no_outbox_rows(
    engine: SyncEngine, org: Any, store: Any, account_id: int
) -> None:
    _lead(org, "(415) 555-0701", FirstName="Quiet")

    engine.run_inbound(account_id)

    assert store.count_contacts() == 1
    assert store.outbox() == []


def test_updates_above_the_ingest_threshold_go_through_bulk_ingest(
    org: Any,
    store: Any,
    account_id: int,
    database: Any,
    sf_client: Any,
    clock: FrozenClock,
    sf_stats: Any,
) -> None:
    bulk = _engine(
        database,
        sf_client,
        clock,
        inbound=InboundOptions(bulk_threshold=None),
        outbound=OutboundOptions(ingest_threshold=1),
    )
    ids = [_lead(org, f"(415) 555-071{n}") for n in range(3)]
    bulk.run_inbound(account_id)
    for n in range(3):
        person = store.by_phone(f"+1415555071{n}")
        assert person is not None
        store.edit(int(person["id"]), first_name=f"Bulk{n}")

    run = bulk.run_outbound(account_id)

    assert run.totals.get("updated") == 3
    assert [org.get(i)["FirstName"] for i in ids] == ["Bulk0", "Bulk1", "Bulk2"]
    assert sf_stats.calls_to("composite/sobjects", "PATCH") == 0
    assert sf_stats.calls_to("jobs/ingest", "POST") == 1


def test_create_sets_the_ringsync_id_and_link_fields(
    org: Any,
    store: Any,
    account_id: int,
    database: Any,
    sf_client: Any,
    clock: FrozenClock,
    configure: Callable[..., None],
) -> None:
    configure(create_direction="both")
    linked = _engine(database, sf_client, clock, contact_link_base_url="https://rs.example/app/")
    contact_id = store.add_contact(phone="+14155550721", last_name="Linked")

    linked.run_outbound(account_id)

    [link] = store.links()
    record = org.get(link.record_id)
    assert record["Ringsync_Contact_ID__c"] == str(contact_id)
    assert record["Ringsync_Link__c"] == f"https://rs.example/app/contacts/{contact_id}"


def test_deletions_can_be_ignored(
    org: Any, store: Any, account_id: int, database: Any, sf_client: Any, clock: FrozenClock
) -> None:
    keep = _engine(
        database, sf_client, clock, inbound=InboundOptions(bulk_threshold=None, deletions="ignore")
    )
    lead_id = _lead(org, "(415) 555-0731")
    keep.run_inbound(account_id)
    clock.advance(60)
    org.delete(lead_id)
    clock.advance(180)

    keep.run_inbound(account_id)

    [link] = store.links()
    assert link.record_id == lead_id
    assert store.log("deleted") == []


def test_converted_lead_is_skipped_when_contacts_do_not_sync(
    engine: SyncEngine, org: Any, store: Any, account_id: int, clock: FrozenClock
) -> None:
    lead_id = _lead(org, "(415) 555-0741")
    engine.run_inbound(account_id)
    clock.advance(10)
    org.convert_lead(lead_id)
    clock.advance(10)

    engine.run_inbound(account_id)

    [link] = store.links()
    assert (link.sobject, link.record_id) == ("Lead", lead_id)
    rows = [e for e in store.log("skipped") if e.record_id == lead_id]
    assert rows
    assert "convert" in rows[0].reason.lower()


def test_runs_record_status_and_totals(
    engine: SyncEngine, org: Any, store: Any, account_id: int, database: Any
) -> None:
    _lead(org, "(415) 555-0751")
    _lead(org, "")

    [inbound] = engine.run_inbound(account_id)
    outbound = engine.run_outbound(account_id)

    with database.read() as session:
        runs = list_runs(session, account_id)
    assert [(r.direction, r.sobject, r.status) for r in runs] == [
        ("outbound", None, "succeeded"),
        ("inbound", "Lead", "succeeded"),
    ]
    assert runs[1].totals == {"created": 1, "skipped": 1, "read": 2, "already_seen": 0}
    assert inbound.totals == runs[1].totals
    assert outbound.totals == {}
    assert {e.run_id for e in store.log()} == {inbound.run_id}


def test_an_auth_failure_fails_the_run_and_keeps_the_cursor(
    org: Any, account_id: int, database: Any, sf_http: Any, clock: FrozenClock
) -> None:
    auth = PasswordAuth(
        sf_http,
        "https://sfemu.test",
        HostPolicy(["sfemu.test"]),
        client_id="sfemu-client",
        client_secret="sfemu-secret",  # sfemu's published demo secret
        username="admin@sfemu.test",
        password="wrong",  # a deliberately wrong password
    )
    client = SalesforceClient(
        sf_http,
        auth,
        retry=RetryPolicy.seeded(3, max_attempts=2, base_delay=0.01, max_delay=0.02),
        budget=ApiBudget(clock),
        clock=clock,
        sleep=lambda _seconds: None,
    )
    _lead(org, "(415) 555-0761")

    [run] = _engine(database, client, clock).run_inbound(account_id)

    assert run.status.value == "failed"
    assert run.error is not None
    assert run.error.startswith("auth_error")
    with database.read() as session:
        assert get_cursor(session, account_id, "Lead").modstamp is None
        [stored] = list_runs(session, account_id)
    assert (stored.status, stored.error) == ("failed", run.error)


def test_should_stop_ends_the_run_after_a_batch_and_the_next_run_resumes(
    org: Any, store: Any, account_id: int, database: Any, sf_client: Any, clock: FrozenClock
) -> None:
    small = _engine(
        database, sf_client, clock, inbound=InboundOptions(batch_size=2, bulk_threshold=None)
    )
    for n in range(5):
        _lead(org, f"(415) 555-077{n}")
        clock.advance(1)

    [first] = small.run_inbound(account_id, should_stop=lambda: True)
    assert first.totals["read"] == 2
    assert first.totals["stopped"] == 1
    assert store.count_contacts() == 2
    clock.advance(1)

    small.run_inbound(account_id)

    assert store.count_contacts() == 5
    assert len(store.log("created")) == 5


def test_retry_of_unknown_ids_does_nothing_and_does_not_wake(
    engine: SyncEngine, account_id: int, woken: list[int]
) -> None:
    assert engine.retry_failed(account_id, [999_999]) == 0
    assert woken == []


def test_wake_calls_the_runner_hook(engine: SyncEngine, account_id: int, woken: list[int]) -> None:
    engine.wake(account_id)
    assert woken == [account_id]


_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=20),
    st.dates(),
    st.datetimes(timezones=st.just(UTC)),
    st.times().map(lambda t: t.replace(tzinfo=timezone(timedelta(hours=-7)))),
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
)


@given(st.dictionaries(st.text(min_size=1, max_size=10), _values, max_size=6))
def test_typed_json_round_trips_every_property_value(values: dict[str, object]) -> None:
    assert decode_values(encode_values(values)) == values


def test_typed_json_keeps_types_apart() -> None:
    encoded = encode_values(
        {"d": date(2026, 3, 2), "t": time(8, 33, 16), "n": Decimal("1.50"), "s": "2026-03-02"}
    )
    decoded = decode_values(encoded)
    assert decoded == {
        "d": date(2026, 3, 2),
        "t": time(8, 33, 16),
        "n": Decimal("1.50"),
        "s": "2026-03-02",
    }
    assert isinstance(decoded["s"], str)


def test_deletions_after_a_long_pause_are_still_read_within_salesforce_limits(
    engine: SyncEngine, org: Any, store: Any, account_id: int, clock: FrozenClock
) -> None:
    lead_id = _lead(org, "(415) 555-0781")
    engine.run_inbound(account_id)
    clock.advance(timedelta(days=40))
    org.delete(lead_id)
    clock.advance(180)

    [run] = engine.run_inbound(account_id)

    assert run.error is None
    assert run.status.value == "succeeded"
    assert store.links() == []
    assert [e.record_id for e in store.log("deleted")] == [lead_id]


class _BrokenClient:
    """A client whose describe fails with a bug (not a Salesforce outcome)."""

    def describe(self, name: str) -> Any:
        raise RuntimeError(f"bug while describing {name}")


def test_an_unexpected_error_fails_the_run_and_propagates(
    account_id: int, database: Any, clock: FrozenClock
) -> None:
    broken = SyncEngine(database, lambda _a: _BrokenClient(), clock=clock)

    with pytest.raises(RuntimeError, match="bug while describing Lead"):
        broken.run_inbound(account_id)

    with database.read() as session:
        [run] = list_runs(session, account_id)
    assert (run.status, run.error) == ("failed", "unexpected RuntimeError")
    assert run.finished_at is not None
