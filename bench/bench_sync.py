"""Sync engine speed against sfemu: initial pull, push, and event latency, each against a baseline.

Run: ``python -m bench sync [-- --only pull,push,latency --leads 100000 --full]``. sfemu runs in a
child process over HTTPS (its test CA trusted, as a real org's would be). Every figure comes with
a baseline measured in the same run:

* pull: ``SyncEngine.run_inbound`` of every lead into a fresh SQLite store, against a plain script
  that downloads the same fields with unmodified simple-salesforce ``query_all_iter`` and upserts
  them with SQLAlchemy Core in batches of 2,000. Each side runs in its own child process, so
  ``ru_maxrss`` is that side's own. tracemalloc slows Python several-fold, so its peak comes
  from a separate, untimed pull of ``--tracemalloc-leads`` leads.
* push: N changed contacts sent by ``run_outbound`` through sObject Collections, then again with a
  claim above the Bulk threshold through one Bulk API 2.0 ingest job, against the same updates
  sent by simple-salesforce ``restful("composite/sobjects", method="PATCH")`` 200 at a time.
* latency: activity events at a steady rate through the embedded runner (500 ms debounce), from
  the commit of ``record_activity`` to the settle of its outbox row (after the Collections call
  returned), against one direct httpx PATCH per event.

Absolute rates on a shared machine are noise; compare the ratios and the API calls per record.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.sync_wiring import (
    VERSION,
    Org,
    admin_stats,
    contact_count,
    emulator,
    lead_fields,
    link_count,
    open_store,
    ringsync_client,
    token,
)

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ("pull", "push", "latency")


# --- pull ---------------------------------------------------------------------------------------
def pull_ringsync(
    base_url: str, ca_path: str, workdir: str, bulk_threshold: int, trace: bool
) -> dict[str, Any]:
    """Pull every lead through the engine into a fresh store (runs in a child process)."""
    from ringsync.sync.engine import EngineOptions, SyncEngine
    from ringsync.sync.inbound import InboundOptions

    org = Org(base_url, Path(ca_path))
    database, account_id = open_store(Path(workdir) / "ringsync.db")
    client, http = ringsync_client(org)
    options = EngineOptions(inbound=InboundOptions(bulk_threshold=bulk_threshold))
    engine = SyncEngine(database, lambda _account: client, options=options)
    if trace:
        tracemalloc.start()
    started, cpu = time.perf_counter(), time.process_time()
    runs = engine.run_inbound(account_id)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    tracemalloc.stop()
    http.close()
    totals: dict[str, int] = {}
    for run in runs:
        if run.error:
            raise RuntimeError(f"the pull failed: {run.error}")
        for key, value in run.totals.items():
            totals[key] = totals.get(key, 0) + value
    result = {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "records": totals.get("read", 0),
        "contacts": contact_count(database, account_id),
        "links": link_count(database, account_id),
        "totals": totals,
        "tracemalloc_peak_mb": round(peak / 2**20, 1),
    }
    database.dispose()
    return result


def pull_baseline(base_url: str, ca_path: str, workdir: str, fields: list[str]) -> dict[str, Any]:
    """Download with simple-salesforce and upsert with SQLAlchemy Core (runs in a child process)."""
    import requests
    import sqlalchemy as sa
    from simple_salesforce.api import Salesforce
    from sqlalchemy.dialects.sqlite import insert

    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE would override the emulator's CA
    session.verify = ca_path
    sf = Salesforce(
        instance_url=base_url,
        session_id=token(Org(base_url, Path(ca_path))),
        session=session,
        version=VERSION.removeprefix("v"),
    )
    engine = sa.create_engine(f"sqlite:///{Path(workdir) / 'baseline.db'}")
    table = sa.Table(
        "leads",
        sa.MetaData(),
        sa.Column("Id", sa.String(18), primary_key=True),
        *(sa.Column(name, sa.String) for name in fields if name != "Id"),
    )
    table.metadata.create_all(engine)
    statement = insert(table)
    upsert = statement.on_conflict_do_update(
        index_elements=["Id"],
        set_={name: statement.excluded[name] for name in fields if name != "Id"},
    )
    records = 0
    batch: list[dict[str, Any]] = []

    def flush() -> None:
        with engine.begin() as connection:
            connection.execute(upsert, batch)
        batch.clear()

    started, cpu = time.perf_counter(), time.process_time()
    soql = f"SELECT {', '.join(fields)} FROM Lead"
    for record in sf.query_all_iter(soql):
        batch.append({name: _plain(record.get(name)) for name in fields})
        records += 1
        if len(batch) >= 2000:
            flush()
    if batch:
        flush()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    session.close()
    engine.dispose()
    return {"seconds": seconds, "cpu_seconds": cpu, "records": records}


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, str) else str(value)


PHASES: dict[str, Callable[..., dict[str, Any]]] = {
    "pull_ringsync": pull_ringsync,
    "pull_baseline": pull_baseline,
}


def child_main(argv: list[str]) -> None:
    """Run one phase in this (child) process and print its figures as one JSON line."""
    phase, kwargs = argv[0], json.loads(argv[1])
    result = PHASES[phase](**kwargs)
    result["ru_maxrss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(result))


def _in_child(phase: str, **kwargs: Any) -> dict[str, Any]:
    code = "import sys; from bench.bench_sync import child_main; child_main(sys.argv[1:])"
    done = subprocess.run(
        [sys.executable, "-c", code, phase, json.dumps(kwargs)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{phase} failed ({done.returncode}): {done.stderr[-3000:]}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def _traced_pull(args: argparse.Namespace, workdir: Path, org: Org | None) -> dict[str, Any]:
    """Pull ``--tracemalloc-leads`` leads with tracemalloc on (slow, so apart from the timing).

    ``org`` is the timed pull's emulator, reused when it holds that many leads.
    """
    tracedir = workdir / "traced"
    tracedir.mkdir()
    with contextlib.ExitStack() as stack:
        if org is None:
            org = stack.enter_context(emulator(tracedir, args.tracemalloc_leads))
        traced = _in_child(
            "pull_ringsync",
            base_url=org.base_url,
            ca_path=str(org.ca_path),
            workdir=str(tracedir),
            bulk_threshold=args.bulk_threshold,
            trace=True,
        )
    return {
        "leads": args.tracemalloc_leads,
        "tracemalloc_peak_mb": traced["tracemalloc_peak_mb"],
        "ru_maxrss_mb": traced["ru_maxrss_mb"],
    }


def bench_pull(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Measure the engine's initial pull against simple-salesforce + SQLAlchemy Core."""
    with emulator(workdir, args.leads) as org:
        fields = lead_fields(org)
        common = {"base_url": org.base_url, "ca_path": str(org.ca_path)}
        admin_stats(org, reset=True)
        ours = _in_child(
            "pull_ringsync",
            **common,
            workdir=str(workdir),
            bulk_threshold=args.bulk_threshold,
            trace=False,
        )
        our_calls = admin_stats(org, reset=True)
        base = _in_child("pull_baseline", **common, workdir=str(workdir), fields=list(fields))
        base_calls = admin_stats(org, reset=True)
        same = args.tracemalloc_leads == args.leads
        traced = _traced_pull(args, workdir, org) if same else None
    if args.tracemalloc_leads and not same:
        traced = _traced_pull(args, workdir, None)
    rate = ours["records"] / ours["seconds"]
    base_rate = base["records"] / base["seconds"]
    calls = our_calls["api_calls_total"]
    per_record = calls / max(ours["records"], 1)
    ratio = rate / base_rate
    return {
        "leads_seeded": args.leads,
        "records_read": ours["records"],
        "contacts_created": ours["contacts"],
        "links_created": ours["links"],
        "engine_totals": ours["totals"],
        "seconds": round(ours["seconds"], 2),
        "records_per_second": round(rate),
        "api_calls": calls,
        "api_calls_by_endpoint": our_calls["calls"],
        "api_calls_per_record": round(per_record, 7),
        "records_per_api_call": round(ours["records"] / max(calls, 1)),
        "ru_maxrss_mb": ours["ru_maxrss_mb"],
        "traced_pull": traced,
        "baseline_records": base["records"],
        "baseline_seconds": round(base["seconds"], 2),
        "baseline_records_per_second": round(base_rate),
        "baseline_api_calls": base_calls["api_calls_total"],
        "baseline_ru_maxrss_mb": base["ru_maxrss_mb"],
        "ratio_to_baseline": round(ratio, 3),
        # CPU time of each side's own process: steadier than wall time on a shared machine.
        "cpu_ms_per_record": round(1000 * ours["cpu_seconds"] / max(ours["records"], 1), 3),
        "baseline_cpu_ms_per_record": round(
            1000 * base["cpu_seconds"] / max(base["records"], 1), 3
        ),
        "cpu_ratio_to_baseline": round(base["cpu_seconds"] / max(ours["cpu_seconds"], 1e-9), 4),
        "targets": {"api_calls_per_record_max": 1 / 2000, "ratio_to_baseline_min": 2.0},
        "targets_met": {
            "api_calls_per_record": per_record <= 1 / 2000,
            "ratio_to_baseline": ratio >= 2.0,
        },
    }


def main(argv: list[str]) -> dict[str, Any]:
    """Run the chosen sub-benchmarks and return their figures."""
    from bench.sync_push import bench_latency, bench_push

    parser = argparse.ArgumentParser(prog="bench sync")
    parser.add_argument("--only", default=",".join(BENCHMARKS), help="comma-separated subset")
    parser.add_argument("--leads", type=int, default=100_000, help="leads the pull reads")
    parser.add_argument("--bulk-threshold", type=int, default=10_000, help="engine's Bulk query")
    parser.add_argument(
        "--tracemalloc-leads", type=int, default=10_000, help="traced pull size (0 = skip)"
    )
    parser.add_argument("--push-records", type=int, default=20_000)
    parser.add_argument("--full", action="store_true", help="push 100,000 records")
    parser.add_argument("--ingest-threshold", type=int, default=2000, help="engine's Bulk ingest")
    parser.add_argument("--rate", type=float, default=20.0, help="events per second")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of events")
    parser.add_argument("--latency-contacts", type=int, default=100)
    parser.add_argument("--debounce", type=float, default=0.5, help="runner debounce, seconds")
    args = parser.parse_args(argv)
    if args.full:
        args.push_records = 100_000
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown sub-benchmark(s) {unknown}; choose from {list(BENCHMARKS)}")
    runs: dict[str, Callable[[argparse.Namespace, Path], dict[str, Any]]] = {
        "pull": bench_pull,
        "push": bench_push,
        "latency": bench_latency,
    }
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as tmp:
        for name in chosen:
            workdir = Path(tmp) / name
            workdir.mkdir()
            result[name] = runs[name](args, workdir)
    return result


__all__ = ["bench_pull", "child_main", "main", "pull_baseline", "pull_ringsync"]
