"""A full pull as a one-time operation: preview, then run, against a baseline in the same run.

Run: ``python -m bench operations [-- --leads 100000 --full-leads 2000 --tracemalloc-leads 1000]``.
One sfemu runs in a child process over HTTPS, seeded with ``--leads`` leads (reseeded through
``/__sfemu/reset`` for the small runs). Each measured side runs in its own child process, so
``ru_maxrss`` is that side's own:

* ringsync: ``OperationRunner.preview(pull_contacts)`` (the LRN estimate: every record's phone
  read and checked against the store), then ``OperationRunner.run(pull_contacts)`` into a fresh
  SQLite store: reset the cursors, the engine's inbound pass, then the LRN step (fake provider,
  50 numbers a batch). Every progress update the runner reports is printed to stderr as it
  happens and counted; a watcher thread also prints the contact count every
  ``--watch-seconds``, because the engine's pass is a single runner batch.
* Above ``--full-lrn-max`` leads the timed run is stopped when the LRN step begins (each of
  its batches rescans the run's sync log, so the step grows with the square of the new
  numbers); a separate full run of ``--full-leads`` leads measures that step per batch.
* baseline: the same leads downloaded with unmodified simple-salesforce ``query_all_iter`` and
  upserted with SQLAlchemy Core in batches of 2,000 (``bench.bench_sync.pull_baseline``).
* peak memory: ``ru_maxrss`` of the timed run, and a tracemalloc peak from a separate run of
  ``--tracemalloc-leads`` leads (tracing slows Python several times, so it is not timed).
* API calls: sfemu's own counters (``/__sfemu/stats``), for the preview and the run apart.

Absolute rates on a shared machine are noise; compare the ratio and the API calls per record.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from bench.sync_wiring import (
    Org,
    admin_stats,
    contact_count,
    emulator,
    lead_fields,
    open_store,
    ringsync_client,
)

ROOT = Path(__file__).resolve().parent.parent


def _say(text: str) -> None:
    """Print one progress line to stderr (stdout carries the child's JSON)."""
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


class _Watcher:
    """Every few seconds, print the contact count and the operation's stored progress.

    The stored progress is what the admin page and ``ringsync op status`` read: the pull's
    engine pass stores it after each of its batches.
    """

    def __init__(
        self, count: Callable[[], int], progress: Callable[[], int | None], every: float
    ) -> None:
        self._count = count
        self._progress = progress
        self._every = every
        self._stop = threading.Event()
        self.samples = 0
        self.progress_seen: list[int] = []
        self._thread = threading.Thread(target=self._loop, name="progress-watcher", daemon=True)

    def _loop(self) -> None:
        started = time.perf_counter()
        while not self._stop.wait(self._every):
            try:
                contacts, stored = self._count(), self._progress()
            except Exception as exc:  # a busy SQLite read must not stop the benchmark
                _say(f"  [watch] count unavailable: {type(exc).__name__}")
                continue
            self.samples += 1
            if stored is not None:
                self.progress_seen.append(stored)
            _say(
                f"  [watch] {time.perf_counter() - started:7.1f}s  {contacts} contacts stored, "
                f"operation progress {stored}"
            )

    def __enter__(self) -> _Watcher:
        if self._every > 0:
            self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


def operation_ringsync(
    base_url: str,
    ca_path: str,
    workdir: str,
    trace: bool,
    watch_seconds: float,
    stop_after_read: bool,
) -> dict[str, Any]:
    """Preview and run a full pull operation into a fresh store (runs in a child process).

    With ``stop_after_read`` the runner is told to stop as soon as the engine's read step has
    committed, before the LRN step's first batch (the operation stays ``running``, resumable).
    """
    from ringsync.clock import SystemClock
    from ringsync.operations.handler import OperationEnv
    from ringsync.operations.lrn import FakeLrnProvider
    from ringsync.operations.model import Operation, OperationKind, OperationStatus
    from ringsync.operations.runner import create_runner

    org = Org(base_url, Path(ca_path))
    database, account_id = open_store(Path(workdir) / f"ops-{int(trace)}-{int(stop_after_read)}.db")
    client, http = ringsync_client(org)
    lrn = FakeLrnProvider()
    runner = create_runner(OperationEnv(database, client, SystemClock(), lrn))
    kind = OperationKind.PULL_CONTACTS
    if trace:
        tracemalloc.start()
    admin_stats(org, reset=True)
    started = time.perf_counter()
    preview = runner.preview(account_id, kind)
    preview_seconds = time.perf_counter() - started
    preview_calls = admin_stats(org, reset=True)
    _say(f"  preview: {preview.counts} in {preview_seconds:.1f}s; {'; '.join(preview.notes)}")
    updates: list[dict[str, Any]] = []
    run_started = time.perf_counter()

    def progress(operation: Operation) -> None:
        elapsed = time.perf_counter() - run_started
        step = (operation.cursor or {}).get("step", "?")
        done = operation.progress_done
        updates.append({"seconds": round(elapsed, 2), "next_step": step, "done": done})
        _say(f"  [progress] {elapsed:7.1f}s  next step={step}  done={done}")
        if stop_after_read and step == "lrn":
            stop.set()

    # Stopping through should_stop leaves the operation running with its cursor (resumable).
    # runner.cancel() is not used: the runner renews its 5-minute lease only between batches,
    # so during a long engine pass cancel() sees an expired lease and closes the operation.
    stop = threading.Event()
    current: dict[str, int] = {}

    def stored_progress() -> int | None:
        if "id" not in current:
            return None
        return runner.status(account_id, current["id"]).progress_done

    count = partial(contact_count, database, account_id)
    with _Watcher(count, stored_progress, watch_seconds) as watcher:
        queued = runner.start(account_id, kind)
        current["id"] = queued.id
        done = runner.execute(account_id, queued.id, on_progress=progress, should_stop=stop.is_set)
    seconds = time.perf_counter() - run_started
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    tracemalloc.stop()
    run_calls = admin_stats(org, reset=True)
    http.close()
    wanted = OperationStatus.RUNNING if stop_after_read else OperationStatus.SUCCEEDED
    if done.status is not wanted:
        raise RuntimeError(f"the pull operation ended {done.status.value}: {done.errors}")
    read_at = next((u["seconds"] for u in updates if u["next_step"] == "lrn"), seconds)
    lrn_batches = (
        len(updates)
        - 1
        - next((i for i, u in enumerate(updates) if u["next_step"] == "lrn"), len(updates) - 1)
    )
    result = {
        "status": done.status.value,
        "preview_seconds": preview_seconds,
        "preview_counts": preview.counts,
        "preview_lrn_lookups": preview.lrn_lookups,
        "preview_api_calls_estimate": preview.api_calls,
        "preview_api_calls": preview_calls["api_calls_total"],
        "preview_calls_by_endpoint": preview_calls["calls"],
        "seconds": seconds,
        "read_seconds": read_at,
        "lrn_seconds": seconds - read_at,
        "lrn_batches": lrn_batches,
        "counts": dict(done.counts),
        "progress_done": done.progress_done,
        "progress_updates": len(updates),
        "progress_first": updates[:3],
        "progress_last": updates[-3:],
        "watch_samples": watcher.samples,
        "stored_progress_seen": watcher.progress_seen,
        "lrn_calls": lrn.call_count,
        "contacts": contact_count(database, account_id),
        "api_calls": run_calls["api_calls_total"],
        "calls_by_endpoint": run_calls["calls"],
        "tracemalloc_peak_mb": round(peak / 2**20, 1),
    }
    database.dispose()
    return result


def _baseline(base_url: str, ca_path: str, workdir: str, fields: list[str]) -> dict[str, Any]:
    from bench.bench_sync import pull_baseline

    return pull_baseline(base_url, ca_path, workdir, fields)


PHASES: dict[str, Callable[..., dict[str, Any]]] = {
    "operation_ringsync": operation_ringsync,
    "pull_baseline": _baseline,
}


def child_main(argv: list[str]) -> None:
    """Run one phase in this (child) process and print its figures as one JSON line."""
    phase, kwargs = argv[0], json.loads(argv[1])
    result = PHASES[phase](**kwargs)
    result["ru_maxrss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(result))


def _in_child(phase: str, **kwargs: Any) -> dict[str, Any]:
    """Run a phase in a child process; its progress lines pass through to our stderr."""
    code = "import sys; from bench.bench_operations import child_main; child_main(sys.argv[1:])"
    done = subprocess.run(
        [sys.executable, "-c", code, phase, json.dumps(kwargs)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{phase} failed with exit code {done.returncode} (see stderr above)")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def _small_run(org: Org, leads: int, workdir: Path, *, trace: bool) -> dict[str, Any]:
    """Reseed the emulator with ``leads`` leads and run the whole operation, LRN step included."""
    small_dir = workdir / f"small-{leads}-{int(trace)}"
    small_dir.mkdir()
    _say(f"== {'tracemalloc' if trace else 'full (LRN step included)'} run: {leads} leads")
    with org.http() as http:
        http.post("/__sfemu/reset", json={"leads": leads, "users": 5, "seed": 1}).raise_for_status()
    figures = _in_child(
        "operation_ringsync",
        base_url=org.base_url,
        ca_path=str(org.ca_path),
        workdir=str(small_dir),
        trace=trace,
        watch_seconds=0,
        stop_after_read=False,
    )
    batches = figures["lrn_batches"]
    return {
        "leads": leads,
        "records_read": figures["counts"].get("read", 0),
        "read_seconds": round(figures["read_seconds"], 2),
        "lrn_lookups_made": figures["lrn_calls"],
        "lrn_batches": batches,
        "lrn_seconds": round(figures["lrn_seconds"], 2),
        "lrn_seconds_per_batch": round(figures["lrn_seconds"] / max(batches, 1), 3),
        "progress_updates": figures["progress_updates"],
        "api_calls": figures["api_calls"],
        "tracemalloc_peak_mb": figures["tracemalloc_peak_mb"] if trace else None,
        "ru_maxrss_mb": figures["ru_maxrss_mb"],
    }


def bench_operation(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Measure preview + run of a full pull operation against simple-salesforce + Core."""
    stop = args.leads > args.full_lrn_max
    _say(f"== seeding sfemu with {args.leads} leads")
    with emulator(workdir, args.leads) as org:
        fields = lead_fields(org)
        common = {"base_url": org.base_url, "ca_path": str(org.ca_path), "workdir": str(workdir)}
        _say(f"== ringsync: preview, then run pull_contacts{' up to the LRN step' if stop else ''}")
        ours = _in_child(
            "operation_ringsync",
            **common,
            trace=False,
            watch_seconds=args.watch_seconds,
            stop_after_read=stop,
        )
        admin_stats(org, reset=True)
        _say("== baseline: simple-salesforce query_all_iter + SQLAlchemy Core")
        base = _in_child("pull_baseline", **common, fields=list(fields))
        base_calls = admin_stats(org, reset=True)
        full = _small_run(org, args.full_leads, workdir, trace=False) if args.full_leads else {}
        traced = (
            _small_run(org, args.tracemalloc_leads, workdir, trace=True)
            if args.tracemalloc_leads
            else {}
        )
    read = int(ours["counts"].get("read", 0))
    rate = read / ours["read_seconds"]
    base_rate = base["records"] / base["seconds"]
    with_preview = read / (ours["read_seconds"] + ours["preview_seconds"])
    return {
        "leads_seeded": args.leads,
        "status": ours["status"],
        "lrn_step": "stopped before its first batch (resumable)" if stop else "run",
        "preview_seconds": round(ours["preview_seconds"], 2),
        "preview_counts": ours["preview_counts"],
        "preview_lrn_lookups": ours["preview_lrn_lookups"],
        "preview_api_calls": ours["preview_api_calls"],
        "preview_api_calls_estimate": ours["preview_api_calls_estimate"],
        "preview_calls_by_endpoint": ours["preview_calls_by_endpoint"],
        "read_seconds": round(ours["read_seconds"], 2),
        "run_seconds": round(ours["seconds"], 2),
        "run_counts": ours["counts"],
        "records_read": read,
        "contacts_created": ours["contacts"],
        "lrn_lookups_made": ours["lrn_calls"],
        "records_per_second": round(rate),
        "records_per_second_with_preview": round(with_preview),
        "progress_updates": ours["progress_updates"],
        "progress_first": ours["progress_first"],
        "progress_last": ours["progress_last"],
        "watch_samples": ours["watch_samples"],
        "stored_progress_seen": ours["stored_progress_seen"],
        "api_calls": ours["api_calls"],
        "api_calls_by_endpoint": ours["calls_by_endpoint"],
        "api_calls_per_record": round(ours["api_calls"] / max(read, 1), 7),
        "ru_maxrss_mb": ours["ru_maxrss_mb"],
        "full_run": full,
        "traced_run": traced,
        "baseline_records": base["records"],
        "baseline_seconds": round(base["seconds"], 2),
        "baseline_records_per_second": round(base_rate),
        "baseline_api_calls": base_calls["api_calls_total"],
        "baseline_ru_maxrss_mb": base["ru_maxrss_mb"],
        "ratio_to_baseline": round(rate / base_rate, 4),
        "ratio_to_baseline_with_preview": round(with_preview / base_rate, 4),
    }


def main(argv: list[str]) -> dict[str, Any]:
    """Run the operation benchmark and return its figures."""
    parser = argparse.ArgumentParser(prog="bench operations")
    parser.add_argument("--leads", type=int, default=100_000, help="leads the pull reads")
    parser.add_argument(
        "--tracemalloc-leads", type=int, default=1000, help="leads of the traced run (0: none)"
    )
    parser.add_argument(
        "--full-lrn-max",
        type=int,
        default=5000,
        help="above this many leads the timed run is cancelled when the LRN step begins",
    )
    parser.add_argument(
        "--full-leads", type=int, default=2000, help="leads of the run with the LRN step (0: none)"
    )
    parser.add_argument(
        "--watch-seconds", type=float, default=5.0, help="contact count every N s (0: off)"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-operations-") as tmp:
        return {"pull_operation": bench_operation(args, Path(tmp))}


__all__ = ["bench_operation", "child_main", "main", "operation_ringsync"]
