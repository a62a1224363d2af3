"""API calls of an idle account: the product's scheduled polling on a simulated clock.

The account is connected and fully synced, and nothing changes on either side. The product is
built as ``ringsync serve`` builds it (``build_product``) but with a ``FrozenClock`` that this
driver moves forward. Each step moves the clock by ``--idle-tick`` simulated seconds (the
embedded runner's poll period, 5 s), submits the product's ``poll_schedule`` task (what the
embedded runner's poll timer and Celery beat do) and waits until the runner is idle. The
schedule (``poll_due``) submits ``sync_inbound`` when the account's last inbound run started a
poll interval ago (default 300 s), exactly as in production; the runs, their leases and their
cursors all read the same simulated clock. sfemu's counters give the calls.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bench.load_world import LoadWorld
from ringsync.clock import FrozenClock
from ringsync.domain.sync_settings import active_settings
from ringsync.runtime.embedded import EmbeddedRunner
from ringsync.runtime.runner import Runner
from ringsync.runtime.tasks import (
    POLL_SCHEDULE,
    SYNC_INBOUND,
    DueAccounts,
    TaskContext,
    TaskRegistry,
)
from ringsync.settings import Settings
from ringsync.store.db import Database

DAY = 86_400


def _counting(registry: TaskRegistry, name: str) -> list[float]:
    """Count the runs of one task (their real seconds) by wrapping its body in the registry."""
    body = registry.get(name)
    seconds: list[float] = []

    def counted(ctx: TaskContext, /, **kwargs: Any) -> object:
        started = time.perf_counter()
        try:
            return body(ctx, **kwargs)
        finally:
            seconds.append(time.perf_counter() - started)

    registry.register(name, counted)
    return seconds


def bench_idle(args: argparse.Namespace, world: LoadWorld) -> dict[str, Any]:
    """Simulate ``--idle-hours`` of polling for the idle account and extrapolate calls per day."""
    clock = FrozenClock(datetime.now(UTC))
    runners: list[EmbeddedRunner] = []

    def factory(
        settings: Settings, database: Database, registry: TaskRegistry, due: DueAccounts
    ) -> Runner:
        del due  # the registry's poll_schedule task asks the same schedule
        runner = EmbeddedRunner(
            settings=settings, database=database, registry=registry, clock=clock
        )
        runners.append(runner)
        return runner

    product = world.product(clock=clock, runner_factory=factory)
    runs = _counting(product.registry, SYNC_INBOUND)
    # Absorb anything the load left behind (our own writes read back), not counted.
    absorbed = product.engine.run_inbound(world.account_id)
    with world.database.read() as session:
        interval = active_settings(session, world.account_id).poll_interval_seconds
    world.stats(reset=True)
    steps = max(1, round(args.idle_hours * 3600 / args.idle_tick))
    waited_out = 0
    started = time.perf_counter()
    runner = runners[0]
    runner.start()
    try:
        for _ in range(steps):
            clock.advance(args.idle_tick)
            runner.submit(POLL_SCHEDULE)
            if not _wait(runner.idle, timeout=60):
                waited_out += 1
    finally:
        runner.stop(timeout=30)
    real_seconds = time.perf_counter() - started
    stats = world.stats(reset=True)
    calls = int(stats["api_calls_total"])
    polls = len(runs)
    # The describe is cached per process: one call per process start, not per poll.
    describes = sum(stats["calls"].get("sobjects/{sobject}/describe", {}).values())
    simulated = steps * args.idle_tick
    per_poll = calls / polls if polls else None
    per_day_default = DAY / interval * per_poll if per_poll is not None else None
    limit = args.daily_limit
    return {
        "simulated_seconds": simulated,
        "real_seconds": round(real_seconds, 1),
        "clock_step_seconds": args.idle_tick,
        "poll_interval_seconds": interval,
        "polls": polls,
        "poll_run_seconds_max": round(max(runs), 3) if runs else None,
        "api_calls": calls,
        "api_calls_by_endpoint": stats["calls"],
        "api_calls_per_poll": round(per_poll, 3) if per_poll is not None else None,
        "api_calls_per_poll_without_describe": (
            round((calls - describes) / polls, 3) if polls else None
        ),
        "api_calls_per_day_observed_rate": round(calls * DAY / simulated, 1),
        "api_calls_per_day_at_default_interval": (
            round(per_day_default, 1) if per_day_default is not None else None
        ),
        "daily_limit_assumed": limit,
        "fraction_of_daily_limit": (
            round(per_day_default / limit, 5) if per_day_default is not None else None
        ),
        "steps_not_idle_in_60_s": waited_out,
        "absorbed_before_measuring": [s.totals for s in absorbed],
        "targets": {"api_calls_per_day_max": 3000, "fraction_of_daily_limit_max": 0.02},
    }


def _wait(done: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


__all__ = ["bench_idle"]
