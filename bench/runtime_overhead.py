"""Runner overhead per task: the embedded runner and Celery against calling the task directly.

For each kind of task (``bench_noop``, ``bench_activity``, see ``bench/runtime_tasks.py``) and
each runner, N tasks run one at a time (latency: from just before ``submit`` to the end the task
reports, so queueing, the lease and dispatch are inside) and then N tasks are submitted at once
(throughput: tasks per second until the last one ends). The direct baseline calls the task
function in this process with a ready-made context: no queue, no lease; its tasks per second
are sequential (the runners' ``sequential_tasks_per_second`` compares with it like for like,
their burst figure uses every thread or worker they have). ``bench_activity`` tasks cycle over
a few accounts, so a runner may run two accounts at once. A few warm-up tasks per runner and
kind are not counted.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench.runtime_fleet import REDIS_URL, fleet, peak_rss_mb, postgres_database, redis_prefix
from bench.runtime_tasks import (
    ACTIVITY,
    NOOP,
    REDIS_URL_VARIABLE,
    LocalDone,
    build_registry,
    remote_only,
)
from ringsync.clock import SystemClock
from ringsync.domain.accounts import create_account
from ringsync.domain.contact_values import Origin
from ringsync.domain.contacts_bulk import upsert_contacts
from ringsync.runtime.embedded import EmbeddedRunner
from ringsync.runtime.tasks import TaskContext, create_registry
from ringsync.settings import Settings
from ringsync.store.db import Database, open_database

KINDS = (NOOP, ACTIVITY)
RUNNERS = ("direct", "embedded", "celery")
WARMUP = 10
WAIT_SECONDS = 60.0

Kwargs = Callable[[int], dict[str, Any]]


def summary(samples: list[float], seconds: float, tasks: int) -> dict[str, float]:
    """Return median and p95 per task in µs (nearest rank) and tasks per second."""
    ordered = sorted(samples)

    def rank(q: float) -> float:
        index = min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))
        return round(ordered[index] * 1e6, 1)

    return {
        "median_us": rank(0.5),
        "p95_us": rank(0.95),
        "tasks_per_second": round(tasks / seconds, 1) if seconds > 0 else 0.0,
    }


@contextlib.contextmanager
def open_bench_store(kind: str, workdir: Path) -> Iterator[tuple[str, Database]]:
    """Yield (URL, migrated store): a fresh Postgres database, or a SQLite file in ``workdir``."""
    if kind == "sqlite":
        url = f"sqlite:///{workdir / 'overhead.db'}"
        database = open_database(url)
        try:
            yield url, database
        finally:
            database.dispose()
        return
    with postgres_database() as url:
        database = open_database(url)
        try:
            yield url, database
        finally:
            database.dispose()


def make_accounts(database: Database, count: int) -> list[tuple[int, int]]:
    """Create ``count`` accounts with one contact each; return (account id, contact id) pairs."""
    pairs: list[tuple[int, int]] = []
    with database.write() as session:
        for index in range(count):
            account_id = create_account(session, f"overhead {index}").id
            phone = f"+1415{3_000_000 + index:07d}"
            result = upsert_contacts(
                session,
                account_id,
                [{"phone": phone, "last_name": "Bench"}],
                origin=Origin.SALESFORCE,
            )
            pairs.append((account_id, next(iter(result.ids.values()))))
    return pairs


def kwargs_for(kind: str, pairs: list[tuple[int, int]], offset: int) -> Kwargs:
    """Return the arguments of task ``i`` (unique, so no two jobs coalesce)."""
    if kind == NOOP:
        return lambda i: {"n": offset + i}

    def activity(i: int) -> dict[str, Any]:
        account_id, contact_id = pairs[i % len(pairs)]
        return {"account_id": account_id, "contact_id": contact_id, "n": offset + i}

    return activity


def no_submit(task: str, /, **kwargs: Any) -> str:
    """Refuse: the benchmark tasks submit nothing, and the direct call has no queue."""
    del kwargs
    raise RuntimeError(f"a direct call cannot queue {task}")


def run_direct(
    settings: Settings, database: Database, pairs: list[tuple[int, int]], tasks: int
) -> dict[str, Any]:
    """Call each task function in this process, one after another."""
    done = LocalDone()
    registry = build_registry(done)
    figures: dict[str, Any] = {}
    for kind in KINDS:
        func = registry.get(kind)
        ctx = TaskContext(
            task=kind,
            job_id=f"direct-{uuid.uuid4().hex[:8]}",
            settings=settings,
            database=database,
            clock=SystemClock(),
            stop_event=threading.Event(),
            submit=no_submit,
        )
        for offset, count in ((0, WARMUP), (WARMUP, tasks)):
            args = kwargs_for(kind, pairs, offset)
            samples: list[float] = []
            started = time.monotonic()
            for index in range(count):
                before = time.monotonic()
                func(ctx, **args(index))
                samples.append(done.wait(WAIT_SECONDS) - before)
            seconds = time.monotonic() - started
        figures[kind] = summary(samples, seconds, tasks)
        figures[kind]["sequential_tasks_per_second"] = round(tasks / sum(samples), 1)
    return figures


def measure(
    submit: Callable[[str, dict[str, Any]], object],
    wait: Callable[[], float],
    kind: str,
    pairs: list[tuple[int, int]],
    tasks: int,
) -> dict[str, float]:
    """Time ``tasks`` submissions one at a time, then ``tasks`` submitted at once."""
    warm = kwargs_for(kind, pairs, 0)
    for index in range(WARMUP):
        submit(kind, warm(index))
        wait()
    one_by_one = kwargs_for(kind, pairs, WARMUP)
    samples: list[float] = []
    for index in range(tasks):
        before = time.monotonic()
        submit(kind, one_by_one(index))
        samples.append(wait() - before)
    burst = kwargs_for(kind, pairs, WARMUP + tasks)
    started = time.monotonic()
    for index in range(tasks):
        submit(kind, burst(index))
    last = max(wait() for _ in range(tasks))
    figures = summary(samples, last - started, tasks)
    figures["sequential_tasks_per_second"] = round(tasks / sum(samples), 1)
    return figures


def run_embedded(
    settings: Settings, database: Database, pairs: list[tuple[int, int]], tasks: int, threads: int
) -> dict[str, Any]:
    """Run the tasks on an EmbeddedRunner in this process."""
    done = LocalDone()
    runner = EmbeddedRunner(
        settings=settings, database=database, registry=build_registry(done), workers=threads
    )
    runner.start()
    try:
        return {
            kind: measure(
                lambda task, kw: runner.submit(task, **kw),
                lambda: done.wait(WAIT_SECONDS),
                kind,
                pairs,
                tasks,
            )
            for kind in KINDS
        }
    finally:
        runner.stop(timeout=30)


def run_celery(
    settings: Settings, pairs: list[tuple[int, int]], tasks: int, workdir: Path
) -> dict[str, Any]:
    """Run the tasks on one solo Celery worker process through Redis."""
    import redis

    from ringsync.runtime.celery_app import create_celery_app

    env = {
        "RINGSYNC_DATABASE_URL": settings.database_url,
        "RINGSYNC_BROKER_URL": settings.broker_url,
        REDIS_URL_VARIABLE: REDIS_URL,
    }
    with (
        redis_prefix() as prefix,
        fleet("bench.runtime_tasks:celery_registry", prefix, env, workdir) as workers,
    ):
        ready_seconds = workers.start(1)
        registry = create_registry({NOOP: remote_only, ACTIVITY: remote_only})
        app = create_celery_app(settings, registry=registry, key_prefix=prefix)
        runner = app.ringsync_runner
        client = redis.Redis.from_url(REDIS_URL)
        done_key = f"{prefix}bench-done"

        def wait() -> float:
            found = client.blpop([done_key], timeout=WAIT_SECONDS)
            if found is None:
                raise TimeoutError(f"the worker finished no task within {WAIT_SECONDS:.0f} s")
            return float(found[1])

        try:
            figures: dict[str, Any] = {
                kind: measure(
                    lambda task, kw: runner.submit(task, done_key=done_key, **kw),
                    wait,
                    kind,
                    pairs,
                    tasks,
                )
                for kind in KINDS
            }
            figures["worker_ready_seconds"] = round(ready_seconds, 2)
            figures["worker_peak_rss_mb"] = round(peak_rss_mb(workers.pids()[0]), 1)
        finally:
            client.close()
            app.close()
    return figures


def significant(value: float) -> float:
    """Round to three significant digits (ratios span from 0.00001 to 10,000)."""
    return float(f"{value:.3g}")


def ratios(figures: dict[str, Any]) -> dict[str, Any]:
    """Compare every runner with the direct call: per-task ratio and added µs per task."""
    direct = figures["direct"]
    out: dict[str, Any] = {}
    for runner in RUNNERS[1:]:
        if runner not in figures:
            continue
        for kind in KINDS:
            ours, base = figures[runner][kind], direct[kind]
            out[f"{runner}_{kind}"] = {
                "median_ratio_to_direct": significant(
                    ours["median_us"] / max(base["median_us"], 0.1)
                ),
                "p95_ratio_to_direct": significant(ours["p95_us"] / max(base["p95_us"], 0.1)),
                "added_median_us_per_task": round(ours["median_us"] - base["median_us"], 1),
                "tasks_per_second_ratio_to_direct": significant(
                    ours["tasks_per_second"] / max(base["tasks_per_second"], 0.1)
                ),
            }
    return out


def bench_overhead(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Measure every chosen runner against the direct call on one store, in one run."""
    chosen = [r for r in args.runners.split(",") if r]
    unknown = sorted(set(chosen) - set(RUNNERS))
    if unknown:
        raise SystemExit(f"unknown runner(s) {', '.join(unknown)}; choose from {RUNNERS}")
    with open_bench_store(args.store, workdir) as (url, database):
        settings = Settings(database_url=url, broker_url=REDIS_URL)
        pairs = make_accounts(database, args.overhead_accounts)
        figures: dict[str, Any] = {"direct": run_direct(settings, database, pairs, args.tasks)}
        if "embedded" in chosen:
            figures["embedded"] = run_embedded(
                settings, database, pairs, args.tasks, args.embedded_threads
            )
        if "celery" in chosen:
            figures["celery"] = run_celery(settings, pairs, args.tasks, workdir)
    return {
        "store": args.store,
        "tasks_per_kind": args.tasks,
        "accounts": args.overhead_accounts,
        "embedded_threads": args.embedded_threads,
        "runners": figures,
        "ratios": ratios(figures),
    }


__all__ = ["bench_overhead", "make_accounts", "ratios", "significant", "summary"]
