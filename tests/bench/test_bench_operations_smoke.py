"""Keep the operations benchmark working at a tiny size; assert counts, never timings."""

from __future__ import annotations

import importlib
import math
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.timeout(120)


def run(monkeypatch: pytest.MonkeyPatch, *argv: str) -> dict[str, Any]:
    monkeypatch.syspath_prepend(str(ROOT))
    bench = importlib.import_module("bench.bench_operations")
    result: dict[str, Any] = bench.main(list(argv))
    return result


def test_the_pull_operation_is_previewed_run_and_compared_with_the_baseline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = run(
        monkeypatch,
        "--leads",
        "80",
        "--full-lrn-max",
        "50",
        "--full-leads",
        "60",
        "--tracemalloc-leads",
        "0",
        "--watch-seconds",
        "0",
    )

    ops = result["pull_operation"]
    assert ops["records_read"] == ops["baseline_records"] == 80
    assert ops["preview_counts"]["records"] == 80
    assert ops["preview_lrn_lookups"] == ops["contacts_created"] > 60
    # Above --full-lrn-max the run stops when the LRN step would begin: nothing is charged.
    assert (ops["status"], ops["lrn_lookups_made"]) == ("running", 0)
    assert [u["next_step"] for u in ops["progress_first"]] == ["read", "lrn"]
    assert ops["progress_updates"] == 2
    assert ops["api_calls"] == 3  # describe + one query page + its count
    assert ops["baseline_api_calls"] == 1
    assert ops["ratio_to_baseline"] > 0
    assert ops["ru_maxrss_mb"] > 0
    full = ops["full_run"]
    assert full["records_read"] == 60
    assert full["lrn_batches"] == math.ceil(full["lrn_lookups_made"] / 50)
    assert full["progress_updates"] == 2 + full["lrn_batches"]
    assert ops["traced_run"] == {}
