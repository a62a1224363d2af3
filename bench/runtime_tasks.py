"""Tasks the runner-overhead benchmark runs, in this process or on a Celery worker.

* ``bench_noop``: does nothing but report that it ran; what a runner costs by itself.
* ``bench_activity``: what an event costs the store: record one call for a contact (activity
  row, tracking stats, outbox row) in one transaction, then claim that account's pending
  outbox rows and settle them as sent, as the outbound engine does around its Salesforce call.

Each task ends by reporting ``time.monotonic()`` (CLOCK_MONOTONIC, shared by every process on
the host) through a ``Done`` hook: a queue in this process, a Redis list for a worker
(``celery_registry``, loaded with ``--registry bench.runtime_tasks:celery_registry``).
"""

from __future__ import annotations

import os
import queue
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ringsync.domain.activities import record_activity
from ringsync.domain.tracking import ActivityDirection, ActivityEvent, ActivityKind
from ringsync.runtime.tasks import TaskContext, TaskFunc, TaskRegistry, create_registry
from ringsync.store.repositories import outbox

NOOP = "bench_noop"
ACTIVITY = "bench_activity"
REDIS_URL_VARIABLE = "RINGSYNC_BENCH_REDIS_URL"
CLAIMER = "bench"

Done = Callable[[str, float], None]


def noop_task(done: Done) -> TaskFunc:
    """Build the task that only reports its end."""

    def bench_noop(ctx: TaskContext, /, **kwargs: Any) -> object:
        del ctx
        done(str(kwargs.get("done_key", "")), time.monotonic())
        return None

    return bench_noop


def activity_task(done: Done) -> TaskFunc:
    """Build the task that records a call and claims and settles the account's outbox."""

    def bench_activity(ctx: TaskContext, /, **kwargs: Any) -> object:
        account_id, contact_id = int(kwargs["account_id"]), int(kwargs["contact_id"])
        event = ActivityEvent(
            f"{ctx.job_id}:{kwargs.get('n', 0)}"[:128],
            ActivityKind.CALL,
            ActivityDirection.OUTBOUND,
            datetime.now(UTC),
            duration_seconds=30,
        )
        with ctx.database.write() as session:
            record_activity(session, account_id, contact_id, event, clock=ctx.clock)
        with ctx.database.write() as session:
            claimed = outbox.claim(session, account_id, CLAIMER, ctx.clock.now(), limit=200)
        with ctx.database.write() as session:
            outbox.settle(session, account_id, [row.id for row in claimed])
        done(str(kwargs.get("done_key", "")), time.monotonic())
        return len(claimed)

    return bench_activity


def build_registry(done: Done) -> TaskRegistry:
    """Return a registry serving both benchmark tasks with ``done`` as their end report."""
    return create_registry({NOOP: noop_task(done), ACTIVITY: activity_task(done)})


class LocalDone:
    """Collect end reports of tasks that run in this process."""

    def __init__(self) -> None:
        """Start with nothing reported."""
        self._ends: queue.SimpleQueue[float] = queue.SimpleQueue()

    def __call__(self, key: str, at: float) -> None:
        """Keep one task's end time."""
        del key
        self._ends.put(at)

    def wait(self, timeout: float) -> float:
        """Return the next reported end time; raise TimeoutError when none comes in time."""
        try:
            return self._ends.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"no task finished within {timeout:.0f} s") from None


class RedisDone:
    """Report task ends from a worker process to a Redis list the benchmark reads."""

    def __init__(self, url: str) -> None:
        """Connect lazily to ``url`` (a worker opens the connection on its first task)."""
        self._url = url
        self._client: Any = None

    def __call__(self, key: str, at: float) -> None:
        """Append one task's end time to the list ``key``."""
        if self._client is None:
            import redis

            self._client = redis.Redis.from_url(self._url)
        self._client.rpush(key, repr(at))


def celery_registry() -> TaskRegistry:
    """Serve the benchmark tasks on a worker, reporting ends to Redis (worker entry point)."""
    url = os.environ.get(REDIS_URL_VARIABLE, "redis://127.0.0.1:6379/0")
    return build_registry(RedisDone(url))


def remote_only(ctx: TaskContext, /, **kwargs: Any) -> object:
    """Refuse to run here: the submitting side only needs the task's name."""
    del ctx, kwargs
    raise RuntimeError("this task runs on the Celery workers, not in the benchmark process")


__all__ = [
    "ACTIVITY",
    "NOOP",
    "REDIS_URL_VARIABLE",
    "Done",
    "LocalDone",
    "RedisDone",
    "activity_task",
    "build_registry",
    "celery_registry",
    "noop_task",
    "remote_only",
]
