"""The runtime benchmark computes its figures at tiny sizes, and says clearly what is wrong.

``main(argv)`` is called in this process (it returns the figures; only ``python -m bench``
writes ``bench/results``). The Celery part needs Postgres and Redis: it skips without them,
except under ``CI=true``, where it must run. The multi-account workers part takes longer than
a smoke test may (an sfemu and three worker starts), so it is run by hand only.
"""

from __future__ import annotations

import importlib
import os
import socket
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """Import ``bench.bench_runtime`` from the repository root."""
    monkeypatch.syspath_prepend(str(ROOT))
    return importlib.import_module("bench.bench_runtime")


def require(host: str, port: int, what: str) -> None:
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError as exc:
        message = f"{what} is not reachable at {host}:{port} ({exc})"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; CI=true requires it")
        pytest.skip(f"{message}; start it to run this test")


def check_per_task(block: dict[str, Any]) -> None:
    for kind in ("bench_noop", "bench_activity"):
        per_task = block[kind]
        assert 0 < per_task["median_us"] <= per_task["p95_us"]
        assert per_task["tasks_per_second"] > 0


def test_embedded_overhead_is_measured_against_the_direct_call(bench: ModuleType) -> None:
    argv = ["--only", "overhead", "--store", "sqlite", "--runners", "direct,embedded"]
    result = bench.main([*argv, "--tasks", "5"])["overhead"]
    assert result["store"] == "sqlite"
    assert result["tasks_per_kind"] == 5
    assert set(result["runners"]) == {"direct", "embedded"}
    check_per_task(result["runners"]["direct"])
    check_per_task(result["runners"]["embedded"])
    assert set(result["ratios"]) == {"embedded_bench_noop", "embedded_bench_activity"}
    for ratio in result["ratios"].values():
        assert ratio["median_ratio_to_direct"] > 0
        assert ratio["tasks_per_second_ratio_to_direct"] > 0


@pytest.mark.postgres
@pytest.mark.redis
def test_celery_overhead_runs_one_worker_on_postgres_and_redis(bench: ModuleType) -> None:
    require("127.0.0.1", 5432, "Postgres")
    require("127.0.0.1", 6379, "Redis")
    result = bench.main(["--only", "overhead", "--runners", "direct,celery", "--tasks", "5"])
    celery = result["overhead"]["runners"]["celery"]
    check_per_task(celery)
    assert celery["worker_peak_rss_mb"] > 10
    assert result["overhead"]["ratios"]["celery_bench_noop"]["added_median_us_per_task"] > 0


def test_unknown_part_is_refused_with_the_choices(
    bench: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        bench.main(["--only", "everything"])
    assert exited.value.code == 2
    assert "--only takes overhead or workers" in capsys.readouterr().err


def test_unknown_runner_is_refused_with_the_choices(bench: ModuleType) -> None:
    argv = ["--only", "overhead", "--store", "sqlite", "--runners", "direct,threads"]
    with pytest.raises(SystemExit, match=r"unknown runner\(s\) threads; choose from"):
        bench.main(argv)


def test_missing_postgres_is_named_in_the_error(bench: ModuleType) -> None:
    del bench  # puts the repository root on sys.path
    fleet = importlib.import_module("bench.runtime_fleet")
    url = "postgresql+psycopg://postgres@127.0.0.1:1/postgres"
    with (
        pytest.raises(fleet.ServiceUnavailableError, match="Postgres is not reachable at"),
        fleet.postgres_database(url),
    ):
        pass


def test_missing_redis_is_named_in_the_error(bench: ModuleType) -> None:
    del bench  # puts the repository root on sys.path
    fleet = importlib.import_module("bench.runtime_fleet")
    with (
        pytest.raises(fleet.ServiceUnavailableError, match="Redis is not reachable at"),
        fleet.redis_prefix("redis://127.0.0.1:1/0"),
    ):
        pass


def test_a_worker_that_cannot_start_shows_its_log(bench: ModuleType, tmp_path: Path) -> None:
    del bench  # puts the repository root on sys.path
    fleet = importlib.import_module("bench.runtime_fleet")
    with (
        fleet.fleet("bench.no_such_module:registry", "unused:", {}, tmp_path) as workers,
        pytest.raises(RuntimeError, match="worker 0 did not start") as failed,
    ):
        workers.start(1, timeout=60)
    assert "cannot load registry factory 'bench.no_such_module:registry'" in str(failed.value)
