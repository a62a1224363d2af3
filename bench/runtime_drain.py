"""Multi-account throughput: drain every account's outbox with one, then two Celery workers.

Set-up (not timed): a fresh Postgres database; one sfemu over HTTPS in a child process; A
accounts, each with its own stored, encrypted password-grant connection to that org and with
creates allowed outbound; K contacts per account with unique phones, created in Salesforce by
``SyncEngine.run_outbound`` in this process so that every contact is linked to a Lead.

Each timed pass changes the city of every contact (K outbox rows per account, A x K in all),
submits ``sync_outbound`` for every account, and waits until no outbox row is pending. The
passes: ``direct`` (the same engine called account after account in this process: the
baseline), ``one_worker`` and ``two_workers`` (``python -m ringsync.runtime.worker worker
--pool=solo --registry ringsync.runtime.wiring:create_worker_registry``: the product's own
task handlers, each worker building its clients from the stored connections). Beside the rate,
each pass reports the CPU seconds its engine processes used (the workers, or this process for
``direct``) and how busy the host's CPUs were, which tells a saturated host from idle waiting.
"""

from __future__ import annotations

import argparse
import contextlib
import resource
import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx2
import sqlalchemy as sa
from pydantic import SecretStr

from bench import servers
from bench.runtime_fleet import (
    REDIS_URL,
    Fleet,
    busy_percent,
    fleet,
    host_cpu,
    postgres_database,
    queue_idle,
    redis_prefix,
)
from bench.runtime_tasks import remote_only
from ringsync.clock import SystemClock
from ringsync.domain.accounts import create_account
from ringsync.domain.connections import (
    ConnectionMethod,
    ConnectionSpec,
    ConnectionState,
    cipher_for,
    save_connection,
)
from ringsync.domain.contact_values import Origin
from ringsync.domain.contacts_bulk import upsert_contacts
from ringsync.domain.sync_settings import edit_draft, save_draft
from ringsync.runtime.tasks import SYNC_OUTBOUND, create_registry
from ringsync.runtime.wiring import WORKER_REGISTRY
from ringsync.salesforce.hosts import HostPolicy
from ringsync.salesforce.tokens import generate_key
from ringsync.settings import Settings
from ringsync.store.db import Database, open_database
from ringsync.store.tables import OutboxEntry
from ringsync.sync.engine import SyncEngine
from ringsync.web.api.admin_salesforce import SalesforceAccess
from sfemu.cli import ADMIN_PASSWORD, ADMIN_USERNAME
from sfemu.oauth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

EDITOR = "bench@example.com"
RESUBMIT_SECONDS = 3.0


@dataclass
class World:
    """The org, the store and the accounts every pass drains."""

    settings: Settings
    database: Database
    access: SalesforceAccess
    base_url: str
    http: httpx2.Client
    phones: dict[int, list[str]]
    env: dict[str, str]

    def stats(self, *, reset: bool = False) -> dict[str, Any]:
        """Return sfemu's traffic counters (admin API, not counted); reset them after."""
        stats: dict[str, Any] = self.http.get(f"{self.base_url}/__sfemu/stats").json()
        if reset:
            self.http.post(f"{self.base_url}/__sfemu/stats/reset").raise_for_status()
        return stats


@contextlib.contextmanager
def world(args: argparse.Namespace, workdir: Path) -> Iterator[World]:
    """Start sfemu and a fresh Postgres store with A connected accounts of K linked contacts."""
    cert_dir = workdir / "tls"
    with (
        postgres_database() as url,
        servers.sfemu(leads=0, contacts=0, users=3, seed=1, cert_dir=cert_dir) as served,
    ):
        ca_path = cert_dir / "sfemu-ca.pem"
        port = urlsplit(served.base_url).port
        settings = Settings(
            database_url=url,
            broker_url=REDIS_URL,
            data_dir=workdir,
            encryption_keys=SecretStr(generate_key()),
            salesforce_allowed_hosts=f"127.0.0.1:{port}",
        )
        database = open_database(url)
        http = httpx2.Client(verify=ssl.create_default_context(cafile=str(ca_path)), timeout=120)
        access = SalesforceAccess(
            http=http,
            hosts=HostPolicy.from_settings(settings),
            cipher=lambda: cipher_for(settings),
            clock=SystemClock(),
        )
        assert settings.encryption_keys is not None
        env = {
            "RINGSYNC_DATABASE_URL": url,
            "RINGSYNC_BROKER_URL": REDIS_URL,
            "RINGSYNC_DATA_DIR": str(workdir),
            "RINGSYNC_ENCRYPTION_KEYS": settings.encryption_keys.get_secret_value(),
            "RINGSYNC_SALESFORCE_ALLOWED_HOSTS": settings.salesforce_allowed_hosts,
            "SSL_CERT_FILE": str(ca_path),
        }
        try:
            phones = _accounts(database, settings, served.base_url, args)
            yield World(settings, database, access, served.base_url, http, phones, env)
        finally:
            http.close()
            database.dispose()


def _accounts(
    database: Database, settings: Settings, base_url: str, args: argparse.Namespace
) -> dict[int, list[str]]:
    """Create the accounts, connections, settings and contacts; return each account's phones."""
    spec = ConnectionSpec(
        ConnectionMethod.PASSWORD,
        base_url,
        DEFAULT_CLIENT_ID,
        ADMIN_USERNAME,
        {"client_secret": DEFAULT_CLIENT_SECRET, "password": ADMIN_PASSWORD},
    )
    cipher = cipher_for(settings)
    phones: dict[int, list[str]] = {}
    for index in range(args.accounts):
        with database.write() as session:
            account_id = create_account(session, f"bench account {index}").id
            save_connection(session, account_id, spec, cipher, state=ConnectionState.CONNECTED)
            edit_draft(session, account_id, {"create_direction": "both"}, edited_by=EDITOR)
            save_draft(session, account_id, saved_by=EDITOR)
            first = 4_000_000 + index * args.records
            numbers = [f"+1415{first + n:07d}" for n in range(args.records)]
            rows = [
                {"phone": p, "last_name": f"Bench {n}", "company": f"Account {index}"}
                for n, p in enumerate(numbers)
            ]
            upsert_contacts(session, account_id, rows, origin=Origin.RINGSYNC)
        phones[account_id] = numbers
    return phones


def pending(database: Database, accounts: list[int]) -> dict[int, int]:
    """Return the pending outbox rows per account (accounts with none are left out)."""
    stmt = (
        sa.select(OutboxEntry.account_id, sa.func.count())
        .where(OutboxEntry.account_id.in_(accounts), OutboxEntry.status == "pending")
        .group_by(OutboxEntry.account_id)
    )
    with database.read() as session:
        return {int(a): int(n) for a, n in session.execute(stmt)}


def outbox_totals(database: Database, accounts: list[int]) -> dict[str, int]:
    """Return how many outbox rows there are per status."""
    stmt = (
        sa.select(OutboxEntry.status, sa.func.count())
        .where(OutboxEntry.account_id.in_(accounts))
        .group_by(OutboxEntry.status)
    )
    with database.read() as session:
        return {str(s): int(n) for s, n in session.execute(stmt)}


def change_all(w: World, city: str) -> int:
    """Change every contact's city on our side; return the outbox rows written."""
    written = 0
    for account_id, numbers in w.phones.items():
        with w.database.write() as session:
            result = upsert_contacts(
                session,
                account_id,
                [{"phone": p, "city": city} for p in numbers],
                origin=Origin.RINGSYNC,
            )
        written += result.outbox_rows
    return written


def drain_direct(w: World, timeout: float) -> None:
    """Run the engine account after account in this process until nothing is pending."""
    engine = SyncEngine(w.database, lambda a: w.access.client(w.database, a))
    deadline = time.monotonic() + timeout
    while left := pending(w.database, list(w.phones)):
        if time.monotonic() > deadline:
            raise RuntimeError(f"outbox not drained in {timeout:.0f} s: {left}")
        for account_id in left:
            summary = engine.run_outbound(account_id)
            if summary.error:
                raise RuntimeError(f"account {account_id}: outbound failed: {summary.error}")


def drain_celery(w: World, prefix: str, workers: Fleet, timeout: float, stall: float) -> int:
    """Submit ``sync_outbound`` per account; resubmit for accounts left pending while idle.

    Stop with the workers' last errors when nothing was settled for ``stall`` seconds.
    """
    from ringsync.runtime.celery_app import create_celery_app

    registry = create_registry({SYNC_OUTBOUND: remote_only})
    app = create_celery_app(w.settings, registry=registry, key_prefix=prefix)
    runner = app.ringsync_runner
    accounts = list(w.phones)
    submitted = 0
    try:
        for account_id in accounts:
            runner.submit(SYNC_OUTBOUND, account_id=account_id)
            submitted += 1
        deadline = time.monotonic() + timeout
        last_submit = last_progress = time.monotonic()
        fewest = sum(pending(w.database, accounts).values())
        while left := pending(w.database, accounts):
            now = time.monotonic()
            if sum(left.values()) < fewest:
                fewest, last_progress = sum(left.values()), now
            if now > deadline or now - last_progress > stall:
                raise RuntimeError(
                    f"outbox not drained ({sum(left.values())} rows pending, none settled in "
                    f"{now - last_progress:.0f} s); the workers say:\n{workers.last_errors()}"
                )
            if now - last_submit > RESUBMIT_SECONDS and queue_idle(prefix):
                for account_id in left:
                    runner.submit(SYNC_OUTBOUND, account_id=account_id)
                    submitted += 1
                last_submit = time.monotonic()
            time.sleep(0.1)
    finally:
        app.close()
    return submitted


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed_pass(
    w: World, city: str, drain: Callable[[], int | None], workers: Fleet | None = None
) -> dict[str, Any]:
    """Change every contact, drain the outbox, and return the pass's figures."""
    rows = change_all(w, city)
    w.stats(reset=True)
    cpu_before = workers.cpu_seconds() if workers is not None else [_own_cpu()]
    host_before = host_cpu()
    started = time.perf_counter()
    submitted = drain()
    seconds = time.perf_counter() - started
    host_busy = busy_percent(host_before, host_cpu())
    cpu_after = workers.cpu_seconds() if workers is not None else [_own_cpu()]
    rss = workers.peak_rss_mb() if workers is not None else []
    stats = w.stats(reset=True)
    calls = int(stats.get("api_calls_total", 0))
    first = next(iter(w.phones))
    in_salesforce = w.access.client(w.database, first).count(
        f"SELECT COUNT() FROM Lead WHERE City = '{city}'"
    )
    figures: dict[str, Any] = {
        "outbox_rows": rows,
        "seconds": round(seconds, 2),
        "records_per_second": round(rows / seconds, 1) if seconds else None,
        "api_calls": calls,
        "api_calls_per_record": round(calls / max(rows, 1), 5),
        "api_calls_by_endpoint": stats.get("calls", {}),
        "salesforce_records_with_new_value": in_salesforce,
        "host_cpu_busy_percent": host_busy,
        "engine_cpu_seconds": [round(b - a, 2) for a, b in zip(cpu_before, cpu_after, strict=True)],
    }
    statuses = outbox_totals(w.database, list(w.phones))
    figures["outbox_pending_after"] = statuses.get("pending", 0)
    figures["outbox_failed_total"] = statuses.get("failed", 0)
    if submitted is not None:
        figures["jobs_submitted"] = submitted
    if workers is not None:
        figures["worker_peak_rss_mb"] = rss
    return figures


def bench_workers(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Drain A x K changes in process, with one worker and with two workers; compare."""
    setup_started = time.perf_counter()
    with world(args, workdir) as w, redis_prefix() as prefix:
        drain_direct(w, args.timeout)  # creates every Lead and links it (set-up, not timed)
        setup_seconds = time.perf_counter() - setup_started
        created = outbox_totals(w.database, list(w.phones))
        passes: dict[str, Any] = {
            "direct": timed_pass(w, "Direct City", lambda: drain_direct(w, args.timeout))
        }
        for name, count in (("one_worker", 1), ("two_workers", 2)):
            with fleet(WORKER_REGISTRY, prefix, w.env, workdir) as workers:
                ready = workers.start(count)
                city = f"City {count}"
                passes[name] = timed_pass(
                    w,
                    city,
                    lambda: drain_celery(w, prefix, workers, args.timeout, args.stall),
                    workers,
                )
                passes[name]["workers_ready_seconds"] = round(ready, 2)
    one, two = passes["one_worker"], passes["two_workers"]
    direct = passes["direct"]
    return {
        "accounts": args.accounts,
        "records_per_account": args.records,
        "setup_seconds": round(setup_seconds, 1),
        "setup_outbox_by_status": created,
        "passes": passes,
        "two_workers_to_one_ratio": round(two["records_per_second"] / one["records_per_second"], 3),
        "note": "workers run ringsync.runtime.wiring:create_worker_registry (the product's tasks)",
        "one_worker_to_direct_ratio": round(
            one["records_per_second"] / direct["records_per_second"], 3
        ),
        "two_workers_to_direct_ratio": round(
            two["records_per_second"] / direct["records_per_second"], 3
        ),
    }


__all__ = ["bench_workers"]
