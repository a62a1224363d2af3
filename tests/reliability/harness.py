"""Drive one scenario: a fresh org and store, the engine ticking between windows, then a drain.

The engine and sfemu share a FrozenClock (sfemu may run on a socket in this process); the
org's clock can be skewed against ours. Faults are set by the test between ``baseline`` and
``drain``; the drain runs with every fault removed and the daily limit restored.
"""

from __future__ import annotations

import os
import secrets
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2
from generator import FIELDS, Activity, Edit, Event, Person, Scenario

from ringsync.clock import FrozenClock
from ringsync.domain.activities import record_activity
from ringsync.domain.contact_values import Origin
from ringsync.domain.contacts import create_contact, update_contact
from ringsync.domain.sync_settings import edit_draft, save_draft
from ringsync.domain.tracking import ActivityDirection, ActivityEvent, ActivityKind
from ringsync.errors import RingsyncError
from ringsync.salesforce.auth import PasswordAuth
from ringsync.salesforce.budget import ApiBudget
from ringsync.salesforce.client import SalesforceClient
from ringsync.salesforce.hosts import HostPolicy
from ringsync.salesforce.retry import RetryPolicy
from ringsync.store.db import Database
from ringsync.store.repositories import outbox as outbox_repo
from ringsync.store.repositories.sync_links import list_links
from ringsync.store.repositories.sync_log import list_runs
from ringsync.sync.engine import EngineOptions, RunSummary, SyncEngine
from ringsync.sync.inbound import InboundOptions

DRAIN_STEP = timedelta(minutes=2)
"""How far the clock moves per drain round: past the outbound retry delay."""


def password_client(
    http: httpx2.Client, base_url: str, clock: FrozenClock, seed: int
) -> SalesforceClient:
    """Return a client logging in with sfemu's published demo credentials, never sleeping."""
    host = base_url.split("://", 1)[1]
    auth = PasswordAuth(
        http,
        base_url,
        HostPolicy([host]),
        client_id="sfemu-client",
        client_secret="sfemu-secret",
        username="admin@sfemu.test",
        password="sfemu",
    )
    return SalesforceClient(
        http,
        auth,
        retry=RetryPolicy.seeded(seed, max_attempts=3, base_delay=0.01, max_delay=0.02),
        budget=ApiBudget(clock),
        clock=clock,
        sleep=lambda _seconds: None,
    )


@dataclass
class World:
    """One account on our side, one emulated org, and the engine between them."""

    seed: int
    db: Database
    clock: FrozenClock
    app: Any
    client: SalesforceClient
    account_id: int
    rep_user_id: str
    contacts: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    late_commit: float = 0.0
    """With > 0, Salesforce edits are stamped this many seconds before the newest stamp the
    last inbound pass could read (a transaction that committed after our read)."""
    read_high: datetime | None = None
    engine: SyncEngine = field(init=False)

    def __post_init__(self) -> None:
        """Build the engine with Bulk reads off (small scenarios read by SOQL)."""
        options = EngineOptions(inbound=InboundOptions(bulk_threshold=None))
        self.engine = SyncEngine(
            self.db, lambda _account: self.client, clock=self.clock, options=options
        )

    # --- the emulator --------------------------------------------------------------------
    @property
    def org(self) -> Any:
        """Return the emulated org."""
        return self.app.state.sfemu.org

    @property
    def faults(self) -> Any:
        """Return sfemu's fault plan."""
        return self.app.state.sfemu.faults

    @property
    def stats(self) -> Any:
        """Return sfemu's call counters."""
        return self.app.state.sfemu.stats

    # --- set-up --------------------------------------------------------------------------
    def configure(self, **changes: Any) -> None:
        """Save sync settings for the account (two-way creates and updates on Leads)."""
        values = {
            "object_mode": "leads",
            "create_direction": "both",
            "update_direction": "both",
            **changes,
        }
        with self.db.write() as session:
            edit_draft(session, self.account_id, values, edited_by="reliability", clock=self.clock)
            save_draft(session, self.account_id, saved_by="reliability", clock=self.clock)

    def baseline(self, scenario: Scenario) -> None:
        """Create the early people on both sides and sync them with no fault active."""
        self.create_early(scenario)
        self.clock.advance(2)
        self.drain()
        self.adopt_early(scenario)

    def create_early(self, scenario: Scenario) -> None:
        """Create the early people: contacts on our side, Leads in Salesforce."""
        for person in scenario.people:
            if person.late:
                continue
            if person.origin == "ours":
                self._create_ours(person)
            else:
                self.org.create(
                    "Lead",
                    {"LastName": person.last_name, "Company": "Initech", "Phone": person.phone},
                    user_id=self.rep_user_id,
                )

    def adopt_early(self, scenario: Scenario) -> None:
        """Find the contacts created from Salesforce Leads; every early person must be linked."""
        links = self.links()
        for person in scenario.people:
            if person.late:
                continue
            if person.origin == "theirs":
                self.contacts[person.index] = self._contact_by_record(person, links)
            assert self.contacts[person.index] in links, f"seed {self.seed}: {person} not linked"

    def create_late(self, scenario: Scenario) -> None:
        """Create the late people on our side (their first sync meets the faults)."""
        for person in scenario.people:
            if person.late:
                self._create_ours(person)

    def _create_ours(self, person: Person) -> None:
        values = {"phone": person.phone, "last_name": person.last_name, "company": "Initech"}
        with self.db.write() as session:
            change = create_contact(session, self.account_id, values, clock=self.clock)
        self.contacts[person.index] = change.contact.id

    def _contact_by_record(self, person: Person, links: dict[int, str]) -> int:
        wanted = {
            self.org.normalize_id(r)
            for r in self.org.find_by_field("Lead", "LastName", person.last_name)
        }
        found = [c for c, record in links.items() if record in wanted]
        assert len(found) == 1, f"seed {self.seed}: {person} has links {found}"
        return found[0]

    # --- events --------------------------------------------------------------------------
    def apply(self, event: Event) -> None:
        """Apply one generated event on its side, one second after the previous one."""
        self.clock.advance(1)
        contact_id = self.contacts[event.person]
        if isinstance(event, Edit):
            if event.side == "ours":
                with self.db.write() as session:
                    update_contact(
                        session,
                        self.account_id,
                        contact_id,
                        {event.prop: event.value},
                        origin=Origin.RINGSYNC,
                        clock=self.clock,
                    )
            else:
                record_id = self.links()[contact_id]
                shift = self._late_shift(record_id)
                self.org.advance_clock(-shift)
                try:
                    self.org.update(
                        "Lead",
                        record_id,
                        {FIELDS[event.prop]: event.value},
                        user_id=self.rep_user_id,
                    )
                finally:
                    self.org.advance_clock(shift)
            return
        self._activity(contact_id, event)

    def _late_shift(self, record_id: str) -> float:
        """Return how far back to stamp an edit of this record (never before its own stamp)."""
        if not self.late_commit or self.read_high is None:
            return 0.0
        target = self.read_high - timedelta(seconds=self.late_commit)
        if _stamp(self.org.get(record_id)) >= target:
            return 0.0
        return max(0.0, (self.org.now() - target).total_seconds())

    def _activity(self, contact_id: int, event: Activity) -> None:
        kind = ActivityKind(event.kind)
        activity = ActivityEvent(
            external_id=event.event_id,
            kind=kind,
            direction=ActivityDirection(event.direction),
            occurred_at=self.clock.now(),
            body=f"text {event.event_id}" if kind is ActivityKind.SMS else None,
            duration_seconds=0 if kind is ActivityKind.SMS else 42,
        )
        with self.db.write() as session:
            record_activity(session, self.account_id, contact_id, activity, clock=self.clock)

    def tick(self) -> list[RunSummary]:
        """Run one inbound and one outbound pass; remember how failed runs ended."""
        self.clock.advance(2)
        self.read_high = max((_stamp(lead) for lead in self.leads()), default=None)
        summaries = [*self.engine.run_inbound(self.account_id)]
        summaries.append(self.engine.run_outbound(self.account_id))
        self.errors.extend(s.error for s in summaries if s.error)
        return summaries

    def play(self, scenario: Scenario, between: Callable[[int], None] | None = None) -> None:
        """Create the late people, then apply each window and tick after it."""
        self.create_late(scenario)
        for number, window in enumerate(scenario.windows):
            if between is not None:
                between(number)
            for event in window:
                self.apply(event)
            try:
                self.tick()
            except RingsyncError as exc:  # a run never raises one; record it if it does
                self.errors.append(f"{exc.code}: {exc.message}")

    def drain(self, max_rounds: int = 15) -> int:
        """Tick until nothing is pending and a round writes nothing; return the rounds used."""
        self.faults.clear()
        for rounds in range(1, max_rounds + 1):
            self.clock.advance(DRAIN_STEP)
            writes = self.stats.write_calls_total
            summaries = self.tick()
            quiet = self.stats.write_calls_total == writes and not any(s.error for s in summaries)
            if quiet and not self.pending():
                return rounds
        raise AssertionError(
            f"seed {self.seed}: not drained after {max_rounds} rounds; "
            f"{len(self.pending())} outbox rows pending; last errors {self.errors[-3:]}"
        )

    # --- reads ---------------------------------------------------------------------------
    def links(self) -> dict[int, str]:
        """Return contact id -> Salesforce record id."""
        with self.db.read() as session:
            return {
                link.contact_id: link.record_id for link in list_links(session, self.account_id)
            }

    def pending(self) -> list[Any]:
        """Return the outbox rows still pending."""
        with self.db.read() as session:
            return outbox_repo.list_rows(session, self.account_id, status=outbox_repo.PENDING)

    def leads(self) -> Iterator[dict[str, Any]]:
        """Yield every live Lead in the org."""
        yield from self.org.iter_records("Lead")


def _stamp(record: dict[str, Any]) -> datetime:
    """Return a record's SystemModstamp as an aware datetime."""
    return datetime.strptime(str(record["SystemModstamp"]), "%Y-%m-%dT%H:%M:%S.%f%z")


# --- a live rig: Celery worker processes, Postgres, Redis, the web app (F7 settle, F8, F9) ---

HERE = Path(__file__).resolve().parent
RIG_REGISTRY = "reliability_worker_registry:build_registry"


class WallClock(FrozenClock):
    """Read the real time (worker processes use it too); ``advance`` leaves it alone."""

    def now(self) -> datetime:
        """Return the current time."""
        return datetime.now(UTC)

    def advance(self, delta: timedelta | float) -> datetime:
        """Leave time alone (events are stamped as they happen)."""
        del delta
        return self.now()


def wait_for(predicate: Callable[[], bool], timeout: float, what: str, logs: str = "") -> None:
    """Poll ``predicate`` every 0.1 s until it holds; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}\n{logs}")
        time.sleep(0.1)


class Processes:
    """Celery worker and beat processes of one test; always stopped."""

    def __init__(self, env: dict[str, str], prefix: str, logs: Path, registry: str) -> None:
        """Run with ``env`` (database and broker URLs), keys under ``prefix``, logs in ``logs``."""
        self.env = env
        self.prefix = prefix
        self.logs = logs
        self.registry = registry
        self.workers: list[subprocess.Popen[bytes]] = []
        self.beat: subprocess.Popen[bytes] | None = None
        self._started = 0

    def _spawn(self, name: str, args: list[str]) -> tuple[subprocess.Popen[bytes], Path]:
        log = self.logs / f"{name}.log"
        command = [
            sys.executable,
            "-m",
            "ringsync.runtime.worker",
            *args,
            "--registry",
            self.registry,
            "--key-prefix",
            self.prefix,
            "--loglevel=INFO",
        ]
        with log.open("wb") as out:
            proc = subprocess.Popen(command, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        return proc, log

    def start_workers(self, count: int) -> None:
        """Start ``count`` solo workers (lease 3 s, redelivery after 5 s) and wait until ready."""
        started = []
        for _ in range(count):
            index = self._started
            self._started += 1
            tag = self.prefix.strip(":")
            proc, log = self._spawn(
                f"worker{index}",
                [
                    "worker",
                    "--lease-ttl",
                    "3",
                    "--visibility-timeout",
                    "5",
                    "--restore-interval",
                    "1",
                    "--pool=solo",
                    f"--hostname=rig{index}-{tag}@localhost",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                ],
            )
            self.workers.append(proc)
            started.append(log)
        for log in started:
            wait_for(lambda log=log: " ready." in _text(log), 30, log.name, self.tail())

    def start_beat(self, every: float = 1.0) -> None:
        """Start beat sending ``poll_schedule`` every ``every`` seconds."""
        schedule = self.logs / "celerybeat-schedule"
        self.beat, log = self._spawn(
            "beat", ["beat", "--poll-every", str(every), f"--schedule={schedule}"]
        )
        wait_for(lambda: "Starting" in _text(log), 30, "beat to start", self.tail())

    def alive(self) -> list[subprocess.Popen[bytes]]:
        """Return the workers still running."""
        return [p for p in self.workers if p.poll() is None]

    def stop_workers(self) -> None:
        """Stop every worker (warm shutdown, then kill)."""
        _stop(self.workers)
        self.workers = []

    def stop(self) -> None:
        """Stop the workers and beat."""
        _stop([*self.workers, *([self.beat] if self.beat is not None else [])])

    def tail(self) -> str:
        """Return the end of every log (for failure messages)."""
        return "\n".join(
            f"--- {log.name}\n{_text(log)[-1500:]}" for log in sorted(self.logs.glob("*.log"))
        )


def _text(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


_EVENT_TYPES = {
    ("call", "inbound"): "call.ended",
    ("call", "outbound"): "call.ended",
    ("sms", "inbound"): "sms.received",
    ("sms", "outbound"): "sms.sent",
}


@dataclass
class Rig:
    """One account synced by worker processes; activities arrive through the events API."""

    world: World
    procs: Processes
    runner: Any
    celery: Any
    api: Any
    token: str
    prefix: str
    pg_url: str
    occurred: dict[str, str] = field(default_factory=dict)

    @property
    def account_id(self) -> int:
        """Return the account's id."""
        return self.world.account_id

    def post(self, event: Activity) -> Any:
        """Post one activity to ``/api/v1/events`` (a re-delivery repeats the first body)."""
        stamp = self.occurred.setdefault(event.event_id, datetime.now(UTC).isoformat())
        body = {
            "type": _EVENT_TYPES[(event.kind, event.direction)],
            "contact_id": self.world.contacts[event.person],
            "occurred_at": stamp,
            "duration_seconds": 42 if event.kind == "call" else 0,
        }
        if event.kind == "call":
            body["direction"] = event.direction
        else:
            body["body"] = f"text {event.event_id}"
        headers = {"Authorization": f"Bearer {self.token}", "Idempotency-Key": event.event_id}
        return self.api.post("/api/v1/events", json=body, headers=headers)

    def apply(self, event: Event) -> None:
        """Apply an edit on its side, or post an activity, which must be recorded (201)."""
        if isinstance(event, Edit):
            self.world.apply(event)
            return
        response = self.post(event)
        assert response.status_code == 201, f"seed {self.world.seed}: {response.text}"

    def runs_since(self, after: int) -> list[Any]:
        """Return the finished runs newer than run id ``after``."""
        with self.world.db.read() as session:
            runs = list_runs(session, self.account_id, limit=200)
        return [r for r in runs if r.id > after and r.finished_at is not None]

    def last_run(self) -> int:
        """Return the newest run id (0 before any)."""
        with self.world.db.read() as session:
            runs = list_runs(session, self.account_id, limit=1)
        return runs[0].id if runs else 0

    def settle(self, what: str, *, wake: bool = True, timeout: float = 60) -> None:
        """Ask for inbound passes (and outbound ones with ``wake``) until the account is quiet.

        Quiet: an inbound pass (and, with ``wake``, an outbound one) finished after the call
        and no outbox row is pending. Without ``wake`` only the beat's sweep sends the outbox.
        """
        after = self.last_run()
        deadline = time.monotonic() + timeout
        while True:
            directions = {r.direction for r in self.runs_since(after)}
            wanted = {"inbound", "outbound"} if wake else {"inbound"}
            if wanted <= directions and not self.world.pending():
                return
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"seed {self.world.seed}: timed out: {what}; "
                    f"{len(self.world.pending())} pending\n{self.procs.tail()}"
                )
            self.runner.submit("sync_inbound", account_id=self.account_id)
            if wake:
                self.runner.wake(self.account_id)
            time.sleep(1.5)

    def baseline(self, scenario: Scenario) -> None:
        """Create and link the early people in this process, then create the late ones.

        Call it before any worker or beat starts: the in-process engine takes no lease.
        """
        assert not self.procs.workers, "baseline runs before the workers start"
        self.world.baseline(scenario)
        self.world.create_late(scenario)


def _rig_rep_user(org: Any) -> str:
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


@contextmanager
def live_rig(
    seed: int,
    *,
    pg_url: str,
    prefix: str,
    tmp_path: Path,
    redis_url: str,
    product_pg_url: str | None = None,
    product_redis_url: str | None = None,
    registry: str = RIG_REGISTRY,
    extra_env: dict[str, str] | None = None,
) -> Iterator[Rig]:
    """Build sfemu on a TLS socket, the account, the web app and the process environment.

    The product (workers, beat, the web app and its runner) uses ``product_pg_url`` and
    ``product_redis_url`` (a proxy in outage tests); the test's own reads use ``pg_url``.
    Nothing is started: the test starts workers and beat.
    """
    from fastapi.testclient import TestClient

    from ringsync.domain.accounts import create_account
    from ringsync.domain.connections import (
        ConnectionMethod,
        ConnectionSpec,
        ConnectionState,
        save_connection,
    )
    from ringsync.runtime.celery_app import create_celery_app
    from ringsync.runtime.wiring import worker_registry
    from ringsync.salesforce.tokens import TokenCipher, generate_key
    from ringsync.settings import Settings
    from ringsync.store.db import open_database
    from ringsync.web.app import create_app
    from ringsync.web.auth_store import add_token
    from ringsync.web.security import digest, new_api_token
    from sfemu.app import create_emulator_app
    from sfemu.cli import ADMIN_PASSWORD, ADMIN_USERNAME
    from sfemu.oauth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
    from sfemu.org import Org
    from sfemu.seed import define_contact_center_fields
    from sfemu.server import start_server

    product_pg = product_pg_url or pg_url
    product_redis = product_redis_url or redis_url
    org = Org()
    define_contact_center_fields(org)
    emulator = create_emulator_app(org)
    server = start_server(emulator, tls=True, cert_dir=tmp_path / "tls")
    assert server.ca_path is not None
    ca_path = str(server.ca_path)
    settings = Settings(
        database_url=product_pg,
        encryption_keys=generate_key(),
        secret_key=secrets.token_urlsafe(32),
        salesforce_allowed_hosts=f"127.0.0.1:{server.port}",
        runner="celery",
        broker_url=product_redis,
        data_dir=tmp_path,
    )
    db = open_database(pg_url, migrate=False)
    product_db = open_database(product_pg, migrate=False)
    http = httpx2.Client(verify=ssl.create_default_context(cafile=ca_path), timeout=10.0)
    celery = create_celery_app(settings, registry=worker_registry(settings), key_prefix=prefix)
    runner = celery.ringsync_runner
    assert settings.encryption_keys is not None
    env = {
        **os.environ,
        "RINGSYNC_DATABASE_URL": product_pg,
        "RINGSYNC_BROKER_URL": product_redis,
        "RINGSYNC_ENCRYPTION_KEYS": settings.encryption_keys.get_secret_value(),
        "RINGSYNC_SALESFORCE_ALLOWED_HOSTS": settings.salesforce_allowed_hosts,
        "RINGSYNC_RUNNER": "celery",
        "RINGSYNC_ENV_FILE": "",
        "SSL_CERT_FILE": ca_path,
        "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
        **(extra_env or {}),
    }
    procs = Processes(env, prefix, tmp_path, registry)
    clock = WallClock()
    web = create_app(settings, session_factory=product_db, clock=clock, runner=runner)
    api = TestClient(web, base_url="http://testserver")
    try:
        with db.write() as session:
            account = create_account(session, f"Rig {seed} {prefix}").id
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
            token = new_api_token()
            add_token(
                session,
                account_id=account,
                name="contact center",
                digest=digest(token),
                prefix=token[:9],
                created_by=None,
                created_at=clock.now(),
            )
        world = World(
            seed=seed,
            db=db,
            clock=clock,
            app=emulator,
            client=password_client(http, server.base_url, clock, seed),
            account_id=account,
            rep_user_id=_rig_rep_user(org),
        )
        world.configure()
        yield Rig(world, procs, runner, celery, api, token, prefix, pg_url)
    finally:
        procs.stop()
        api.close()
        http.close()
        server.stop()
        product_db.dispose()
        db.dispose()
