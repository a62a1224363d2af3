"""Two real Celery workers on Redis and Postgres: nothing lost, no overlap, crash safety."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import text

from ringsync.runtime.celery_app import create_celery_app
from ringsync.runtime.leases import LeaseRepository, account_lease_key
from ringsync.settings import Settings
from ringsync.store.db import Database

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(90)]

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
LEASE_TTL = 1.5
VISIBILITY = 5.0


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


class Workers:
    """Start worker subprocesses and always stop them."""

    def __init__(self, pg_url: str, prefix: str, logs: Path) -> None:
        self.env = {
            **os.environ,
            "RINGSYNC_DATABASE_URL": pg_url,
            "RINGSYNC_BROKER_URL": "redis://127.0.0.1:6379/0",
            "PYTHONPATH": os.pathsep.join([str(HERE), str(REPO / "src")]),
        }
        self.prefix = prefix
        self.logs = logs
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, count: int, registry: str = "build_registry") -> None:
        for index in range(count):
            log = self.logs / f"worker{index}.log"
            command = [
                sys.executable,
                "-m",
                "ringsync.runtime.worker",
                "worker",
                "--registry",
                f"runtime_worker_tasks:{registry}",
                "--key-prefix",
                self.prefix,
                "--lease-ttl",
                str(LEASE_TTL),
                "--visibility-timeout",
                str(VISIBILITY),
                "--restore-interval",
                "1",
                "--pool=solo",
                "--loglevel=INFO",
                f"--hostname=rt{index}-{self.prefix.strip(':')}@localhost",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ]
            with log.open("wb") as out:
                self.procs.append(
                    subprocess.Popen(command, env=self.env, stdout=out, stderr=subprocess.STDOUT)
                )
        for index in range(count):
            self.wait_ready(self.logs / f"worker{index}.log")

    @staticmethod
    def wait_ready(log: Path) -> None:
        wait_until(
            lambda: " ready." in log.read_text(errors="replace"),
            30,
            f"{log.name} to say ready: {log.read_text(errors='replace')[-2000:]}",
        )

    def start_beat(self, poll_every: float) -> None:
        log = self.logs / "beat.log"
        command = [
            sys.executable,
            "-m",
            "ringsync.runtime.worker",
            "beat",
            "--registry",
            "runtime_worker_tasks:build_polling_registry",
            "--key-prefix",
            self.prefix,
            "--poll-every",
            str(poll_every),
            "--loglevel=INFO",
        ]
        with log.open("wb") as out:
            self.procs.append(
                subprocess.Popen(
                    command,
                    env={**self.env, "RINGSYNC_DATA_DIR": str(self.logs)},
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


@pytest.fixture
def workers(pg_url: str, redis_prefix: str, tmp_path: Path) -> Iterator[Workers]:
    started = Workers(pg_url, redis_prefix, tmp_path)
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture
def journal_db(pg_db: Database) -> Database:
    from runtime_worker_tasks import SCHEMA

    with pg_db.write() as session:
        for statement in SCHEMA:
            session.execute(text(statement))
    return pg_db


def client_app(pg_url: str, prefix: str) -> Any:
    from runtime_worker_tasks import build_registry

    settings = Settings(database_url=pg_url, broker_url="redis://127.0.0.1:6379/0")
    return create_celery_app(settings, registry=build_registry(), key_prefix=prefix)


def rows(db: Database, sql: str, **params: Any) -> list[Any]:
    with db.read() as session:
        return list(session.execute(text(sql), params).all())


def test_two_workers_lose_nothing_and_never_overlap_an_account(
    workers: Workers, journal_db: Database, pg_url: str, redis_prefix: str
) -> None:
    accounts = list(range(100, 130))
    workers.start(2)
    runner = client_app(pg_url, redis_prefix).ringsync_runner
    first_ids = {
        account: runner.submit("sync_inbound", account_id=account, steps=2, step_seconds=0.01)
        for account in accounts
    }
    # A storm of extra jobs for a few accounts: they race for the same leases.
    for account, nonce in itertools.product(accounts[:6], range(3)):
        runner.submit("sync_inbound", account_id=account, steps=2, step_seconds=0.01, n=nonce)

    def all_ran() -> bool:
        done = rows(journal_db, "SELECT DISTINCT account_id FROM rt_runs WHERE finished")
        return {row.account_id for row in done} >= set(accounts)

    wait_until(all_ran, 60, "every account to run")
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    try:
        wait_until(
            lambda: (
                client.llen(f"{redis_prefix}ringsync") == 0
                and client.hlen(f"{redis_prefix}unacked") == 0
            ),
            30,
            "the queue to drain and every message to be acknowledged",
        )
    finally:
        client.close()

    runs = rows(journal_db, "SELECT account_id, job_id, pid, started, ended FROM rt_runs")
    assert {row.job_id for row in runs} >= set(first_ids.values())
    assert len({row.pid for row in runs}) == 2  # both workers took part
    for account in accounts:
        spans = sorted((r.started, r.ended) for r in runs if r.account_id == account)
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans)), (account, spans)
    effects = rows(journal_db, "SELECT account_id, count(*) AS n FROM rt_applied GROUP BY 1")
    assert {row.account_id: row.n for row in effects} == dict.fromkeys(accounts, 2)


def test_a_killed_worker_s_job_is_finished_by_the_other_without_duplicate_effects(
    workers: Workers, journal_db: Database, pg_url: str, redis_prefix: str
) -> None:
    account, steps = 500, 30
    workers.start(2)
    runner = client_app(pg_url, redis_prefix).ringsync_runner
    runner.submit("sync_inbound", account_id=account, steps=steps, step_seconds=0.1)

    def started() -> bool:
        return bool(rows(journal_db, "SELECT 1 FROM rt_applied WHERE account_id = :a", a=account))

    wait_until(started, 20, "the long task to start")
    victim = rows(journal_db, "SELECT pid FROM rt_runs WHERE account_id = :a", a=account)[0].pid
    os.kill(victim, signal.SIGKILL)

    def finished() -> bool:
        return bool(
            rows(journal_db, "SELECT 1 FROM rt_runs WHERE account_id = :a AND finished", a=account)
        )

    wait_until(finished, 40, "the other worker to finish the redelivered job")

    runs = rows(journal_db, "SELECT pid, finished FROM rt_runs WHERE account_id = :a", a=account)
    survivor = {row.pid for row in runs if row.finished}
    assert victim not in survivor
    assert len(survivor) == 1
    applied = rows(
        journal_db,
        "SELECT step, count(*) AS n FROM rt_applied WHERE account_id = :a GROUP BY 1",
        a=account,
    )
    assert {row.step: row.n for row in applied} == dict.fromkeys(range(steps), 1)
    assert LeaseRepository(journal_db).last_token(account_lease_key(account)) >= 2
    assert LeaseRepository(journal_db).current(account_lease_key(account)) is None


def test_sigterm_stops_the_task_between_batches_and_the_other_worker_continues(
    workers: Workers, journal_db: Database, pg_url: str, redis_prefix: str
) -> None:
    account, steps = 600, 40
    workers.start(2)
    runner = client_app(pg_url, redis_prefix).ringsync_runner
    runner.submit("sync_inbound", account_id=account, steps=steps, step_seconds=0.1)

    def started() -> bool:
        return bool(rows(journal_db, "SELECT 1 FROM rt_applied WHERE account_id = :a", a=account))

    wait_until(started, 20, "the long task to start")
    first = rows(journal_db, "SELECT pid FROM rt_runs WHERE account_id = :a", a=account)[0].pid
    proc = next(p for p in workers.procs if p.pid == first)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(20) == 0  # a warm shutdown that did not wait for all 40 batches

    def finished() -> bool:
        return bool(
            rows(journal_db, "SELECT 1 FROM rt_runs WHERE account_id = :a AND finished", a=account)
        )

    wait_until(finished, 30, "the other worker to continue the requeued job")
    runs = rows(journal_db, "SELECT pid, finished FROM rt_runs WHERE account_id = :a", a=account)
    assert {(row.pid, row.finished) for row in runs} >= {(first, False)}
    assert {row.pid for row in runs if row.finished} - {first}
    applied = rows(
        journal_db,
        "SELECT step, count(*) AS n FROM rt_applied WHERE account_id = :a GROUP BY 1",
        a=account,
    )
    assert {row.step: row.n for row in applied} == dict.fromkeys(range(steps), 1)
    assert LeaseRepository(journal_db).last_token(account_lease_key(account)) == 2


def test_beat_polls_and_due_accounts_are_synced(
    workers: Workers, journal_db: Database, redis_prefix: str, tmp_path: Path
) -> None:
    workers.start(1, registry="build_polling_registry")
    workers.start_beat(poll_every=0.5)

    def polled() -> bool:
        done = rows(journal_db, "SELECT DISTINCT account_id FROM rt_runs WHERE finished")
        return {row.account_id for row in done} >= {700, 701}

    wait_until(polled, 30, "beat's poll to sync the due accounts")
    assert list(tmp_path.glob("celerybeat-schedule*"))  # beat keeps its state in data_dir
