"""The pull's LRN step: each batch is one keyset query whose cost does not grow with the total."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import event

from ringsync.clock import FrozenClock
from ringsync.domain.accounts import create_account
from ringsync.operations.handler import Batch, OperationEnv
from ringsync.operations.lrn import FakeLrnProvider, LrnResult
from ringsync.operations.model import Operation, OperationKind, OperationStatus
from ringsync.operations.pull import LRN_LOOKUPS, PullHandler
from ringsync.operations.runner import create_runner
from ringsync.store.db import Database

PULL = OperationKind.PULL_CONTACTS
LRN_BATCH = 2


def _add_leads(org: Any, first: int, count: int) -> None:
    for n in range(first, first + count):
        org.create("Lead", {"LastName": f"Lead {n}", "Company": "Acme", "Phone": f"415555{n:04d}"})


def _new_account(database: Database, clock: FrozenClock, name: str) -> int:
    with database.write() as session:
        return create_account(session, name, clock=clock).id


@dataclass
class BatchCost:
    """What one LRN batch cost the database: its statements and the rows they read."""

    statements: int
    rows: int


@contextmanager
def _recording(database: Database) -> Iterator[list[tuple[str, Any]]]:
    """Record every statement (with its parameters) the database runs inside the block."""
    seen: list[tuple[str, Any]] = []

    def record(*args: Any) -> None:
        _conn, _cursor, statement, parameters = args[:4]
        seen.append((statement, parameters))

    event.listen(database.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(database.engine, "before_cursor_execute", record)


def _rows_read(database: Database, statements: list[tuple[str, Any]]) -> int:
    """Run the recorded SELECTs again and count the rows they return."""
    rows = 0
    with database.engine.connect() as conn:
        for statement, parameters in statements:
            if statement.lstrip().upper().startswith("SELECT"):
                rows += len(conn.exec_driver_sql(statement, parameters).fetchall())
    return rows


class MeteredPull(PullHandler):
    """The real pull, which records what each batch of its LRN step costs the database."""

    def __init__(self, database: Database) -> None:
        super().__init__(lrn_batch=LRN_BATCH)
        self.database = database
        self.costs: list[BatchCost] = []

    def fetch(self, env: OperationEnv, operation: Operation) -> Batch | None:
        if (operation.cursor or {}).get("step") != "lrn":
            return super().fetch(env, operation)
        with _recording(self.database) as seen:
            batch = super().fetch(env, operation)
        selects = [s for s in seen if s[0].lstrip().upper().startswith("SELECT")]
        self.costs.append(BatchCost(len(selects), _rows_read(self.database, selects)))
        return batch


def _metered_pull(env: OperationEnv, account_id: int) -> tuple[Operation, list[BatchCost]]:
    handler = MeteredPull(env.database)
    done = create_runner(env, handlers={PULL: handler}).run(account_id, PULL)
    assert done.status is OperationStatus.SUCCEEDED, done.errors
    return done, handler.costs


def test_each_lrn_batch_costs_the_same_whatever_the_number_of_new_numbers(
    env: OperationEnv, database: Database, clock: FrozenClock, sf_org: Any
) -> None:
    _add_leads(sf_org, 0, 4)
    clock.advance(60)
    small, small_costs = _metered_pull(env, _new_account(database, clock, "Small"))
    _add_leads(sf_org, 4, 16)
    clock.advance(60)
    large, large_costs = _metered_pull(env, _new_account(database, clock, "Large"))

    assert (small.counts[LRN_LOOKUPS], large.counts[LRN_LOOKUPS]) == (4, 20)
    assert (len(small_costs), len(large_costs)) == (2, 10)
    # One keyset query a batch, reading at most one row beyond the batch (is there more?).
    assert {c.statements for c in small_costs + large_costs} == {1}
    assert max(c.rows for c in large_costs) == max(c.rows for c in small_costs) == LRN_BATCH + 1
    assert large_costs[-1].rows == LRN_BATCH  # the last batch finds nothing beyond it


def test_the_lrn_step_looks_up_only_numbers_this_pull_created_in_phone_order(
    env: OperationEnv, database: Database, clock: FrozenClock, sf_org: Any, lrn: FakeLrnProvider
) -> None:
    _add_leads(sf_org, 0, 3)
    clock.advance(60)
    account_id = _new_account(database, clock, "Repeat")
    runner = create_runner(env, handlers={PULL: PullHandler(lrn_batch=LRN_BATCH)})
    first = runner.run(account_id, PULL)
    _add_leads(sf_org, 3, 3)
    clock.advance(60)

    second = runner.run(account_id, PULL)

    assert (first.counts[LRN_LOOKUPS], second.counts[LRN_LOOKUPS]) == (3, 3)
    assert lrn.calls == [f"+1415555{n:04d}" for n in range(6)]


@dataclass
class FailsOnce:
    """An LRN provider whose service drops once, at the ``fail_at``-th lookup."""

    fail_at: int
    inner: FakeLrnProvider = field(default_factory=FakeLrnProvider)
    failed: bool = False

    def lookup(self, e164: str) -> LrnResult:
        if not self.failed and self.inner.call_count + 1 == self.fail_at:
            self.failed = True
            raise ConnectionError("LRN service unavailable")
        return self.inner.lookup(e164)


def test_a_resumed_lrn_step_starts_after_the_last_committed_number(
    env: OperationEnv, database: Database, clock: FrozenClock, sf_org: Any
) -> None:
    _add_leads(sf_org, 0, 7)
    clock.advance(60)
    account_id = _new_account(database, clock, "Resumed")
    flaky = FailsOnce(fail_at=LRN_BATCH * 2 + 1)  # the first lookup of the third batch
    flaky_env = OperationEnv(env.database, env.salesforce, env.clock, flaky)
    runner = create_runner(flaky_env, handlers={PULL: PullHandler(lrn_batch=LRN_BATCH)})

    failed = runner.run(account_id, PULL)
    assert failed.status is OperationStatus.FAILED
    assert failed.errors == ("ConnectionError: LRN service unavailable",)
    assert failed.cursor == {"step": "lrn", "after": "+14155550003"}
    resumed = runner.resume(account_id, failed.id)

    assert resumed.status is OperationStatus.SUCCEEDED, resumed.errors
    assert flaky.inner.calls == [f"+1415555{n:04d}" for n in range(7)]  # each exactly once
    assert resumed.counts[LRN_LOOKUPS] == 7


def test_the_lrn_batch_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="lrn_batch must be at least 1"):
        PullHandler(lrn_batch=0)
