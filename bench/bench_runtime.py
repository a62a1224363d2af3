"""Runner benchmarks: per-task overhead of the runners, and multi-account throughput on workers.

Run: ``python -m bench runtime [-- --only overhead|workers --tasks 500 --accounts 20
--records 500]``. Figures, each against a baseline measured in the same run:

* overhead (``bench/runtime_overhead.py``): median and p95 per task, and tasks per second, of
  the embedded runner and of Celery (Redis broker, one solo worker process) running a trivial
  task and a store-bound one, against calling the same task function directly.
* workers (``bench/runtime_drain.py``): A accounts on Postgres, each connected to one sfemu,
  each with K queued outbound changes; the time to drain them all and records per second with
  one worker process and with two, against the engine called in this process; the ratio two
  to one; API calls per record (sfemu's counters); the peak RSS of every worker.

Postgres (127.0.0.1:5432) and Redis (127.0.0.1:6379) are needed for the Celery parts; every
database and Redis key created here is removed at the end. Absolute times on a shared machine
are noise: compare the ratios.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

PARTS = ("overhead", "workers")


def parse(argv: list[str]) -> argparse.Namespace:
    """Read the sizes and the parts to run."""
    parser = argparse.ArgumentParser(prog="python -m bench runtime --")
    parser.add_argument("--only", default="overhead,workers", help="overhead, workers or both")
    parser.add_argument("--tasks", type=int, default=500, help="tasks per kind and runner")
    parser.add_argument(
        "--runners", default="direct,embedded,celery", help="overhead: which runners to measure"
    )
    parser.add_argument(
        "--store", choices=("postgres", "sqlite"), default="postgres", help="overhead store"
    )
    parser.add_argument("--overhead-accounts", type=int, default=4)
    parser.add_argument("--embedded-threads", type=int, default=2)
    parser.add_argument("--accounts", type=int, default=20, help="workers: accounts")
    parser.add_argument("--records", type=int, default=500, help="workers: changes per account")
    parser.add_argument("--timeout", type=float, default=900.0, help="workers: seconds per drain")
    parser.add_argument(
        "--stall",
        type=float,
        default=120.0,
        help="workers: give up after this long without progress",
    )
    args = parser.parse_args(argv)
    parts = [p for p in args.only.split(",") if p]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown or not parts:
        parser.error(f"--only takes {' or '.join(PARTS)} (comma-separated), got {args.only!r}")
    args.parts = parts
    return args


def main(argv: list[str]) -> dict[str, Any]:
    """Run the chosen parts and return their figures."""
    args = parse(argv)
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="ringsync-bench-runtime-") as tmp:
        workdir = Path(tmp)
        if "overhead" in args.parts:
            from bench.runtime_overhead import bench_overhead

            (workdir / "overhead").mkdir()
            result["overhead"] = bench_overhead(args, workdir / "overhead")
        if "workers" in args.parts:
            from bench.runtime_drain import bench_workers

            (workdir / "workers").mkdir()
            result["workers"] = bench_workers(args, workdir / "workers")
    return result
