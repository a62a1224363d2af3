"""The Celery app factory and CeleryRunner, without a broker: config, ids, task bodies."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ringsync.clock import FrozenClock
from ringsync.errors import ConfigError, UnavailableError
from ringsync.runtime.celery_app import create_celery_app
from ringsync.runtime.celery_runner import CeleryRunner
from ringsync.runtime.leases import LeaseRepository, account_lease_key
from ringsync.runtime.runner import Runner
from ringsync.runtime.tasks import (
    TaskContext,
    create_registry,
    idempotent_job_id,
    poll_schedule_task,
)
from ringsync.settings import Settings
from ringsync.store.db import Database

SETTINGS = Settings(broker_url="redis://127.0.0.1:6379/9", database_url="sqlite://")


class FakeApp:
    """Record what would be sent to the broker."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send_task(self, name: str, **options: Any) -> None:
        self.sent.append({"name": name, **options})


def noop(ctx: TaskContext, /, **kwargs: Any) -> object:
    return None


def test_the_app_is_configured_for_at_least_once_delivery() -> None:
    app = create_celery_app(
        SETTINGS,
        registry=create_registry({"sync_inbound": noop}),
        key_prefix="tenant-a:",
        visibility_timeout_seconds=900,
        poll_every_seconds=45,
    )
    conf = app.conf

    assert conf.broker_url == "redis://127.0.0.1:6379/9"
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_serializer == "json"
    assert conf.accept_content == ["json"]
    assert conf.broker_transport_options == {
        "visibility_timeout": 900,
        "global_keyprefix": "tenant-a:",
    }
    assert conf.beat_schedule["ringsync-poll-schedule"]["task"] == "ringsync.poll_schedule"
    assert conf.beat_schedule["ringsync-poll-schedule"]["schedule"] == 45
    assert {"ringsync.poll_schedule", "ringsync.sync_inbound"} <= set(app.tasks)
    task = app.tasks["ringsync.sync_inbound"]
    assert task.acks_late is True
    assert task.reject_on_worker_lost is True


def test_an_amqp_broker_works_by_configuration() -> None:
    settings = Settings(broker_url="amqp://guest@127.0.0.1:5672//")
    app = create_celery_app(settings)
    assert app.conf.broker_url == "amqp://guest@127.0.0.1:5672//"
    assert app.conf.task_acks_late is True


def test_the_celery_runner_sends_one_message_per_id_and_debounces_wakes() -> None:
    fake = FakeApp()
    clock = FrozenClock(datetime(2026, 3, 1, 12, 0, 0, 100_000, tzinfo=UTC))
    runner = CeleryRunner(
        fake, registry=create_registry({"sync_inbound": noop, "sync_outbound": noop}), clock=clock
    )

    first = runner.submit("sync_inbound", account_id=5)
    again = runner.submit("sync_inbound", account_id=5)
    other = runner.submit("sync_inbound", account_id=6)
    clock.advance(1)
    later = runner.submit("sync_inbound", account_id=5)
    for _ in range(10):
        runner.wake(5)

    assert isinstance(runner, Runner)
    assert first == again
    assert len({first, other, later}) == 3
    assert [m["task_id"] for m in fake.sent[:3]] == [first, other, later]
    assert fake.sent[0]["name"] == "ringsync.sync_inbound"
    assert fake.sent[0]["kwargs"] == {"account_id": 5}
    wakes = [m for m in fake.sent if m["name"] == "ringsync.sync_outbound"]
    assert len(wakes) == 1
    assert wakes[0]["countdown"] == 0.5
    assert runner.stop(timeout=1) is True


def test_the_celery_runner_refuses_unknown_tasks_and_bad_arguments() -> None:
    runner = CeleryRunner(FakeApp(), registry=create_registry())
    with pytest.raises(ConfigError, match="unknown task 'sync_inbound'"):
        runner.submit("sync_inbound", account_id=1)
    with pytest.raises(ConfigError, match="must be JSON values"):
        runner.submit("poll_schedule", at=datetime.now(UTC))


@given(
    seconds=st.floats(min_value=0, max_value=1e9, allow_nan=False),
    bucket=st.sampled_from([0.5, 1.0, 30.0]),
    account=st.integers(min_value=1, max_value=10**9),
)
def test_job_ids_repeat_within_a_bucket_and_change_across(
    seconds: float, bucket: float, account: int
) -> None:
    base = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)
    start = datetime.fromtimestamp((base.timestamp() // bucket) * bucket, UTC)
    kwargs = {"account_id": account}

    same = idempotent_job_id("sync_inbound", kwargs, start, bucket)
    assert (
        idempotent_job_id("sync_inbound", kwargs, start + timedelta(seconds=bucket / 2), bucket)
        == same
    )
    assert (
        idempotent_job_id("sync_inbound", kwargs, start + timedelta(seconds=bucket), bucket) != same
    )
    assert idempotent_job_id("sync_outbound", kwargs, start, bucket) != same
    assert idempotent_job_id("sync_inbound", {**kwargs, "n": 1}, start, bucket) != same
    assert same.startswith(f"sync_inbound:{account}:")


def test_a_worker_task_runs_under_the_lease_and_exits_quietly_when_busy(
    sqlite_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[int] = []

    def record(ctx: TaskContext, /, **kwargs: Any) -> object:
        assert ctx.lease is not None
        calls.append(kwargs["account_id"])
        return None

    app = create_celery_app(
        SETTINGS, registry=create_registry({"sync_inbound": record}), database=sqlite_db
    )
    task = app.tasks["ringsync.sync_inbound"]

    task.apply(kwargs={"account_id": 1}, task_id="job-1").get()
    assert calls == [1]
    assert LeaseRepository(sqlite_db).current(account_lease_key(1)) is None

    held = LeaseRepository(sqlite_db).acquire(account_lease_key(1), "elsewhere", ttl=60)
    assert held is not None
    with caplog.at_level(logging.INFO, logger="ringsync.runtime"):
        task.apply(kwargs={"account_id": 1}, task_id="job-2").get()
    assert calls == [1]
    assert "account busy elsewhere" in caplog.text
    assert "account 1 is busy elsewhere" in caplog.text


def test_a_transient_error_is_retried_then_reported(sqlite_db: Database) -> None:
    attempts: list[int] = []

    def flaky(ctx: TaskContext, /, **kwargs: Any) -> object:
        attempts.append(1)
        raise UnavailableError("Salesforce answered 503", status=503)

    app = create_celery_app(
        SETTINGS, registry=create_registry({"sync_outbound": flaky}), database=sqlite_db
    )
    result = app.tasks["ringsync.sync_outbound"].apply(kwargs={"account_id": 2}, task_id="j")

    assert len(attempts) == 6  # the first try and five retries
    with pytest.raises(UnavailableError, match="503"):
        result.get()
    assert LeaseRepository(sqlite_db).current(account_lease_key(2)) is None


def test_poll_schedule_submits_sync_inbound_for_each_due_account(sqlite_db: Database) -> None:
    submitted: list[tuple[str, dict[str, Any]]] = []
    clock = FrozenClock()
    asked: list[datetime] = []

    def submit(task: str, /, **kwargs: Any) -> str:
        submitted.append((task, kwargs))
        return f"id-{len(submitted)}"

    def due(now: datetime) -> list[int]:
        asked.append(now)
        return [3, 4]

    ctx = TaskContext(
        task="poll_schedule",
        job_id="p",
        settings=SETTINGS,
        database=sqlite_db,
        clock=clock,
        stop_event=threading.Event(),
        submit=submit,
    )
    result = poll_schedule_task(due)(ctx)

    assert result == ["id-1", "id-2"]
    assert submitted == [("sync_inbound", {"account_id": 3}), ("sync_inbound", {"account_id": 4})]
    assert asked == [clock.now()]
    ctx.stop_event.set()
    assert poll_schedule_task(due)(ctx) == []
