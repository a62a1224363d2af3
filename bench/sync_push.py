"""Push and event-latency halves of the sync benchmark (see ``bench/bench_sync.py``).

push: N contacts changed on our side, sent by ``run_outbound`` through sObject Collections (the
default claim of 1,000 rows a run), then changed again and sent with one claim above the Bulk
threshold (one Bulk API 2.0 ingest job); baseline: simple-salesforce ``restful`` PATCH of
``composite/sobjects`` with the same 200-record payloads from a plain loop.

latency: activity events at a steady rate; each commits through ``record_activity`` and wakes
the embedded runner, whose debounced ``sync_outbound`` job runs the engine. Latency runs from
the commit to the moment the event's outbox row reads as settled (sent), which is after the
Collections call returned. Baseline: one direct httpx PATCH per event from a sender thread.
"""

from __future__ import annotations

import argparse
import json
import queue
import resource
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.sync_wiring import (
    VERSION,
    Org,
    admin_stats,
    calls_to,
    emulator,
    linked_contacts,
    open_store,
    pending_outbox,
    percentiles,
    ringsync_client,
    settled,
    steady,
    token,
)
from ringsync.domain.activities import record_activity
from ringsync.domain.contact_values import Origin
from ringsync.domain.contacts_bulk import upsert_contacts
from ringsync.domain.tracking import ActivityDirection, ActivityEvent, ActivityKind
from ringsync.runtime.embedded import EmbeddedRunner
from ringsync.runtime.tasks import SYNC_OUTBOUND, TaskContext, create_registry
from ringsync.salesforce.client import SalesforceClient
from ringsync.settings import Settings
from ringsync.store.db import Database
from ringsync.sync.engine import EngineOptions, RunSummary, SyncEngine
from ringsync.sync.inbound import InboundOptions
from ringsync.sync.outbound import OutboundOptions

Linked = list[tuple[int, str, str]]


def _totals(runs: list[RunSummary]) -> Counter[str]:
    """Add up run totals; a failed run stops the benchmark with its error."""
    totals: Counter[str] = Counter()
    for run in runs:
        if run.error:
            raise RuntimeError(f"{run.direction} run failed: {run.error}")
        totals.update(run.totals)
    return totals


def _engine(
    database: Database, client: SalesforceClient, args: argparse.Namespace, claim: int = 1000
) -> SyncEngine:
    options = EngineOptions(
        inbound=InboundOptions(bulk_threshold=args.bulk_threshold),
        outbound=OutboundOptions(ingest_threshold=args.ingest_threshold, claim_limit=claim),
    )
    return SyncEngine(database, lambda _account: client, options=options)


def _push_pass(
    org: Org, engine: SyncEngine, account_id: int, linked: Linked, city: str
) -> dict[str, Any]:
    """Change every linked contact's city on our side, then run outbound until sent."""
    database = engine.db
    with database.write() as session:
        changed = upsert_contacts(
            session,
            account_id,
            [{"phone": phone, "city": city} for _, phone, _ in linked],
            origin=Origin.RINGSYNC,
        )
    admin_stats(org, reset=True)
    runs: list[RunSummary] = []
    started, cpu = time.perf_counter(), time.process_time()
    while pending_outbox(database, account_id) and len(runs) <= len(linked):
        runs.append(engine.run_outbound(account_id))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    stats = admin_stats(org, reset=True)
    totals = _totals(runs)
    sent = totals.get("updated", 0)
    return {
        "contacts_changed": changed.updated,
        "outbox_rows": changed.outbox_rows,
        "records_sent": sent,
        "engine_runs": len(runs),
        "engine_totals": dict(totals),
        "seconds": round(seconds, 2),
        "records_per_second": round(sent / seconds) if seconds else None,
        "cpu_ms_per_record": round(1000 * cpu / max(sent, 1), 3),
        "api_calls": stats["api_calls_total"],
        "api_calls_by_endpoint": stats["calls"],
        "api_calls_per_record": round(stats["api_calls_total"] / max(sent, 1), 6),
        "collections_calls": calls_to(stats, "composite/sobjects"),
        "bulk_ingest_calls": sum(
            n
            for endpoint, by in stats["calls"].items()
            if "ingest" in endpoint
            for n in by.values()
        ),
    }


def _baseline_push(org: Org, record_ids: list[str], city: str) -> dict[str, Any]:
    """Send the same updates with unmodified simple-salesforce, 200 records a call."""
    import requests
    from simple_salesforce.api import Salesforce

    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE would override the emulator's CA
    session.verify = str(org.ca_path)
    sf = Salesforce(
        instance_url=org.base_url,
        session_id=token(org),
        session=session,
        version=VERSION.removeprefix("v"),
    )
    sent = 0
    started, cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(record_ids), 200):
        records = [
            {"attributes": {"type": "Lead"}, "id": rid, "City": city}
            for rid in record_ids[start : start + 200]
        ]
        body = json.dumps({"allOrNone": False, "records": records})
        results = sf.restful("composite/sobjects", method="PATCH", data=body) or []
        sent += sum(1 for r in results if r.get("success"))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    session.close()
    stats = admin_stats(org, reset=True)
    return {
        "records_sent": sent,
        "seconds": round(seconds, 2),
        "records_per_second": round(sent / seconds) if seconds else None,
        "cpu_ms_per_record": round(1000 * cpu / max(sent, 1), 3),
        "api_calls": stats["api_calls_total"],
    }


def _count_city(client: SalesforceClient, city: str) -> int:
    return client.count(f"SELECT COUNT() FROM Lead WHERE City = '{city}'")


def bench_push(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Measure Collections and Bulk pushes of N changed contacts against simple-salesforce."""
    with emulator(workdir, args.push_records) as org:
        client, http = ringsync_client(org)
        database, account_id = open_store(workdir / "push.db")
        pulled = _totals(_engine(database, client, args).run_inbound(account_id))
        linked = linked_contacts(database, account_id)
        # A claim at or under the ingest threshold keeps every run on Collections.
        claim = min(1000, args.ingest_threshold)
        collections = _push_pass(
            org, _engine(database, client, args, claim), account_id, linked, "Collections City"
        )
        collections["salesforce_records_with_value"] = _count_city(client, "Collections City")
        bulk_engine = _engine(database, client, args, claim=len(linked) + 1)
        bulk = _push_pass(org, bulk_engine, account_id, linked, "Bulk City")
        bulk["salesforce_records_with_value"] = _count_city(client, "Bulk City")
        admin_stats(org, reset=True)
        baseline = _baseline_push(org, [record_id for _, _, record_id in linked], "Baseline City")
        http.close()
        database.dispose()
    rate, base_rate = collections["records_per_second"], baseline["records_per_second"]
    return {
        "leads_seeded": args.push_records,
        "contacts_linked": len(linked),
        "pull_totals": dict(pulled),
        "collections": collections,
        "bulk": bulk,
        "baseline_simple_salesforce": baseline,
        "collections_ratio_to_baseline": round(rate / base_rate, 3) if rate and base_rate else None,
        "bulk_ratio_to_baseline": (
            round(bulk["records_per_second"] / base_rate, 3)
            if bulk["records_per_second"] and base_rate
            else None
        ),
        "targets": {"collections_api_calls_per_record_max": 1 / 200, "bulk_calls_per_job_max": 10},
        # The whole benchmark process (store, engine and the baseline's client; sfemu is apart).
        "ru_maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


# --- latency ------------------------------------------------------------------------------------
class _Watch:
    """Remember when each event committed and when its outbox row first read as settled."""

    def __init__(self, database: Database) -> None:
        """Watch outbox rows of ``database``."""
        self.database = database
        self.recorded: dict[int, float] = {}
        self.settled: dict[int, float] = {}
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def add(self, outbox_id: int, at: float) -> None:
        """Start watching one event's outbox row."""
        with self.lock:
            self.recorded[outbox_id] = at

    def waiting(self) -> list[int]:
        """Return the rows not yet seen settled."""
        with self.lock:
            return [i for i in self.recorded if i not in self.settled]

    def poll(self) -> None:
        """Read the waiting rows every 10 ms until stopped."""
        while not self.stop.is_set():
            waiting = self.waiting()
            if waiting:
                done = settled(self.database, waiting)
                now = time.perf_counter()
                with self.lock:
                    for outbox_id in done:
                        self.settled[outbox_id] = now
            self.stop.wait(0.01)

    def latencies(self) -> list[float]:
        """Return commit-to-settled seconds of every settled event."""
        with self.lock:
            return [self.settled[i] - at for i, at in self.recorded.items() if i in self.settled]


def _engine_latency(
    args: argparse.Namespace, org: Org, database: Database, account_id: int, linked: Linked
) -> dict[str, Any]:
    """Record events at a steady rate through the embedded runner and time them to settle."""
    client, http = ringsync_client(org)
    engine = _engine(database, client, args)
    runs: list[RunSummary] = []

    def sync_outbound(ctx: TaskContext, /, **kwargs: Any) -> object:
        del ctx
        run = engine.run_outbound(int(kwargs["account_id"]))
        runs.append(run)
        return run.totals

    registry = create_registry({SYNC_OUTBOUND: sync_outbound})
    runner = EmbeddedRunner(
        settings=Settings(), database=database, registry=registry, debounce_seconds=args.debounce
    )
    watch = _Watch(database)
    poller = threading.Thread(target=watch.poll, name="bench-latency-poll", daemon=True)

    expected: Counter[str] = Counter()

    def fire(index: int) -> None:
        contact_id, _, record_id = linked[index % len(linked)]
        expected[record_id] += 1
        event = ActivityEvent(
            f"bench-{index}",
            ActivityKind.CALL,
            ActivityDirection.OUTBOUND,
            datetime.now(UTC),
            duration_seconds=30,
        )
        with database.write() as session:
            result = record_activity(session, account_id, contact_id, event)
        assert result.outbox_id is not None
        watch.add(result.outbox_id, time.perf_counter())
        runner.wake(account_id)

    admin_stats(org, reset=True)
    runner.start()
    poller.start()
    try:
        events = steady(args.rate, args.duration, fire)
        deadline = time.monotonic() + 30 + 10 * args.debounce
        while watch.waiting() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        runner.stop(timeout=30)
        watch.stop.set()
        poller.join()
    stats = admin_stats(org, reset=True)
    totals = _totals(runs)
    ids = ", ".join(f"'{record_id}'" for record_id in expected)
    found = client.iter_query(f"SELECT Id, Total_Outbound_Calls__c FROM Lead WHERE Id IN ({ids})")
    matching = sum(
        1 for r in found if int(r.get("Total_Outbound_Calls__c") or 0) == expected[str(r["Id"])]
    )
    http.close()
    latencies = watch.latencies()
    return {
        "events": events,
        "events_settled": len(latencies),
        "engine_runs": len(runs),
        "engine_totals": dict(totals),
        "api_calls": stats["api_calls_total"],
        "api_calls_per_event": round(stats["api_calls_total"] / max(events, 1), 4),
        "records_touched": len(expected),
        "records_whose_call_total_matches": matching,
        **percentiles(latencies),
    }


def _baseline_latency(args: argparse.Namespace, org: Org, linked: Linked) -> dict[str, Any]:
    """Send each event as its own PATCH from one sender thread; time event to response."""
    work: queue.SimpleQueue[tuple[int, float] | None] = queue.SimpleQueue()
    latencies: list[float] = []
    counts: Counter[str] = Counter()
    failures = 0

    def sender() -> None:
        nonlocal failures
        with org.http(timeout=60) as http:
            http.headers["Authorization"] = f"Bearer {token(org)}"
            while (item := work.get()) is not None:
                index, at = item
                record_id = linked[index % len(linked)][2]
                counts[record_id] += 1
                reply = http.patch(
                    f"/services/data/{VERSION}/sobjects/Lead/{record_id}",
                    json={"Total_Outbound_Calls__c": counts[record_id]},
                )
                if reply.status_code != 204:
                    failures += 1
                latencies.append(time.perf_counter() - at)

    thread = threading.Thread(target=sender, name="bench-latency-baseline", daemon=True)
    thread.start()
    admin_stats(org, reset=True)
    events = steady(args.rate, args.duration, lambda i: work.put((i, time.perf_counter())))
    work.put(None)
    thread.join()
    stats = admin_stats(org, reset=True)
    return {
        "events": events,
        "failed_calls": failures,
        "api_calls": stats["api_calls_total"],
        "api_calls_per_event": round(stats["api_calls_total"] / max(events, 1), 4),
        **percentiles(latencies),
    }


def bench_latency(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Measure event-to-Salesforce latency through the runner against one call per event."""
    with emulator(workdir, args.latency_contacts) as org:
        client, http = ringsync_client(org)
        database, account_id = open_store(workdir / "latency.db")
        _totals(_engine(database, client, args).run_inbound(account_id))
        http.close()
        linked = linked_contacts(database, account_id)
        ours = _engine_latency(args, org, database, account_id, linked)
        baseline = _baseline_latency(args, org, linked)
        database.dispose()
    return {
        "rate_per_second": args.rate,
        "duration_seconds": args.duration,
        "debounce_seconds": args.debounce,
        "contacts": len(linked),
        "engine": ours,
        "baseline_one_call_per_event": baseline,
        "targets": {"median_ms_max": 1000, "p95_ms_max": 2000},
    }


__all__ = ["bench_latency", "bench_push"]
