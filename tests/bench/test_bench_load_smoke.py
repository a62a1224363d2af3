"""Keep the load benchmark working: every phase at a tiny size, no timing assertions.

``main(argv)`` is called in this process (only ``python -m bench`` writes ``bench/results``).
The figures asserted are the deterministic ones: event counts, that every accepted event
reached sfemu with the right totals, fewer calls than events through the runner and exactly
one per event for the baseline, and the idle account's poll count and calls per poll.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.timeout(120)


def run(monkeypatch: pytest.MonkeyPatch, *argv: str) -> dict[str, Any]:
    monkeypatch.syspath_prepend(str(ROOT))
    bench = importlib.import_module("bench.bench_load")
    result: dict[str, Any] = bench.main(list(argv))
    return result


def check_load(block: dict[str, Any], events: int, contacts: int) -> None:
    assert block["offered"] == block["accepted"] == events
    assert block["never_accepted"] == 0
    assert block["errors"] == {}
    assert 0 < block["accepted_in_window"] <= events
    assert block["drain"] == "drained"
    assert block["events_settled"] == events
    assert block["events_unsettled"] == 0
    assert block["outbox_statuses_seen"] == {"done": events}
    latency = block["latency"]
    assert 0 < latency["median_ms"] <= latency["p95_ms"] <= latency["p99_ms"] <= latency["max_ms"]
    # Debounced runs coalesce: fewer Collections calls than events, each carrying records.
    assert 1 <= block["collections_calls"] < events
    assert block["engine"]["outbound_runs"] >= 1
    assert block["engine"]["runs_with_error"] == []
    assert 0 < block["records_sent"] <= events
    assert block["api_calls_per_event"] < 1
    check = block["salesforce_check"]
    assert check["contacts_touched"] == check["matching"] == min(events, contacts)
    assert block["peak_rss_mb"]["benchmark_process"] > 10
    assert block["peak_rss_mb"]["sfemu"] > 10


def test_every_phase_runs_and_every_event_reaches_salesforce(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = run(
        monkeypatch,
        "--contacts",
        "12",
        "--steady-rate",
        "10",
        "--steady-seconds",
        "1",
        "--burst-rate",
        "60",
        "--burst-seconds",
        "1",
        "--producers",
        "2",
        "--idle-hours",
        "0.5",
    )

    assert result["setup"]["contacts_linked"] >= 12
    check_load(result["steady"], 10, 12)
    check_load(result["burst"], 60, 12)
    # Both phases hit the same contacts: our totals hold every event of both.
    assert result["burst"]["salesforce_check"]["events_in_our_totals"] == 70

    idle = result["idle"]
    assert idle["simulated_seconds"] == 1800
    assert idle["poll_interval_seconds"] == 300
    # One poll every 300 simulated seconds after the set-up pull: six in half an hour.
    assert idle["polls"] == 6
    assert idle["steps_not_idle_in_60_s"] == 0
    assert idle["api_calls"] >= idle["polls"]
    assert idle["api_calls_per_poll"] == pytest.approx(idle["api_calls"] / idle["polls"], abs=1e-3)
    per_day = idle["api_calls_per_poll"] * 86_400 / 300
    assert idle["api_calls_per_day_at_default_interval"] == pytest.approx(per_day, rel=1e-3)
    assert 0 < idle["fraction_of_daily_limit"] < 1

    for name, events in (("steady", 10), ("burst", 60)):
        baseline = result["baseline"][name]
        assert baseline["accepted"] == baseline["api_calls"] == events
        assert baseline["failed_calls"] == 0
        assert baseline["api_calls_per_event"] == 1
        assert 0 < baseline["latency"]["median_ms"] <= baseline["latency"]["max_ms"]


def test_without_catch_up_no_event_is_offered_after_the_window(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = run(
        monkeypatch,
        "--only",
        "steady",
        "--contacts",
        "12",
        "--steady-rate",
        "10",
        "--steady-seconds",
        "1",
        "--producers",
        "1",
        "--no-catch-up",
    )

    steady = result["steady"]
    assert set(result) >= {"setup", "steady", "targets"}
    assert not {"burst", "idle", "baseline"} & set(result)
    assert steady["accepted"] == steady["accepted_in_window"] == steady["events_settled"]
    assert steady["offered"] == steady["accepted"] + steady["never_accepted"] == 10


def test_the_batch_path_accepts_groups_and_every_event_reaches_salesforce(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = run(
        monkeypatch,
        "--only",
        "steady",
        "--contacts",
        "12",
        "--steady-rate",
        "30",
        "--steady-seconds",
        "1",
        "--producers",
        "2",
        "--batch",
        "8",
    )

    assert result["batch"] == result["steady"]["batch"] == 8
    # 30 events in groups of 8 (the last one of 6), each group one outbox row per contact.
    check_load(result["steady"], 30, 12)
    assert result["steady"]["salesforce_check"]["events_in_our_totals"] == 30


def test_unknown_phases_and_celery_on_sqlite_are_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as unknown:
        run(monkeypatch, "--only", "steady,soak")
    assert unknown.value.code == 2
    assert "unknown phase(s) ['soak']" in capsys.readouterr().err

    with pytest.raises(SystemExit) as batch:
        run(monkeypatch, "--batch", "501")
    assert batch.value.code == 2
    assert "--batch must be 1 to 500" in capsys.readouterr().err

    with pytest.raises(SystemExit) as celery:
        run(monkeypatch, "--runner", "celery")
    assert celery.value.code == 2
    assert "--runner celery needs --store postgres" in capsys.readouterr().err
