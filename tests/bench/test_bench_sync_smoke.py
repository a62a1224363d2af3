"""Keep the sync benchmark working: each sub-benchmark at a tiny size, no timing assertions.

The figures asserted are the deterministic ones: record counts, API calls per record, and that
every rate and ratio was computed.
"""

from __future__ import annotations

import importlib
import math
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(monkeypatch: pytest.MonkeyPatch, *argv: str) -> dict[str, Any]:
    monkeypatch.syspath_prepend(str(ROOT))
    bench = importlib.import_module("bench.bench_sync")
    result: dict[str, Any] = bench.main(list(argv))
    return result


def test_pull_reads_every_lead_through_bulk_with_a_handful_of_calls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = run(
        monkeypatch,
        "--only",
        "pull",
        "--leads",
        "200",
        "--bulk-threshold",
        "100",
        "--tracemalloc-leads",
        "200",
    )

    pull = result["pull"]
    assert pull["records_read"] == pull["baseline_records"] == 200
    totals = pull["engine_totals"]
    assert totals["created"] + totals.get("skipped", 0) + totals.get("failed", 0) == 200
    assert pull["contacts_created"] == pull["links_created"] == totals["created"] > 150
    assert "jobs/query" in pull["api_calls_by_endpoint"]  # the Bulk 2.0 path was taken
    assert pull["api_calls"] <= 8
    assert pull["baseline_api_calls"] == 1  # one REST page of 2,000
    assert pull["ratio_to_baseline"] > 0
    assert pull["cpu_ratio_to_baseline"] > 0
    assert pull["ru_maxrss_mb"] > 0
    assert pull["traced_pull"]["leads"] == 200
    assert pull["traced_pull"]["tracemalloc_peak_mb"] > 0


def test_push_sends_200_records_a_collections_call_and_one_small_bulk_job(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = run(
        monkeypatch,
        "--only",
        "push",
        "--push-records",
        "450",
        "--ingest-threshold",
        "300",
        "--bulk-threshold",
        "100000",
    )

    push = result["push"]
    linked = push["contacts_linked"]
    assert linked > 400
    collections, bulk = push["collections"], push["bulk"]
    assert collections["records_sent"] == bulk["records_sent"] == linked
    # One run claims 300 rows at a time (the ingest threshold), claims again after a full
    # claim, and sends each claim 200 records a call.
    per_claim = [min(300, linked - start) for start in range(0, linked, 300)]
    assert collections["engine_runs"] == 1
    assert collections["collections_calls"] == sum(math.ceil(n / 200) for n in per_claim)
    assert collections["api_calls"] == collections["collections_calls"]
    assert collections["bulk_ingest_calls"] == 0
    assert collections["salesforce_records_with_value"] == linked
    assert bulk["collections_calls"] == 0
    assert 4 <= bulk["bulk_ingest_calls"] == bulk["api_calls"] <= 10
    assert bulk["salesforce_records_with_value"] == linked
    baseline = push["baseline_simple_salesforce"]
    assert baseline["records_sent"] == linked
    assert baseline["api_calls"] == math.ceil(linked / 200)
    assert push["collections_ratio_to_baseline"] > 0
    assert collections["cpu_ms_per_record"] > 0
    assert baseline["cpu_ms_per_record"] > 0
    assert push["bulk_ratio_to_baseline"] > 0


def test_latency_settles_every_event_with_fewer_calls_than_events(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = run(
        monkeypatch,
        "--only",
        "latency",
        "--rate",
        "10",
        "--duration",
        "2",
        "--latency-contacts",
        "12",
        "--debounce",
        "0.3",
    )

    latency = result["latency"]
    ours, baseline = latency["engine"], latency["baseline_one_call_per_event"]
    assert ours["events"] == ours["events_settled"] == 20
    assert ours["records_whose_call_total_matches"] == ours["records_touched"] > 0
    assert 1 <= ours["api_calls"] <= ours["events"]
    assert ours["median_ms"] > 0
    assert ours["p95_ms"] >= ours["median_ms"]
    assert baseline["events"] == baseline["api_calls"] == 20
    assert baseline["failed_calls"] == 0
    assert baseline["p99_ms"] >= baseline["median_ms"] > 0


def test_an_unknown_sub_benchmark_is_refused_with_the_choices(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run(monkeypatch, "--only", "pull,nope")

    assert exit_info.value.code == 2
    assert "unknown sub-benchmark(s) ['nope']" in capsys.readouterr().err
