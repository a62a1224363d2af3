"""The operation runner: progress, cancellation, crash and resume, one run per kind at a time."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from ringsync.clock import FrozenClock
from ringsync.domain.accounts import create_account
from ringsync.domain.users import create_user
from ringsync.errors import NotFoundError
from ringsync.operations.handler import Batch, OperationEnv
from ringsync.operations.model import (
    Operation,
    OperationConflictError,
    OperationKind,
    OperationRefusedError,
    OperationStateError,
    OperationStatus,
    PlannedItem,
    Preview,
)
from ringsync.operations.runner import OperationRunner, create_runner, operation_lease_key
from ringsync.operations.users_sync import UsersSyncHandler, current_mappings
from ringsync.runtime.leases import LeaseRepository
from ringsync.store.db import Database

SYNC = OperationKind.SYNC_USERS
AddSfUser = Callable[..., str]
EMAILS = [f"agent{n}@example.com" for n in range(7)]


class SimulatedCrash(BaseException):
    """Stands for the process dying: nothing catches it, no status is written."""


class CrashingUsersSync(UsersSyncHandler):
    """The real users sync, which raises inside the ``crash_at``-th batch's transaction."""

    def __init__(self, crash_at: int, error: BaseException) -> None:
        self.crash_at = crash_at
        self.error = error
        self.applied = 0

    def apply(
        self, session: Session, env: OperationEnv, operation: Operation, batch: Batch
    ) -> Sequence[PlannedItem]:
        items = super().apply(session, env, operation, batch)
        self.applied += 1
        if self.applied == self.crash_at:
            raise self.error  # after the writes: the transaction must roll all of them back
        return items


def _seed(database: Database, clock: FrozenClock, account_id: int) -> None:
    with database.write() as session:
        for n, email in enumerate(EMAILS):
            status = "suspended" if n == 5 else "active"
            create_user(session, account_id, email=email, status=status, clock=clock)


@pytest.fixture
def seeded(database: Database, clock: FrozenClock, account_id: int, add_sf_user: AddSfUser) -> int:
    for email in EMAILS[:6]:
        add_sf_user(email.upper())
    _seed(database, clock, account_id)
    return account_id


def _twin(database: Database, clock: FrozenClock) -> int:
    with database.write() as session:
        twin = create_account(session, "Twin account", clock=clock).id
    _seed(database, clock, twin)
    return twin


def _by_email(database: Database, account_id: int) -> dict[str, str]:
    with database.read() as session:
        users = {u.id: u.email for u in _users(session, account_id)}
        return {users[k]: v for k, v in current_mappings(session, account_id).items()}


def _users(session: Session, account_id: int) -> list[Any]:
    from ringsync.store.repositories import users

    return users.list_all(session, account_id)


def test_progress_is_reported_after_every_batch(runner: OperationRunner, seeded: int) -> None:
    seen: list[tuple[int, int | None]] = []

    done = runner.run(
        seeded,
        SYNC,
        {"batch_size": 2},
        on_progress=lambda op: seen.append((op.progress_done, op.progress_total)),
    )

    assert done.status is OperationStatus.SUCCEEDED
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert len(seen) == 5  # 4 match batches of 2 users (7 users), then the owners batch
    assert all(total is not None and total >= d for d, total in seen)
    assert done.progress_done == done.progress_total == seen[-1][0]
    assert done.cursor == {"phase": "done"}


def test_a_failure_marks_the_operation_failed_and_resume_finishes_it_like_a_clean_run(
    env: OperationEnv, database: Database, clock: FrozenClock, seeded: int
) -> None:
    crashing = CrashingUsersSync(3, RuntimeError("boom in batch 3"))
    runner = create_runner(env, handlers={SYNC: crashing})

    failed = runner.run(seeded, SYNC, {"batch_size": 2})

    assert failed.status is OperationStatus.FAILED
    assert failed.errors == ("RuntimeError: boom in batch 3",)
    assert failed.cursor == {"phase": "match", "after": failed.cursor["after"]}
    assert failed.progress_done == 4  # two committed batches; the third rolled back
    assert len(_by_email(database, seeded)) == 4
    crashing.crash_at = 0  # the fault is gone

    resumed = runner.resume(seeded, failed.id)

    twin = _twin(database, clock)
    clean = create_runner(env).run(twin, SYNC, {"batch_size": 2})
    assert resumed.status is OperationStatus.SUCCEEDED
    assert resumed.attempts == 2
    assert resumed.counts == clean.counts
    assert _by_email(database, seeded) == _by_email(database, twin)
    assert len(_by_email(database, seeded)) == 5


def test_a_hard_crash_leaves_it_running_blocks_a_second_start_and_resumes_from_the_cursor(
    env: OperationEnv, database: Database, clock: FrozenClock, seeded: int
) -> None:
    crashing = CrashingUsersSync(2, SimulatedCrash())
    runner = create_runner(env, handlers={SYNC: crashing})
    with pytest.raises(SimulatedCrash):
        runner.run(seeded, SYNC, {"batch_size": 3})
    stuck = runner.latest(seeded, SYNC)
    assert stuck is not None
    assert stuck.status is OperationStatus.RUNNING
    assert stuck.progress_done == 3

    with pytest.raises(OperationConflictError, match=rf"operation \(#{stuck.id}\) is already"):
        runner.start(seeded, SYNC, {"batch_size": 3})

    crashing.crash_at = 0
    resumed = runner.resume(seeded, stuck.id)
    twin = _twin(database, clock)
    clean = create_runner(env).run(twin, SYNC, {"batch_size": 3})
    assert resumed.status is OperationStatus.SUCCEEDED
    assert resumed.counts == clean.counts
    assert _by_email(database, seeded) == _by_email(database, twin)


def test_resume_is_refused_while_another_worker_holds_the_operation(
    env: OperationEnv, runner: OperationRunner, seeded: int, clock: FrozenClock
) -> None:
    queued = runner.start(seeded, SYNC)
    leases = LeaseRepository(env.database, clock)
    other = leases.acquire(operation_lease_key(seeded, SYNC), "worker-2", timedelta(minutes=1))
    assert other is not None

    with pytest.raises(OperationConflictError, match="being run by another worker"):
        runner.execute(seeded, queued.id)

    clock.advance(timedelta(minutes=2))  # the other worker died; its lease ran out
    assert runner.resume(seeded, queued.id).status is OperationStatus.SUCCEEDED


def test_cancel_stops_before_the_next_batch(
    runner: OperationRunner, database: Database, seeded: int
) -> None:
    def cancel_after_first(op: Operation) -> None:
        if op.progress_done == 2:
            runner.cancel(seeded, op.id)

    done = runner.run(seeded, SYNC, {"batch_size": 2}, on_progress=cancel_after_first)

    assert done.status is OperationStatus.CANCELLED
    assert done.progress_done == 2
    assert len(_by_email(database, seeded)) == 2  # what the first batch did stays done
    with pytest.raises(OperationStateError, match="already cancelled"):
        runner.cancel(seeded, done.id)
    with pytest.raises(OperationStateError, match="is cancelled; it cannot be run again"):
        runner.resume(seeded, done.id)


def test_cancel_of_a_queued_operation_is_immediate(runner: OperationRunner, seeded: int) -> None:
    queued = runner.start(seeded, SYNC)

    cancelled = runner.cancel(seeded, queued.id)

    assert cancelled.status is OperationStatus.CANCELLED
    assert runner.start(seeded, SYNC).status is OperationStatus.QUEUED  # the slot is free


def test_a_kind_never_runs_twice_at_once_for_one_account(
    runner: OperationRunner, database: Database, clock: FrozenClock, seeded: int
) -> None:
    first = runner.start(seeded, SYNC)

    with pytest.raises(OperationConflictError) as refused:
        runner.start(seeded, SYNC)

    assert f"#{first.id}" in str(refused.value)
    assert "already queued" in str(refused.value)
    other_kind = runner.start(seeded, OperationKind.PULL_LEAD_STATUSES)
    assert other_kind.status is OperationStatus.QUEUED
    other_account = _twin(database, clock)
    assert runner.start(other_account, SYNC).status is OperationStatus.QUEUED
    assert runner.execute(seeded, first.id).status is OperationStatus.SUCCEEDED
    assert runner.start(seeded, SYNC).status is OperationStatus.QUEUED


def test_a_finished_operation_cannot_be_run_again(runner: OperationRunner, seeded: int) -> None:
    done = runner.run(seeded, SYNC)

    with pytest.raises(OperationStateError, match="is succeeded"):
        runner.execute(seeded, done.id)


def test_unknown_operations_and_accounts_give_clear_errors(
    runner: OperationRunner, account_id: int
) -> None:
    with pytest.raises(NotFoundError, match="operation 999999 does not exist"):
        runner.status(account_id, 999_999)
    with pytest.raises(NotFoundError, match="account 999999 does not exist"):
        runner.start(999_999, SYNC)


def test_kinds_without_a_handler_are_refused_with_the_reason(
    env: OperationEnv, account_id: int
) -> None:
    runner = create_runner(env, handlers={})

    with pytest.raises(OperationRefusedError, match="import_list operation is not available"):
        runner.start(account_id, OperationKind.IMPORT_LIST)
    assert runner.latest(account_id) is None


class _Counting:
    """A minimal handler over plain numbers, to pin the loop's contract without Salesforce."""

    kind = OperationKind.PUSH_ONE

    def __init__(self, total: int) -> None:
        self.total = total
        self.fetched: list[Any] = []

    def check(self, session: Session, account_id: int, params: Mapping[str, Any]) -> None:
        del session, account_id, params

    def preview(self, env: OperationEnv, account_id: int, params: Mapping[str, Any]) -> Preview:
        items = tuple(PlannedItem("touched", str(n), str(n)) for n in range(self.total))
        return Preview(self.kind, account_id, items, api_calls=0)

    def fetch(self, env: OperationEnv, operation: Operation) -> Batch | None:
        start = int(operation.cursor or 0)
        self.fetched.append(operation.cursor)
        if start >= self.total:
            return None
        return Batch(list(range(start, min(start + 2, self.total))), start + 2, total=self.total)

    def apply(
        self, session: Session, env: OperationEnv, operation: Operation, batch: Batch
    ) -> Sequence[PlannedItem]:
        return [PlannedItem("touched", str(n), str(n)) for n in batch.payload]


def test_the_loop_ends_when_fetch_has_nothing_left(env: OperationEnv, account_id: int) -> None:
    handler = _Counting(5)
    runner = create_runner(env, handlers={OperationKind.PUSH_ONE: handler})

    preview = runner.preview(account_id, OperationKind.PUSH_ONE)
    done = runner.run(account_id, OperationKind.PUSH_ONE)

    assert done.errors == ()
    assert handler.fetched == [None, 2, 4, 6]
    assert done.counts == preview.counts == {"touched": 5}
    assert (done.progress_done, done.progress_total) == (5, 5)


def test_two_simultaneous_starts_leave_exactly_one_operation(
    env: OperationEnv, database: Database, clock: FrozenClock, account_id: int
) -> None:
    from ringsync.operations import store

    runner = create_runner(env)
    outcome: list[BaseException | Operation] = []

    def start_second() -> None:
        try:
            outcome.append(runner.start(account_id, SYNC))
        except OperationConflictError as exc:
            outcome.append(exc)

    with database.write() as session:
        first = store.add(session, account_id, SYNC, {}, None, clock.now())
        second = threading.Thread(target=start_second)
        second.start()  # its insert waits for this transaction to end
    second.join(timeout=30)

    assert len(outcome) == 1
    assert isinstance(outcome[0], OperationConflictError)
    assert f"#{first.id}" in str(outcome[0])
    assert runner.latest(account_id, SYNC) == runner.status(account_id, first.id)
