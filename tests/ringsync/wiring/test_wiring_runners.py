"""Several accounts synced at once on both runners; a worker killed mid-batch loses nothing.

One sfemu (TLS, in this process, on a real socket) serves every account. Each account creates
its own contacts (distinct phone numbers) and records calls and texts; the runner is woken and
must create exactly one Lead per contact, carry the tracking totals, and never run two passes
of one account at the same time. Polling is off so accounts never pull each other's Leads.
"""

from __future__ import annotations

import itertools
import os
import signal
import ssl
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest

from fixtures.services import REDIS_URL
from ringsync.clock import SystemClock
from ringsync.commands.demo_events import record
from ringsync.domain.accounts import create_account
from ringsync.domain.connections import (
    ConnectionMethod,
    ConnectionSpec,
    ConnectionState,
    save_connection,
)
from ringsync.domain.contacts import create_contact
from ringsync.domain.sync_settings import edit_draft, save_draft
from ringsync.runtime.embedded import EmbeddedRunner
from ringsync.runtime.leases import LeaseRepository, account_lease_key
from ringsync.runtime.runner import Runner
from ringsync.runtime.wiring import build_product, worker_registry
from ringsync.salesforce.tokens import TokenCipher, generate_key
from ringsync.settings import Settings
from ringsync.store.db import Database, open_database
from ringsync.store.repositories import outbox as outbox_repo
from ringsync.store.repositories.sync_links import list_links
from ringsync.store.repositories.sync_log import list_runs
from sfemu.cli import ADMIN_PASSWORD, ADMIN_USERNAME, EmulatorOptions, build_emulator
from sfemu.oauth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from sfemu.seed import define_contact_center_fields
from sfemu.server import RunningServer, start_server

HERE = Path(__file__).resolve().parent
ACCOUNTS = 3
CONTACTS = 12
EVENT_CONTACTS = 3
EVENTS = 4
TOTALS = {
    ("call", "inbound"): "Total_Inbound_Calls__c",
    ("call", "outbound"): "Total_Outbound_Calls__c",
    ("sms", "inbound"): "Total_Inbound_Texts__c",
    ("sms", "outbound"): "Total_Outbound_Texts__c",
}
LEASE_TTL = 3.0
VISIBILITY = 5.0


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


@dataclass
class Emulator:
    """The one sfemu every account talks to."""

    app: Any
    server: RunningServer

    @property
    def org(self) -> Any:
        return self.app.state.sfemu.org

    @property
    def ca_path(self) -> str:
        assert self.server.ca_path is not None
        return str(self.server.ca_path)


@pytest.fixture
def sfemu(tmp_path: Path) -> Iterator[Emulator]:
    app = build_emulator(EmulatorOptions())
    define_contact_center_fields(app.state.sfemu.org)
    server = start_server(app, tls=True, cert_dir=tmp_path / "tls")
    yield Emulator(app, server)
    server.stop()


def make_settings(database_url: str, sfemu: Emulator, key: str, runner: str) -> Settings:
    return Settings(
        database_url=database_url,
        encryption_keys=key,
        salesforce_allowed_hosts=f"127.0.0.1:{sfemu.server.port}",
        runner=runner,
        broker_url=REDIS_URL,
    )


@dataclass
class Population:
    """What the test wrote on our side: contacts per account, events per contact."""

    contacts: dict[int, list[int]]
    events: dict[int, Counter[str]]


def populate(db: Database, settings: Settings, sfemu: Emulator, accounts: int) -> Population:
    cipher = TokenCipher.from_settings(settings)
    spec = ConnectionSpec(
        ConnectionMethod.PASSWORD,
        sfemu.server.base_url,
        DEFAULT_CLIENT_ID,
        ADMIN_USERNAME,
        {"client_secret": DEFAULT_CLIENT_SECRET, "password": ADMIN_PASSWORD},
    )
    contacts: dict[int, list[int]] = {}
    events: dict[int, Counter[str]] = {}
    for index in range(accounts):
        with db.write() as session:
            account = create_account(session, f"Runner account {index}").id
            save_connection(
                session,
                account,
                spec,
                cipher,
                state=ConnectionState.CONNECTED,
                instance_url=sfemu.server.base_url,
            )
            edit_draft(
                session,
                account,
                {"object_mode": "leads", "create_direction": "both", "update_direction": "both"},
                edited_by="test",
            )
            save_draft(session, account, saved_by="test")
            contacts[account] = [
                create_contact(
                    session,
                    account,
                    {
                        "phone": f"+1415555{index + 1}{n:03d}",
                        "last_name": f"Person {index}-{n}",
                        "company": "Initech",
                    },
                ).contact.id
                for n in range(CONTACTS)
            ]
        for number, contact_id in itertools.product(
            range(EVENTS), contacts[account][:EVENT_CONTACTS]
        ):
            done = record(db, account, contact_id, number, clock=SystemClock())
            name = TOTALS[(done.kind.value, done.direction.value)]
            events.setdefault(contact_id, Counter())[name] += 1
    return Population(contacts, events)


def pending(db: Database, accounts: list[int]) -> int:
    with db.read() as session:
        return sum(
            len(outbox_repo.list_rows(session, a, status=outbox_repo.PENDING)) for a in accounts
        )


def verify(db: Database, sfemu: Emulator, population: Population) -> None:
    """Both sides agree: one Lead per contact, totals as recorded, no overlapping runs."""
    leads = list(sfemu.org.iter_records("Lead"))
    phones = Counter(str(lead.get("Phone")) for lead in leads)
    assert len(leads) == sum(len(c) for c in population.contacts.values())
    assert [p for p, n in phones.items() if n > 1] == []
    for account, contact_ids in population.contacts.items():
        with db.read() as session:
            links = {link.contact_id: link for link in list_links(session, account)}
            runs = [r for r in list_runs(session, account, limit=500) if r.finished_at]
        assert sorted(links) == sorted(contact_ids), f"account {account}: unlinked contacts"
        for contact_id, totals in population.events.items():
            if contact_id not in links:
                continue
            lead = sfemu.org.get(links[contact_id].record_id)
            for name in TOTALS.values():
                assert int(lead.get(name) or 0) == totals[name], (contact_id, name)
        spans = sorted((r.started_at, r.finished_at) for r in runs)
        overlapping = [(a, b) for a, b in itertools.pairwise(spans) if a[1] > b[0]]
        assert overlapping == [], f"account {account}: two passes ran at once"


# --- embedded runner on SQLite -------------------------------------------------------------
def test_embedded_runner_syncs_several_accounts_at_once(sfemu: Emulator, tmp_path: Path) -> None:
    settings = make_settings(
        f"sqlite:///{tmp_path / 'ringsync.db'}", sfemu, generate_key(), "embedded"
    )
    db = open_database(settings.database_url)
    http = httpx2.Client(verify=ssl.create_default_context(cafile=sfemu.ca_path), timeout=30.0)

    def no_polling(s: Settings, d: Database, registry: Any, due: Any) -> Runner:
        del due
        return EmbeddedRunner(settings=s, database=d, registry=registry, workers=3)

    product = build_product(settings, database=db, http=http, runner_factory=no_polling)
    try:
        population = populate(db, settings, sfemu, ACCOUNTS)
        accounts = list(population.contacts)
        product.runner.start()
        for account in accounts:
            product.runner.wake(account)
        wait_until(lambda: pending(db, accounts) == 0, 60, "every outbox row to be sent")
        assert product.runner.stop(20.0)
        verify(db, sfemu, population)
    finally:
        product.runner.stop(5.0)
        product.close()
        http.close()
        db.dispose()


# --- Celery workers on Redis and Postgres --------------------------------------------------
class Workers:
    """Real worker processes serving the product registry; always stopped."""

    def __init__(self, settings: Settings, sfemu: Emulator, prefix: str, logs: Path) -> None:
        assert settings.encryption_keys is not None
        self.env = {
            **os.environ,
            "RINGSYNC_DATABASE_URL": settings.database_url,
            "RINGSYNC_BROKER_URL": REDIS_URL,
            "RINGSYNC_ENCRYPTION_KEYS": settings.encryption_keys.get_secret_value(),
            "RINGSYNC_SALESFORCE_ALLOWED_HOSTS": settings.salesforce_allowed_hosts,
            "RINGSYNC_RUNNER": "celery",
            "SSL_CERT_FILE": sfemu.ca_path,
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
                "wiring_worker_registry:build_registry",
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
                f"--hostname=wiring{index}-{self.prefix.strip(':')}@localhost",
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
            f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}"
            for log in sorted(self.logs.glob("worker*.log"))
        )

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(3)
            except subprocess.TimeoutExpired:  # the checks are done; do not wait for Celery
                proc.kill()
                proc.wait(5)


@dataclass
class CeleryWorld:
    settings: Settings
    db: Database
    workers: Workers
    runner: Runner


@pytest.fixture
def celery_world(
    sfemu: Emulator, pg_url: str, redis_prefix: str, tmp_path: Path
) -> Iterator[CeleryWorld]:
    from ringsync.runtime.celery_app import create_celery_app

    settings = make_settings(pg_url, sfemu, generate_key(), "celery")
    db = open_database(pg_url, migrate=False)
    workers = Workers(settings, sfemu, redis_prefix, tmp_path)
    app = create_celery_app(settings, registry=worker_registry(settings), key_prefix=redis_prefix)
    try:
        yield CeleryWorld(settings, db, workers, app.ringsync_runner)
    finally:
        workers.stop()
        db.dispose()


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.timeout(120)
def test_two_celery_workers_sync_several_accounts_at_once(
    celery_world: CeleryWorld, sfemu: Emulator
) -> None:
    world = celery_world
    population = populate(world.db, world.settings, sfemu, ACCOUNTS)
    accounts = list(population.contacts)
    world.workers.start(2)
    for account in accounts:
        world.runner.wake(account)
    try:
        wait_until(lambda: pending(world.db, accounts) == 0, 60, "every outbox row to be sent")
    except AssertionError:
        pytest.fail(f"the workers did not drain the outbox\n{world.workers.tail()}")
    verify(world.db, sfemu, population)
    assert all(LeaseRepository(world.db).current(account_lease_key(a)) is None for a in accounts)


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.timeout(120)
def test_a_worker_killed_mid_batch_leaves_no_duplicate_and_nothing_unsent(
    celery_world: CeleryWorld, sfemu: Emulator
) -> None:
    world = celery_world
    population = populate(world.db, world.settings, sfemu, 1)
    (account,) = population.contacts
    rule = sfemu.app.state.sfemu.faults.add(
        {"kind": "latency", "endpoint": "composite/sobjects*", "latency_ms": 1500, "count": 1}
    )
    queued = pending(world.db, [account])
    world.workers.start(2)
    world.runner.wake(account)

    wait_until(lambda: rule.fired >= 1, 30, "the first outbound batch to reach Salesforce")
    holder = LeaseRepository(world.db).current(account_lease_key(account))
    assert holder is not None
    victim = int(holder.holder.split(":")[1])
    assert victim in {p.pid for p in world.workers.procs}
    os.kill(victim, signal.SIGKILL)
    # The victim held its rows claimed and never settled them; nothing is marked sent.
    assert pending(world.db, [account]) == queued

    try:
        wait_until(lambda: pending(world.db, [account]) == 0, 80, "the other worker to finish")
    except AssertionError:
        pytest.fail(f"the surviving worker did not finish the work\n{world.workers.tail()}")
    verify(world.db, sfemu, population)
    assert LeaseRepository(world.db).last_token(account_lease_key(account)) >= 2
