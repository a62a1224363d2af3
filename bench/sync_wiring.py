"""Wiring the sync benchmarks share: reach sfemu over HTTPS, open a store, count, summarise.

sfemu serves a throwaway test CA; every client here trusts that CA file and nothing else.
"""

from __future__ import annotations

import math
import ssl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import sqlalchemy as sa

from bench import servers
from ringsync.clock import SystemClock
from ringsync.domain.accounts import create_account
from ringsync.mapping.catalog import SyncObject, default_mapping
from ringsync.salesforce.auth import PasswordAuth
from ringsync.salesforce.budget import ApiBudget
from ringsync.salesforce.client import SalesforceClient
from ringsync.salesforce.hosts import HostPolicy
from ringsync.salesforce.retry import RetryPolicy
from ringsync.store.db import Database, open_database
from ringsync.store.sync_tables import sync_links
from ringsync.store.tables import Contact, OutboxEntry
from ringsync.sync.records import read_schema

VERSION = "v66.0"
CLIENT_ID = "sfemu-client"
CLIENT_SECRET = "sfemu-secret"  # sfemu's published demo secret
USERNAME = "admin@sfemu.test"
PASSWORD = "sfemu"  # sfemu's published demo password


@dataclass(frozen=True)
class Org:
    """Where a benchmark's sfemu listens and the CA file its certificate chains to."""

    base_url: str
    ca_path: Path

    def http(self, timeout: float = 600) -> httpx2.Client:
        """Return an HTTP client that trusts only the emulator's CA."""
        context = ssl.create_default_context(cafile=str(self.ca_path))
        return httpx2.Client(base_url=self.base_url, verify=context, timeout=timeout)


@contextmanager
def emulator(workdir: Path, leads: int) -> Iterator[Org]:
    """Serve sfemu over HTTPS in a child process, seeded with ``leads`` leads."""
    cert_dir = workdir / f"tls-{leads}"
    with servers.sfemu(leads=leads, contacts=0, users=5, seed=1, cert_dir=cert_dir) as served:
        yield Org(served.base_url, cert_dir / "sfemu-ca.pem")


def token(org: Org) -> str:
    """Log in with the password grant and return an access token (for the baselines)."""
    with org.http() as http:
        reply = http.post(
            "/services/oauth2/token",
            data={
                "grant_type": "password",
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "username": USERNAME,
                "password": PASSWORD,
            },
        )
        reply.raise_for_status()
        value: str = reply.json()["access_token"]
        return value


def ringsync_client(org: Org) -> tuple[SalesforceClient, httpx2.Client]:
    """Build ringsync's Salesforce client as the service would, logged in to sfemu."""
    http = org.http()
    clock = SystemClock()
    hosts = HostPolicy(["127.0.0.1", "localhost"])
    auth = PasswordAuth(
        http,
        org.base_url,
        hosts,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        username=USERNAME,
        password=PASSWORD,
    )
    client = SalesforceClient(
        http, auth, retry=RetryPolicy.seeded(1), budget=ApiBudget(clock), clock=clock
    )
    return client, http


def admin_stats(org: Org, *, reset: bool = False) -> dict[str, Any]:
    """Return sfemu's traffic counters (admin API, not counted as API calls); reset after."""
    with org.http() as http:
        stats: dict[str, Any] = http.get("/__sfemu/stats").json()
        if reset:
            http.post("/__sfemu/stats/reset").raise_for_status()
    return stats


def calls_to(stats: dict[str, Any], endpoint: str, method: str | None = None) -> int:
    """Return the calls one endpoint template took (any method when ``method`` is None)."""
    by_method: dict[str, int] = stats["calls"].get(endpoint, {})
    return sum(n for m, n in by_method.items() if method is None or m == method)


def lead_fields(org: Org) -> tuple[str, ...]:
    """Return the Lead fields the engine reads with the default mapping (for the baseline)."""
    client, http = ringsync_client(org)
    try:
        describe = client.describe(SyncObject.LEAD.value)
        return read_schema(SyncObject.LEAD, describe, default_mapping(SyncObject.LEAD)).fields
    finally:
        http.close()


def open_store(path: Path) -> tuple[Database, int]:
    """Create a migrated SQLite store with one account on default sync settings."""
    database = open_database(f"sqlite:///{path}")
    with database.write() as session:
        account_id = create_account(session, "bench").id
    return database, account_id


def contact_count(database: Database, account_id: int) -> int:
    """Return how many contacts the account has."""
    stmt = sa.select(sa.func.count()).where(Contact.account_id == account_id)
    with database.read() as session:
        return int(session.execute(stmt).scalar_one())


def link_count(database: Database, account_id: int) -> int:
    """Return how many contacts are linked to a Salesforce record."""
    stmt = sa.select(sa.func.count()).where(sync_links.c.account_id == account_id)
    with database.read() as session:
        return int(session.execute(stmt).scalar_one())


def linked_contacts(database: Database, account_id: int) -> list[tuple[int, str, str]]:
    """Return (contact id, E.164 phone, record id) of every linked contact without extension."""
    stmt = (
        sa.select(Contact.id, Contact.phone, sync_links.c.record_id)
        .join(sync_links, sync_links.c.contact_id == Contact.id)
        .where(Contact.account_id == account_id, Contact.extension == "")
        .order_by(Contact.id)
    )
    with database.read() as session:
        return [(int(c), str(p), str(r)) for c, p, r in session.execute(stmt)]


def pending_outbox(database: Database, account_id: int) -> int:
    """Return how many outbox rows wait to be sent."""
    stmt = sa.select(sa.func.count()).where(
        OutboxEntry.account_id == account_id, OutboxEntry.status == "pending"
    )
    with database.read() as session:
        return int(session.execute(stmt).scalar_one())


def settled(database: Database, outbox_ids: list[int]) -> set[int]:
    """Return which of these outbox rows are settled as sent."""
    found: set[int] = set()
    with database.read() as session:
        for start in range(0, len(outbox_ids), 500):
            chunk = outbox_ids[start : start + 500]
            stmt = sa.select(OutboxEntry.id).where(
                OutboxEntry.id.in_(chunk), OutboxEntry.status == "done"
            )
            found.update(int(i) for i in session.execute(stmt).scalars())
    return found


def steady(rate: float, duration: float, fire: Callable[[int], None]) -> int:
    """Call ``fire(i)`` at ``rate`` per second for ``duration`` seconds; return how many."""
    count = max(1, int(rate * duration))
    interval = 1.0 / rate
    started = time.perf_counter()
    for index in range(count):
        delay = started + index * interval - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        fire(index)
    return count


def percentiles(samples: list[float]) -> dict[str, float | None]:
    """Return the median, p95, p99 and max of ``samples`` in ms (nearest rank)."""
    if not samples:
        return {"median_ms": None, "p95_ms": None, "p99_ms": None, "max_ms": None}
    ordered = sorted(samples)

    def rank(q: float) -> float:
        index = min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))
        return round(ordered[index] * 1000, 1)

    return {
        "median_ms": rank(0.5),
        "p95_ms": rank(0.95),
        "p99_ms": rank(0.99),
        "max_ms": round(ordered[-1] * 1000, 1),
    }
