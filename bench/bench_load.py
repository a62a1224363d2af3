"""Events under load: latency to Salesforce, API calls per event, and idle API calls per day.

Run: ``python -m bench load [-- ARGS]``; the full figures:
``python -m bench load -- --steady-rate 50 --steady-seconds 60 --burst-rate 2000
--burst-seconds 60 --idle-hours 24``. sfemu runs in its own process over HTTPS; the product
is wired by ``build_product`` (as ``ringsync serve``), on SQLite with the embedded runner by default
(``--store postgres``, ``--runner celery`` with one solo worker on Redis). Phases, in order:

* idle (``bench/load_idle.py``): the scheduled polling of one connected, fully synced account
  with no changes, on a simulated clock (``--idle-hours``); API calls per poll, extrapolated to
  calls per day at the default poll interval.
* steady and burst (``bench/load_drive.py``): ``--producers`` threads accept events at the
  target rate, each as ``POST /api/v1/events`` does (``record_event`` in one transaction,
  ``wake``), or with ``--batch N`` in groups of N as ``POST /api/v1/events/batch`` does
  (``record_events``, one ``wake``), round-robin over ``--contacts`` linked contacts; the
  runner's debounced ``sync_outbound`` sends them through sObject Collections. Latency runs
  from the commit to the moment a 10 ms watcher reads the event's outbox row settled (the
  engine settles it after the Collections call returned). After the window the benchmark
  waits for the outbox to drain. At the end, every touched Lead's call and text totals in
  sfemu are compared with ours.
* baseline: the same schedule, each event sent as one PATCH of its Lead from a plain httpx
  client (one per producer thread): the latency floor and its one call per event.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.load_drive import BaselineSender, SettleWatch, accept_events, produce
from bench.load_world import LoadWorld, load_world, peak_rss_mb, reset_peak_rss
from bench.sync_wiring import pending_outbox, percentiles
from ringsync.domain.activities import MAX_BATCH, get_stats
from ringsync.runtime.runner import Runner
from ringsync.runtime.tasks import DueAccounts, TaskRegistry
from ringsync.runtime.wiring import WORKER_REGISTRY, Product
from ringsync.settings import Settings
from ringsync.store.db import Database
from ringsync.store.sync_tables import sync_runs

PHASES = ("idle", "steady", "burst", "baseline")
DEFAULT_DAILY_LIMIT = 150_000  # an Enterprise org with 50 licences (reference A1)


def parse(argv: list[str]) -> argparse.Namespace:
    """Read the sizes; the defaults finish in about five minutes."""
    parser = argparse.ArgumentParser(prog="python -m bench load --")
    parser.add_argument("--only", default=",".join(PHASES), help="comma-separated phases")
    parser.add_argument("--contacts", type=int, default=500, help="linked contacts events hit")
    parser.add_argument("--steady-rate", type=float, default=50.0, help="events per second")
    parser.add_argument("--steady-seconds", type=float, default=30.0)
    parser.add_argument("--burst-rate", type=float, default=2000.0, help="events per second")
    parser.add_argument("--burst-seconds", type=float, default=10.0)
    parser.add_argument("--producers", type=int, default=4, help="producer threads")
    parser.add_argument(
        "--batch",
        type=int,
        default=1,
        help="events per request: 1 = POST /api/v1/events, N > 1 = the batch path in groups of N",
    )
    parser.add_argument(
        "--no-catch-up",
        dest="catch_up",
        action="store_false",
        help="offer no event after the window (default: offer every event due in it)",
    )
    parser.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--runner", choices=("embedded", "celery"), default="embedded")
    parser.add_argument(
        "--drain-timeout", type=float, default=300.0, help="seconds to wait for the outbox"
    )
    parser.add_argument(
        "--stall", type=float, default=60.0, help="give up draining after this long unchanged"
    )
    parser.add_argument("--idle-hours", type=float, default=1.0, help="simulated idle period")
    parser.add_argument("--idle-tick", type=float, default=5.0, help="simulated clock step, s")
    parser.add_argument("--daily-limit", type=int, default=DEFAULT_DAILY_LIMIT)
    args = parser.parse_args(argv)
    phases = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = sorted(set(phases) - set(PHASES))
    if unknown or not phases:
        parser.error(f"unknown phase(s) {unknown}; choose from {', '.join(PHASES)}")
    if not 1 <= args.batch <= MAX_BATCH:
        parser.error(f"--batch must be 1 to {MAX_BATCH}")
    if args.runner == "celery" and args.store != "postgres":
        parser.error("--runner celery needs --store postgres (workers are separate processes)")
    args.phases = phases
    return args


# --- the product under load ---------------------------------------------------------------
@contextlib.contextmanager
def running_product(
    args: argparse.Namespace, world: LoadWorld, workdir: Path
) -> Iterator[tuple[Product, list[int]]]:
    """Build and start the product's runner; yield it and the pids that run its tasks."""
    if args.runner == "embedded":
        product = world.product()
        product.runner.start()
        try:
            yield product, []
        finally:
            product.runner.stop(timeout=60)
        return
    from bench.runtime_fleet import fleet, redis_prefix
    from ringsync.runtime.celery_app import create_celery_app

    with redis_prefix() as prefix:

        def factory(
            settings: Settings, database: Database, registry: TaskRegistry, due: DueAccounts
        ) -> Runner:
            del due
            app = create_celery_app(
                settings, registry=registry, database=database, key_prefix=prefix
            )
            runner: Runner = app.ringsync_runner
            return runner

        product = world.product(runner_factory=factory)
        with fleet(WORKER_REGISTRY, prefix, world.worker_env(), workdir) as workers:
            workers.start(1)
            yield product, workers.pids()


def _last_run_id(database: Database) -> int:
    with database.read() as session:
        return int(session.execute(sa.select(sa.func.max(sync_runs.c.id))).scalar() or 0)


def _runs_since(database: Database, account_id: int, after: int) -> dict[str, Any]:
    c = sync_runs.c
    stmt = sa.select(c.direction, c.started_at, c.finished_at, c.totals, c.error).where(
        c.account_id == account_id, c.id > after
    )
    with database.read() as session:
        rows = session.execute(stmt).all()
    outbound = [r for r in rows if r.direction == "outbound"]
    totals: Counter[str] = Counter()
    for row in outbound:
        totals.update({k: int(v) for k, v in dict(row.totals).items()})
    seconds = [(r.finished_at - r.started_at).total_seconds() for r in outbound if r.finished_at]
    return {
        "outbound_runs": len(outbound),
        "inbound_runs": len(rows) - len(outbound),
        "outbound_totals": dict(totals),
        "runs_with_error": sorted({str(r.error) for r in rows if r.error})[:5],
        "outbound_run_seconds": percentiles(seconds),
    }


def _salesforce_matches(world: LoadWorld, product: Product) -> dict[str, int]:
    """Compare the call and text totals we pushed with each Lead's in sfemu.

    A total still 0 on our side was never pushed (sfemu's seeded value stays), so it is skipped.
    """
    client = product.client(world.account_id)
    ours: dict[str, tuple[int, int]] = {}
    with world.database.read() as session:
        for contact_id, _, record_id in world.contacts:
            stats = get_stats(session, world.account_id, contact_id)
            ours[record_id] = (int(stats.total_outbound_calls), int(stats.total_outbound_texts))
    theirs: dict[str, tuple[int, int]] = {}
    ids = list(ours)
    for start in range(0, len(ids), 200):
        quoted = ", ".join(f"'{i}'" for i in ids[start : start + 200])
        soql = (
            "SELECT Id, Total_Outbound_Calls__c, Total_Outbound_Texts__c FROM Lead "
            f"WHERE Id IN ({quoted})"
        )
        for record in client.iter_query(soql):
            theirs[str(record["Id"])] = (
                int(record.get("Total_Outbound_Calls__c") or 0),
                int(record.get("Total_Outbound_Texts__c") or 0),
            )

    def same(record_id: str) -> bool:
        pushed, found = ours[record_id], theirs.get(record_id, (-1, -1))
        return all(p == f for p, f in zip(pushed, found, strict=True) if p)

    touched = [r for r, totals in ours.items() if any(totals)]
    return {
        "contacts_touched": len(touched),
        "matching": sum(1 for r in touched if same(r)),
        "events_in_our_totals": sum(a + b for a, b in ours.values()),
    }


def _wait_drained(args: argparse.Namespace, watch: SettleWatch) -> str:
    """Wait until every accepted event settled; say how the wait ended."""
    deadline = time.monotonic() + args.drain_timeout
    left, changed = watch.unsettled(), time.monotonic()
    while left:
        time.sleep(0.05)
        now_left = watch.unsettled()
        if now_left != left:
            left, changed = now_left, time.monotonic()
        if time.monotonic() > deadline:
            return "timeout"
        if time.monotonic() - changed > args.stall:
            return "stalled"
    return "drained"


def run_load(
    args: argparse.Namespace,
    world: LoadWorld,
    product: Product,
    pids: list[int],
    name: str,
    rate: float,
    seconds: float,
) -> dict[str, Any]:
    """Accept events at ``rate`` for ``seconds`` through the product; time them to Salesforce."""
    database, account_id = world.database, world.account_id
    first_run = _last_run_id(database)
    watch = SettleWatch(database, account_id)
    watch.start()
    world.stats(reset=True)
    load_before = os.getloadavg()[0]
    reset_peak_rss()
    for pid in (world.served.process.pid, *pids):
        reset_peak_rss(pid)
    fire = accept_events(world, name, product.runner.wake, watch, args.batch)
    backlog: dict[str, int] = {}

    def snapshot() -> None:
        backlog["accepted_not_yet_settled"] = watch.unsettled()
        backlog["outbox_pending"] = pending_outbox(database, account_id)

    produced = produce(
        rate,
        seconds,
        args.producers,
        fire,
        catch_up=args.catch_up,
        at_window_end=snapshot,
        batch=args.batch,
    )
    last_accept = time.perf_counter()
    ended = _wait_drained(args, watch)
    watch.close()
    stats = world.stats(reset=True)
    last = watch.last_settled()
    latencies = watch.latencies()
    calls = int(stats["api_calls_total"])
    collections = sum(stats["calls"].get("composite/sobjects", {}).values())
    runs = _runs_since(database, account_id, first_run)
    figures = produced.figures(rate)
    accepted = produced.accepted
    sent = int(runs["outbound_totals"].get("updated", 0))
    return {
        **figures,
        "producers": args.producers,
        "batch": args.batch,
        "backlog_at_window_end": {
            "offered_not_yet_accepted": produced.accepted_in_window_shortfall(),
            **backlog,
        },
        "drain": ended,
        "seconds_from_window_end_to_all_settled": (
            round(last - produced.window_end, 2) if last else None
        ),
        "seconds_from_last_accept_to_all_settled": (
            round(max(last - last_accept, 0.0), 2) if last else None
        ),
        "events_settled": len(latencies),
        "events_unsettled": watch.unsettled(),
        "outbox_statuses_seen": dict(watch.statuses),
        "latency": percentiles(latencies),
        "latency_measured_as": "commit of the event -> outbox row read settled (10 ms poll)",
        "api_calls": calls,
        "api_calls_by_endpoint": stats["calls"],
        "collections_calls": collections,
        "api_calls_per_event": round(calls / max(accepted, 1), 5),
        "records_sent": sent,
        "records_per_collections_call": round(sent / collections, 1) if collections else None,
        "engine": runs,
        "host_load_average_1m": {"start": load_before, "end": os.getloadavg()[0]},
        "peak_rss_mb": {
            "benchmark_process": peak_rss_mb(),
            "sfemu": peak_rss_mb(world.served.process.pid),
            **{f"worker_{pid}": peak_rss_mb(pid) for pid in pids},
        },
        "salesforce_check": _salesforce_matches(world, product),
    }


def run_baseline(
    args: argparse.Namespace, world: LoadWorld, name: str, rate: float, seconds: float
) -> dict[str, Any]:
    """Send the same schedule as one PATCH per event; report its latency and calls."""
    sender = BaselineSender(world, world.contacts)
    world.stats(reset=True)
    try:
        produced = produce(rate, seconds, args.producers, sender.fire, catch_up=args.catch_up)
    finally:
        sender.close()
    stats = world.stats(reset=True)
    calls = int(stats["api_calls_total"])
    return {
        **produced.figures(rate),
        "phase": name,
        "failed_calls": sender.failures,
        "latency": percentiles(sender.latencies),
        "latency_measured_as": "PATCH sent -> response (one call per event)",
        "api_calls": calls,
        "api_calls_per_event": round(calls / max(produced.accepted, 1), 5),
    }


def main(argv: list[str]) -> dict[str, Any]:
    """Run the chosen phases and return their figures."""
    args = parse(argv)
    result: dict[str, Any] = {
        "store": args.store,
        "runner": args.runner,
        "contacts": args.contacts,
        "producers": args.producers,
        "batch": args.batch,
    }
    loads = [("steady", args.steady_rate, args.steady_seconds)]
    loads.append(("burst", args.burst_rate, args.burst_seconds))
    with tempfile.TemporaryDirectory(prefix="ringsync-bench-load-") as tmp:
        workdir = Path(tmp)
        with load_world(args, workdir) as world:
            result["setup"] = world.setup
            if "idle" in args.phases:
                from bench.load_idle import bench_idle

                result["idle"] = bench_idle(args, world)
            chosen = [load for load in loads if load[0] in args.phases]
            if chosen:
                with running_product(args, world, workdir) as (product, pids):
                    for name, rate, seconds in chosen:
                        result[name] = run_load(args, world, product, pids, name, rate, seconds)
            if "baseline" in args.phases:
                result["baseline"] = {
                    name: run_baseline(args, world, name, rate, seconds)
                    for name, rate, seconds in loads
                }
    result["targets"] = {
        "latency_p50_ms_max": 2000,
        "latency_p95_ms_max": 10_000,
        "latency_p99_ms_max": 60_000,
        "accepted_per_second_min": {"steady": 50, "burst": 2000},
        "burst_drain_seconds_max": 300,
        "idle_api_calls_per_day_max": 3000,
    }
    return result


__all__ = ["main", "parse", "run_baseline", "run_load"]
