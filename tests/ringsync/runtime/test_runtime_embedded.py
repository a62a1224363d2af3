"""The embedded runner: debounce, per-account serialization, retries, polling, stop."""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import update

from ringsync.errors import ConfigError
from ringsync.runtime.embedded import EmbeddedRunner
from ringsync.runtime.lease_table import leases
from ringsync.runtime.leases import LeaseRepository, account_lease_key
from ringsync.runtime.runner import Runner, RunnerStoppedError
from ringsync.runtime.tasks import TaskContext, create_registry
from ringsync.settings import Settings
from ringsync.store.db import Database


@dataclass
class Journal:
    """What the fake tasks did, in order, safe across threads."""

    runs: list[tuple[str, int | None, float, float, dict[str, Any]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def record(self, task: str, account: int | None, start: float, kwargs: dict[str, Any]) -> None:
        with self.changed:
            self.runs.append((task, account, start, time.monotonic(), kwargs))
            self.changed.notify_all()

    def wait_for(self, count: int, timeout: float = 10) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: len(self.runs) >= count, timeout), self.runs


def recording(journal: Journal, seconds: float = 0.0) -> Callable[..., object]:
    def task(ctx: TaskContext, /, **kwargs: Any) -> object:
        start = time.monotonic()
        time.sleep(seconds)
        journal.record(ctx.task, kwargs.get("account_id"), start, kwargs)
        return None

    return task


def wait_idle(runner: EmbeddedRunner, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not runner.idle():
        assert time.monotonic() < deadline, "runner never became idle"
        time.sleep(0.01)


@pytest.fixture
def make_runner(sqlite_db: Database) -> Iterator[Callable[..., EmbeddedRunner]]:
    runners: list[EmbeddedRunner] = []

    def make(handlers: dict[str, Any], **options: Any) -> EmbeddedRunner:
        options.setdefault("database", sqlite_db)
        runner = EmbeddedRunner(
            settings=Settings(),
            registry=create_registry(handlers, due_accounts=options.pop("due_accounts", None)),
            due_accounts=options.pop("runner_due_accounts", None),
            **options,
        )
        runners.append(runner)
        runner.start()
        return runner

    yield make
    for runner in runners:
        runner.stop(timeout=10)


def test_the_embedded_runner_is_a_runner(make_runner: Callable[..., EmbeddedRunner]) -> None:
    assert isinstance(make_runner({}), Runner)


def test_a_burst_of_wakes_becomes_one_run(make_runner: Callable[..., EmbeddedRunner]) -> None:
    journal = Journal()
    runner = make_runner({"sync_outbound": recording(journal)}, debounce_seconds=0.3)

    for _ in range(25):
        runner.wake(7)
    journal.wait_for(1)
    wait_idle(runner)
    assert [(task, account) for task, account, *_ in journal.runs] == [("sync_outbound", 7)]

    for _ in range(25):  # a later burst gets its own single run
        runner.wake(7)
    journal.wait_for(2)
    wait_idle(runner)
    assert len(journal.runs) == 2


def test_jobs_of_one_account_never_overlap(make_runner: Callable[..., EmbeddedRunner]) -> None:
    journal = Journal()
    runner = make_runner({"sync_inbound": recording(journal, 0.02)}, workers=4)

    for n in range(6):
        for account in (1, 2):
            runner.submit("sync_inbound", account_id=account, n=n)
    journal.wait_for(12)
    wait_idle(runner)

    for account in (1, 2):
        spans = sorted((s, e) for _, a, s, e, _ in journal.runs if a == account)
        assert len(spans) == 6
        assert all(prev[1] <= nxt[0] for prev, nxt in itertools.pairwise(spans))


def test_two_runners_on_one_database_serialize_an_account_by_lease(
    make_runner: Callable[..., EmbeddedRunner],
) -> None:
    journal = Journal()
    handlers = {"sync_inbound": recording(journal, 0.03)}
    first = make_runner(handlers, workers=2, busy_retry_seconds=0.02, busy_attempts=500)
    second = make_runner(handlers, workers=2, busy_retry_seconds=0.02, busy_attempts=500)

    for n in range(5):
        first.submit("sync_inbound", account_id=9, n=n, runner="first")
        second.submit("sync_inbound", account_id=9, n=n, runner="second")
    journal.wait_for(10, timeout=20)

    spans = sorted((s, e) for _, _, s, e, _ in journal.runs)
    assert len(spans) == 10  # nothing lost: busy jobs were retried
    assert all(prev[1] <= nxt[0] for prev, nxt in itertools.pairwise(spans))


def test_identical_waiting_jobs_coalesce(make_runner: Callable[..., EmbeddedRunner]) -> None:
    journal = Journal()
    gate = threading.Event()
    started = threading.Event()

    def blocking(ctx: TaskContext, /, **kwargs: Any) -> object:
        started.set()
        gate.wait(10)
        return recording(journal)(ctx, **kwargs)

    runner = make_runner({"sync_inbound": blocking})
    first_id = runner.submit("sync_inbound", account_id=3)
    assert started.wait(5)  # the first job runs and blocks; the next ones wait
    waiting_ids = {runner.submit("sync_inbound", account_id=3) for _ in range(5)}
    gate.set()
    journal.wait_for(2)
    wait_idle(runner)

    assert len(journal.runs) == 2
    assert len(waiting_ids) == 1
    assert first_id not in waiting_ids


def test_stop_lets_the_running_task_finish_and_releases_its_lease(
    make_runner: Callable[..., EmbeddedRunner], sqlite_db: Database
) -> None:
    started = threading.Event()
    seen: dict[str, object] = {}

    def long_task(ctx: TaskContext, /, **kwargs: Any) -> object:
        started.set()
        batches = 0
        while not ctx.should_stop():
            batches += 1
            time.sleep(0.01)
        seen["lease_held_at_stop"] = ctx.lease is not None and not ctx.lease_lost
        seen["batches"] = batches
        return None

    runner = make_runner({"sync_inbound": long_task})
    runner.submit("sync_inbound", account_id=11)
    assert started.wait(5)

    assert runner.stop(timeout=10) is True
    assert seen["lease_held_at_stop"] is True
    assert isinstance(seen["batches"], int)
    assert LeaseRepository(sqlite_db).current(account_lease_key(11)) is None
    with pytest.raises(RunnerStoppedError, match="stopping"):
        runner.submit("sync_inbound", account_id=11)
    with pytest.raises(RunnerStoppedError, match="wake refused"):
        runner.wake(11)


def test_unknown_tasks_and_bad_arguments_are_refused(
    make_runner: Callable[..., EmbeddedRunner],
) -> None:
    runner = make_runner({"sync_inbound": recording(Journal())})
    with pytest.raises(ConfigError, match="unknown task 'nope'; registered tasks: poll_schedule"):
        runner.submit("nope", account_id=1)
    with pytest.raises(ConfigError, match="must be JSON values"):
        runner.submit("sync_inbound", account_id=1, when=object())
    with pytest.raises(ConfigError, match="account_id must be an integer"):
        runner.submit("sync_inbound", account_id="1")


def test_a_failing_task_is_logged_and_the_account_keeps_working(
    make_runner: Callable[..., EmbeddedRunner],
    sqlite_db: Database,
    caplog: pytest.LogCaptureFixture,
) -> None:
    journal = Journal()

    def flaky(ctx: TaskContext, /, **kwargs: Any) -> object:
        if kwargs.get("fail"):
            raise RuntimeError("boom in the engine")
        return recording(journal)(ctx, **kwargs)

    runner = make_runner({"sync_inbound": flaky})
    with caplog.at_level(logging.ERROR, logger="ringsync.runtime.embedded"):
        runner.submit("sync_inbound", account_id=4, fail=True)
        runner.submit("sync_inbound", account_id=4)
        journal.wait_for(1)
        wait_idle(runner)

    assert "task sync_inbound (job" in caplog.text
    assert "failed" in caplog.text
    assert LeaseRepository(sqlite_db).current(account_lease_key(4)) is None


def test_polling_submits_sync_inbound_for_due_accounts(
    make_runner: Callable[..., EmbeddedRunner],
) -> None:
    journal = Journal()
    calls: list[int] = []

    def due(now: Any) -> list[int]:
        calls.append(1)
        return [21, 22] if len(calls) == 1 else []

    make_runner(
        {"sync_inbound": recording(journal)},
        runner_due_accounts=due,
        poll_every_seconds=0.05,
    )
    journal.wait_for(2)
    assert sorted(account for _, account, *_ in journal.runs) == [21, 22]


def test_polling_also_sweeps_outboxes_whose_wake_up_was_lost(
    make_runner: Callable[..., EmbeddedRunner],
) -> None:
    journal = Journal()
    swept: list[int] = []

    def outbox_due(now: Any) -> list[int]:
        swept.append(1)
        return [31] if len(swept) == 1 else []

    make_runner(
        {"sync_outbound": recording(journal), "sync_inbound": recording(journal)},
        runner_due_accounts=lambda _now: [],
        outbox_due=outbox_due,
        poll_every_seconds=0.05,
    )
    journal.wait_for(1)
    assert [(task, account) for task, account, *_ in journal.runs] == [("sync_outbound", 31)]


def test_a_task_sees_a_lost_lease_through_should_stop(
    make_runner: Callable[..., EmbeddedRunner], sqlite_db: Database
) -> None:
    started = threading.Event()
    outcome: dict[str, bool] = {}

    def task(ctx: TaskContext, /, **kwargs: Any) -> object:
        started.set()
        deadline = time.monotonic() + 10
        while not ctx.should_stop() and time.monotonic() < deadline:
            time.sleep(0.01)
        outcome["lost"] = ctx.lease_lost
        return None

    runner = make_runner({"sync_inbound": task}, lease_ttl_seconds=0.4)
    runner.submit("sync_inbound", account_id=12)
    assert started.wait(5)
    with sqlite_db.write() as session:  # a rival takes the lease over behind the task's back
        taken = session.execute(
            update(leases)
            .where(leases.c.key == account_lease_key(12))
            .values(token=leases.c.token + 1, holder="rival")
        )
    assert taken.rowcount == 1
    wait_idle(runner)

    assert outcome == {"lost": True}
    current = LeaseRepository(sqlite_db).current(account_lease_key(12))
    assert current is not None
    assert current.holder == "rival"  # the loser did not release the rival's lease
