"""F7: SIGKILL of a Celery worker at a stage; the surviving worker finishes and nothing is lost.

Real worker processes (Redis broker, Postgres store) sync one account against sfemu on a TLS
socket in this process. A latency fault holds the chosen call; the worker holding the
account's lease is killed while it waits. The CI profile kills at one stage (an outbound
Collections call in flight); the full profile also kills during the inbound query. Redis and
Postgres are shared services here, so they are never restarted.
"""

from __future__ import annotations

import os
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2
import pytest
from generator import Size, generate
from harness import World, password_client
from oracle import check

from conftest import FULL, SEEDS
from fixtures.services import REDIS_URL
from ringsync.clock import FrozenClock
from ringsync.domain.accounts import create_account
from ringsync.domain.connections import (
    ConnectionMethod,
    ConnectionSpec,
    ConnectionState,
    save_connection,
)
from ringsync.runtime.leases import LeaseRepository, account_lease_key
from ringsync.runtime.wiring import worker_registry
from ringsync.salesforce.tokens import TokenCipher, generate_key
from ringsync.settings import Settings
from ringsync.store.db import open_database
from ringsync.store.repositories.sync_log import list_runs
from sfemu.app import create_emulator_app
from sfemu.cli import ADMIN_PASSWORD, ADMIN_USERNAME
from sfemu.oauth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from sfemu.org import Org
from sfemu.seed import define_contact_center_fields
from sfemu.server import start_server

HERE = Path(__file__).resolve().parent
STAGES = {
    "outbound-http": ("composite/sobjects*", "sync_outbound"),
    "inbound-query": ("query*", "sync_inbound"),
}
KILL_STAGES = list(STAGES) if FULL else ["outbound-http"]
KILL_SEEDS = SEEDS if FULL else SEEDS[:1]
KILL_SIZE = Size(16, 2, 24) if FULL else Size(6, 1, 12)


class WallClock(FrozenClock):
    """Read the real time: the workers use it too; ``advance`` only reports it."""

    def now(self) -> datetime:
        """Return the current time."""
        return datetime.now(UTC)

    def advance(self, delta: timedelta | float) -> datetime:
        """Leave time alone (events are stamped as they happen)."""
        del delta
        return self.now()


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


class Workers:
    """Real worker processes; always stopped."""

    def __init__(self, settings: Settings, ca_path: str, prefix: str, logs: Path) -> None:
        assert settings.encryption_keys is not None
        self.env = {
            **os.environ,
            "RINGSYNC_DATABASE_URL": settings.database_url,
            "RINGSYNC_BROKER_URL": REDIS_URL,
            "RINGSYNC_ENCRYPTION_KEYS": settings.encryption_keys.get_secret_value(),
            "RINGSYNC_SALESFORCE_ALLOWED_HOSTS": settings.salesforce_allowed_hosts,
            "RINGSYNC_RUNNER": "celery",
            "RINGSYNC_ENV_FILE": "",
            "SSL_CERT_FILE": ca_path,
            "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
        }
        self.prefix = prefix
        self.logs = logs
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, count: int) -> None:
        for index in range(count):
            log = self.logs / f"worker{index}.log"
            command = [
                sys.executable,
                "-m",
                "ringsync.runtime.worker",
                "worker",
                "--registry",
                "reliability_worker_registry:build_registry",
                "--key-prefix",
                self.prefix,
                "--lease-ttl",
                "3",
                "--visibility-timeout",
                "5",
                "--restore-interval",
                "1",
                "--pool=solo",
                "--loglevel=INFO",
                f"--hostname=rel{index}-{self.prefix.strip(':')}@localhost",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ]
            with log.open("wb") as out:
                self.procs.append(
                    subprocess.Popen(command, env=self.env, stdout=out, stderr=subprocess.STDOUT)
                )
        for index in range(count):
            log = self.logs / f"worker{index}.log"
            wait_until(lambda log=log: " ready." in log.read_text(errors="replace"), 30, log.name)

    def tail(self) -> str:
        return "\n".join(
            f"--- {log.name}\n{log.read_text(errors='replace')[-2000:]}"
            for log in sorted(self.logs.glob("worker*.log"))
        )

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(3)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


def _rep_user(org: Org) -> str:
    return str(
        org.create(
            "User",
            {
                "Username": "rep@users.sfemu.test",
                "LastName": "Rep",
                "Email": "rep@users.sfemu.test",
                "Alias": "rep",
                "CommunityNickname": "rep",
                "ProfileId": org.standard_profile_id,
            },
        )
    )


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.timeout(240 if FULL else 90)
@pytest.mark.parametrize("stage", KILL_STAGES)
@pytest.mark.parametrize("seed", KILL_SEEDS, ids=[f"seed{s:02d}" for s in KILL_SEEDS])
def test_a_worker_killed_at_a_stage_loses_nothing(
    pg_url: str, redis_prefix: str, tmp_path: Path, seed: int, stage: str
) -> None:
    from ringsync.runtime.celery_app import create_celery_app

    org = Org()
    define_contact_center_fields(org)
    app = create_emulator_app(org)
    server = start_server(app, tls=True, cert_dir=tmp_path / "tls")
    assert server.ca_path is not None
    ca_path = str(server.ca_path)
    settings = Settings(
        database_url=pg_url,
        encryption_keys=generate_key(),
        salesforce_allowed_hosts=f"127.0.0.1:{server.port}",
        runner="celery",
        broker_url=REDIS_URL,
    )
    db = open_database(pg_url, migrate=False)
    http = httpx2.Client(verify=ssl.create_default_context(cafile=ca_path), timeout=10.0)
    workers = Workers(settings, ca_path, redis_prefix, tmp_path)
    celery = create_celery_app(
        settings, registry=worker_registry(settings), key_prefix=redis_prefix
    )
    runner = celery.ringsync_runner
    clock = WallClock()
    try:
        with db.write() as session:
            account = create_account(session, f"Kill {seed} {stage}").id
            spec = ConnectionSpec(
                ConnectionMethod.PASSWORD,
                server.base_url,
                DEFAULT_CLIENT_ID,
                ADMIN_USERNAME,
                {"client_secret": DEFAULT_CLIENT_SECRET, "password": ADMIN_PASSWORD},
            )
            save_connection(
                session,
                account,
                spec,
                TokenCipher.from_settings(settings),
                state=ConnectionState.CONNECTED,
                instance_url=server.base_url,
            )
        world = World(
            seed=seed,
            db=db,
            clock=clock,
            app=app,
            client=password_client(http, server.base_url, clock, seed),
            account_id=account,
            rep_user_id=_rep_user(org),
        )
        world.configure()
        scenario = generate(seed, KILL_SIZE)
        workers.start(2)

        def passes_since(after: int) -> set[str]:
            with db.read() as session:
                runs = list_runs(session, account, limit=50)
            return {r.direction for r in runs if r.id > after and r.finished_at is not None}

        def last_run() -> int:
            with db.read() as session:
                runs = list_runs(session, account, limit=1)
            return runs[0].id if runs else 0

        def settle(what: str) -> None:
            """Ask for both passes (again while one is skipped as busy) until both ran."""
            after = last_run()
            deadline = time.monotonic() + 60
            while not ({"inbound", "outbound"} <= passes_since(after) and not world.pending()):
                if time.monotonic() > deadline:
                    pytest.fail(f"seed {seed}, {stage}: timed out: {what}\n{workers.tail()}")
                runner.submit("sync_inbound", account_id=account)
                runner.wake(account)
                time.sleep(2)

        world.create_early(scenario)
        settle("the early people to be created")
        wait_until(
            lambda: len(world.links()) == len([p for p in scenario.people if not p.late]),
            60,
            "every early person to be linked",
        )
        world.adopt_early(scenario)
        world.create_late(scenario)
        for event in scenario.events():
            world.apply(event)

        endpoint, task = STAGES[stage]
        rule = world.faults.add(
            {"kind": "latency", "endpoint": endpoint, "latency_ms": 1500, "count": 1}
        )
        if task == "sync_outbound":
            runner.wake(account)
        else:
            runner.submit(task, account_id=account)
        wait_until(lambda: rule.fired >= 1, 30, f"the {stage} call to reach Salesforce")
        holder = LeaseRepository(db).current(account_lease_key(account))
        assert holder is not None, f"seed {seed}: nobody holds the lease at {stage}"
        victim = int(holder.holder.split(":")[1])
        assert victim in {p.pid for p in workers.procs}
        os.kill(victim, signal.SIGKILL)

        settle("the surviving worker to drain")
        settle("a second quiet round")
        check(world, scenario)
    finally:
        workers.stop()
        http.close()
        server.stop()
        db.dispose()


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.timeout(240 if FULL else 90)
@pytest.mark.parametrize("seed", KILL_SEEDS, ids=[f"seed{s:02d}" for s in KILL_SEEDS])
def test_a_worker_killed_during_settlement_loses_nothing(
    pg_url: str, redis_prefix: str, tmp_path: Path, seed: int
) -> None:
    """F7 at settlement: Salesforce applied the writes, the store never recorded them.

    The workers serve ``build_settle_pause_registry``: the first settlement holding successful
    writes stops inside its transaction, after its statements and before the commit, and
    reports its pid; that worker is killed. The survivor must take the claimed rows over once
    the claim lapses and find the records already there (no duplicate), and every change
    must arrive.
    """
    from harness import live_rig, wait_for
    from oracle import check_settled
    from reliability_worker_registry import SETTLE_PAUSE_ENV

    pause = tmp_path / "pause"
    pause.mkdir()
    scenario = generate(seed, KILL_SIZE)
    with live_rig(
        seed,
        pg_url=pg_url,
        prefix=redis_prefix,
        tmp_path=tmp_path,
        redis_url=REDIS_URL,
        registry="reliability_worker_registry:build_settle_pause_registry",
        extra_env={SETTLE_PAUSE_ENV: str(pause)},
    ) as rig:
        rig.baseline(scenario)
        rig.procs.start_workers(2)
        writes = rig.world.stats.write_calls_total
        (pause / "armed").touch()
        for event in scenario.events():
            rig.apply(event)
        rig.runner.wake(rig.account_id)
        wait_for(lambda: any(pause.glob("paused-*")), 30, "a settlement to pause", rig.procs.tail())
        victim = int(next(pause.glob("paused-*")).read_text())
        assert rig.world.stats.write_calls_total > writes, "nothing was sent before settling"
        holder = LeaseRepository(rig.world.db).current(account_lease_key(rig.account_id))
        assert holder is not None, f"seed {seed}: nobody holds the lease while settling"
        assert int(holder.holder.split(":")[1]) == victim
        assert victim in {p.pid for p in rig.procs.workers}
        os.kill(victim, signal.SIGKILL)

        rig.settle("the surviving worker to redo the settlement")
        rig.settle("a second quiet round")
        assert [p.pid for p in rig.procs.alive()] != [], "no worker survived"
        check(rig.world, scenario)
        check_settled(rig.world, scenario)
