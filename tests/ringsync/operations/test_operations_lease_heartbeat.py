"""The operation lease stays alive through one long engine pass, and is fenced when lost."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from ringsync.clock import FrozenClock
from ringsync.domain.contacts import list_contacts
from ringsync.operations.handler import OperationEnv
from ringsync.operations.heartbeat import OperationHeartbeat
from ringsync.operations.model import OperationConflictError, OperationKind, OperationStatus
from ringsync.operations.runner import OperationRunner, create_runner, operation_lease_key
from ringsync.runtime.leases import Lease, LeaseLostError, LeaseRepository
from ringsync.store.db import Database
from ringsync.sync.engine import EngineOptions, RunSummary, SyncEngine
from ringsync.sync.inbound import InboundOptions

PULL = OperationKind.PULL_CONTACTS
TTL = timedelta(seconds=60)
BATCH_TIME = timedelta(seconds=45)  # three engine batches take more than two lease lifetimes
StopFn = Callable[[], bool]


class SlowEngine(SyncEngine):
    """The real engine, one record a batch, each batch taking ``BATCH_TIME`` on the clock.

    ``between`` runs after every batch (the clock already advanced), before the runner's own
    check; it stands for whatever happens elsewhere meanwhile.
    """

    def __init__(self, env: OperationEnv, clock: FrozenClock) -> None:
        super().__init__(
            env.database,
            lambda _account: env.salesforce,
            clock=clock,
            options=EngineOptions(inbound=InboundOptions(batch_size=1, bulk_threshold=None)),
        )
        self.frozen = clock
        self.between: Callable[[int], None] = lambda _batch: None
        self.batches = 0

    def run_inbound(
        self,
        account_id: int,
        *,
        should_stop: StopFn | None = None,
        on_progress: Callable[[int], None] | None = None,
    ) -> list[RunSummary]:
        assert should_stop is not None  # the pull always hands the engine its check

        def slow_batch_then_check() -> bool:
            self.batches += 1
            self.frozen.advance(BATCH_TIME)
            self.between(self.batches)
            return should_stop()

        return super().run_inbound(
            account_id, should_stop=slow_batch_then_check, on_progress=on_progress
        )


@pytest.fixture
def leads(sf_org: Any, clock: FrozenClock) -> None:
    for n in range(3):
        sf_org.create("Lead", {"LastName": f"L{n}", "Company": "Acme", "Phone": f"41555501{n:02d}"})
    clock.advance(60)


@pytest.fixture
def engine(env: OperationEnv, clock: FrozenClock) -> SlowEngine:
    return SlowEngine(env, clock)


def _runner(env: OperationEnv, engine: SlowEngine, holder: str) -> OperationRunner:
    slow_env = OperationEnv(env.database, env.salesforce, env.clock, env.lrn, engine)
    return create_runner(slow_env, holder=holder, lease_ttl=TTL)


def test_a_long_engine_pass_renews_the_operation_lease_between_its_batches(
    env: OperationEnv, clock: FrozenClock, engine: SlowEngine, account_id: int, leads: None
) -> None:
    leases = LeaseRepository(env.database, clock)
    key = operation_lease_key(account_id, PULL)
    seen: list[Lease | None] = []
    engine.between = lambda _batch: seen.append(leases.current(key))

    done = _runner(env, engine, "worker-1").run(account_id, PULL)

    assert done.status is OperationStatus.SUCCEEDED, done.errors
    assert done.counts["read"] == 3
    assert engine.batches >= 3  # the pass outlasted the lease twice over
    assert engine.batches * BATCH_TIME > 2 * TTL
    assert all(lease is not None and lease.holder == "worker-1" for lease in seen)


def test_cancel_and_resume_elsewhere_during_a_long_pass_see_a_live_operation(
    env: OperationEnv, clock: FrozenClock, engine: SlowEngine, account_id: int, leads: None
) -> None:
    runner = _runner(env, engine, "worker-1")
    other = _runner(env, engine, "worker-2")
    queued = runner.start(account_id, PULL)
    outcomes: list[Any] = []

    def from_elsewhere(batch: int) -> None:
        if batch != 2:  # 90 s into the pass: a 60 s lease renewed only between batches is dead
            return
        try:
            other.resume(account_id, queued.id)
        except OperationConflictError as refused:
            outcomes.append(refused)
        outcomes.append(other.cancel(account_id, queued.id))

    engine.between = from_elsewhere
    done = runner.execute(account_id, queued.id)

    refused, cancel_asked = outcomes
    assert isinstance(refused, OperationConflictError)
    assert "being run by another worker" in str(refused)
    assert cancel_asked.status is OperationStatus.RUNNING  # asked to stop, not closed under it
    assert cancel_asked.cancel_requested
    assert done.status is OperationStatus.CANCELLED
    assert done.counts["read"] == 2  # the engine stopped after the batch the cancel came in


def test_a_lease_taken_over_during_the_pass_stops_it_and_records_nothing(
    env: OperationEnv, clock: FrozenClock, engine: SlowEngine, account_id: int, leads: None
) -> None:
    runner = _runner(env, engine, "worker-1")
    queued = runner.start(account_id, PULL)
    leases = LeaseRepository(env.database, clock)
    key = operation_lease_key(account_id, PULL)

    def worker_1_stalls(batch: int) -> None:
        if batch == 1:  # worker 1 hangs past its lease; worker 2 takes the operation over
            clock.advance(TTL * 2)
            assert leases.acquire(key, "worker-2", TTL) is not None

    engine.between = worker_1_stalls
    with pytest.raises(LeaseLostError, match="taken over"):
        runner.execute(account_id, queued.id)

    after = runner.status(account_id, queued.id)
    with env.database.read() as session:
        stored = list_contacts(session, account_id)
    assert len(stored) == 1  # the engine stopped at its first check after the takeover
    assert after.status is OperationStatus.RUNNING
    assert after.cursor == {"step": "read"}  # the read step was not recorded as done
    # The one batch the engine committed (with its own read cursor) before the takeover counts;
    # worker 2 resumes the read after it and adds only what it reads.
    assert after.progress_done == 1
    current = leases.current(key)
    assert current is not None
    assert current.holder == "worker-2"


def _heartbeat(database: Database, clock: FrozenClock, key: str) -> OperationHeartbeat:
    leases = LeaseRepository(database, clock)
    lease = leases.acquire(key, "worker-1", TTL)
    assert lease is not None
    return OperationHeartbeat(leases, lease, TTL)


def test_a_heartbeat_renews_only_once_a_third_of_the_lease_has_passed(
    database: Database, clock: FrozenClock, account_id: int
) -> None:
    heartbeat = _heartbeat(database, clock, f"test:{account_id}:beat")
    first_expiry = heartbeat.lease.expires_at

    clock.advance(TTL / 3 - timedelta(seconds=1))
    assert heartbeat.beat() is True
    assert heartbeat.lease.expires_at == first_expiry  # not due yet: no write
    clock.advance(timedelta(seconds=1))
    assert heartbeat.beat() is True

    assert heartbeat.lease.expires_at == clock.now() + TTL
    assert heartbeat.lost is False


def test_a_heartbeat_whose_lease_was_taken_over_says_stop_and_refuses_to_renew(
    database: Database, clock: FrozenClock, account_id: int
) -> None:
    key = f"test:{account_id}:lost"
    heartbeat = _heartbeat(database, clock, key)
    clock.advance(TTL * 2)
    assert LeaseRepository(database, clock).acquire(key, "worker-2", TTL) is not None

    assert heartbeat.beat() is False
    assert heartbeat.lost is True
    assert heartbeat.beat() is False  # stays lost; no second renewal attempt
    with pytest.raises(LeaseLostError, match="another worker took this operation over"):
        heartbeat.renew()


def test_a_heartbeat_needs_a_positive_ttl(
    database: Database, clock: FrozenClock, account_id: int
) -> None:
    leases = LeaseRepository(database, clock)
    lease = leases.acquire(f"test:{account_id}:ttl", "worker-1", TTL)
    assert lease is not None

    with pytest.raises(ValueError, match="lease ttl must be positive"):
        OperationHeartbeat(leases, lease, timedelta(0))
