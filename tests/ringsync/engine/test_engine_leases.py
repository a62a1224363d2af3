"""Runs under the runner's account lease: claims last as long as the lease; dead runs close."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest

from ringsync.clock import FrozenClock
from ringsync.runtime.execution import Job, JobExecutor, Outcome
from ringsync.runtime.leases import LeaseRepository, account_lease_key
from ringsync.runtime.tasks import SYNC_OUTBOUND, create_registry
from ringsync.runtime.wiring import engine_tasks
from ringsync.settings import load_settings
from ringsync.store.db import Database
from ringsync.store.repositories.sync_log import list_runs, start_run
from ringsync.sync.engine import RunLease, SyncEngine

LEASE_TTL = timedelta(seconds=30)


class DyingClient:
    """A Salesforce client whose worker dies as soon as it is used."""

    def describe(self, name: str) -> Any:
        raise RuntimeError(f"worker killed while describing {name}")


def _dying_engine(database: Database, clock: FrozenClock) -> SyncEngine:
    client: Any = DyingClient()
    return SyncEngine(database, lambda _account: client, clock=clock)


def _linked_and_edited(engine: SyncEngine, org: Any, store: Any, account_id: int) -> str:
    lead_id = str(
        org.create("Lead", {"LastName": "Ng", "Company": "Acme", "Phone": "+14155550951"})
    )
    engine.run_inbound(account_id)
    person = store.by_phone("+14155550951")
    assert person is not None
    store.edit(int(person["id"]), first_name="Claimed")
    return lead_id


def test_claims_follow_the_lease_ttl_so_a_dead_workers_rows_are_claimable_when_it_expires(
    engine: SyncEngine,
    database: Database,
    org: Any,
    store: Any,
    account_id: int,
    clock: FrozenClock,
) -> None:
    lead_id = _linked_and_edited(engine, org, store, account_id)
    dying = _dying_engine(database, clock)
    with pytest.raises(RuntimeError, match="worker killed"):
        dying.under(RunLease(1, LEASE_TTL)).run_outbound(account_id)
    next_worker = engine.under(RunLease(2, LEASE_TTL))

    clock.advance(LEASE_TTL - timedelta(seconds=1))
    early = next_worker.run_outbound(account_id)
    assert early.totals == {}
    assert org.get(lead_id).get("FirstName") is None

    clock.advance(timedelta(seconds=2))
    late = next_worker.run_outbound(account_id)
    assert late.totals == {"updated": 1}
    assert org.get(lead_id)["FirstName"] == "Claimed"
    assert store.outbox(status="pending") == []


def test_claims_without_a_runner_keep_the_engines_five_minute_default(
    engine: SyncEngine,
    database: Database,
    org: Any,
    store: Any,
    account_id: int,
    clock: FrozenClock,
) -> None:
    lead_id = _linked_and_edited(engine, org, store, account_id)
    dying = _dying_engine(database, clock)
    with pytest.raises(RuntimeError, match="worker killed"):
        dying.run_outbound(account_id)

    clock.advance(LEASE_TTL + timedelta(seconds=1))
    assert engine.run_outbound(account_id).totals == {}
    clock.advance(timedelta(minutes=5))
    assert engine.run_outbound(account_id).totals == {"updated": 1}
    assert org.get(lead_id)["FirstName"] == "Claimed"


def _run_statuses(database: Database, account_id: int) -> dict[int, tuple[str, str | None]]:
    with database.read() as session:
        return {r.id: (r.status, r.error) for r in list_runs(session, account_id)}


def test_a_run_under_a_new_lease_closes_a_killed_workers_running_runs_as_abandoned(
    engine: SyncEngine, database: Database, account_id: int, clock: FrozenClock
) -> None:
    leases = LeaseRepository(database, clock)
    key = account_lease_key(account_id)
    killed = leases.acquire(key, "worker-a:job-1", LEASE_TTL)
    assert killed is not None
    with database.write() as session:
        # What a killed worker leaves behind: a run that never finishes.
        stale = start_run(
            session, account_id, "inbound", "Lead", clock.now(), lease_token=killed.token
        )
        unleased = start_run(session, account_id, "outbound", None, clock.now())
    clock.advance(LEASE_TTL + timedelta(seconds=1))
    registry = create_registry(engine_tasks(lambda: engine))
    executor = JobExecutor(
        load_settings(),
        database,
        registry,
        clock,
        submit=lambda name, /, **kwargs: name,
        stop_event=threading.Event(),
        lease_ttl=LEASE_TTL,
        holder_prefix="worker-b",
    )

    outcome = executor.run(Job(SYNC_OUTBOUND, {"account_id": account_id}, "job-2"))

    assert outcome is Outcome.DONE
    runs = _run_statuses(database, account_id)
    status, reason = runs[stale]
    assert status == "abandoned"
    assert reason == (
        "abandoned: its worker died or lost the account's lease before finishing; "
        f"a newer lease (fencing token {killed.token + 1}) took the account over"
    )
    assert runs[unleased] == ("running", None)
    newest = max(runs)
    assert runs[newest] == ("succeeded", None)


def test_a_late_run_under_an_older_token_never_closes_the_current_holders_run(
    engine: SyncEngine, database: Database, account_id: int, clock: FrozenClock
) -> None:
    with database.write() as session:
        current = start_run(session, account_id, "inbound", "Lead", clock.now(), lease_token=9)

    engine.under(RunLease(8, LEASE_TTL)).run_outbound(account_id)

    assert _run_statuses(database, account_id)[current] == ("running", None)
