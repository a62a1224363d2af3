"""What the load benchmark runs against: sfemu over HTTPS, a store, one connected, synced account.

Set-up (not timed): sfemu in its own process, seeded with a few more leads than ``--contacts``
(some seeded phone numbers are not valid for a US account and are skipped); a SQLite file or a
throwaway Postgres database; one account whose password-grant connection is stored encrypted,
as ``ringsync connect`` stores it; one initial pull through the product's engine, which links
every valid lead to a contact. The product (store, Salesforce access, engine, task registry,
runner) is then built by ``ringsync.runtime.wiring.build_product``, the same wiring ``ringsync
serve`` uses, so events travel the real path: ``record_activity`` -> outbox -> ``wake`` ->
debounced ``sync_outbound`` -> Collections call to sfemu.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx2
from pydantic import SecretStr

from bench import servers
from bench.runtime_fleet import REDIS_URL, postgres_database
from bench.sync_wiring import Org, linked_contacts
from ringsync.clock import Clock
from ringsync.domain.accounts import create_account
from ringsync.domain.connections import (
    ConnectionMethod,
    ConnectionSpec,
    ConnectionState,
    cipher_for,
    save_connection,
)
from ringsync.runtime.runner import Runner
from ringsync.runtime.tasks import DueAccounts, TaskRegistry
from ringsync.runtime.wiring import Product, build_product
from ringsync.salesforce.tokens import generate_key
from ringsync.settings import Settings
from ringsync.store.db import Database, open_database
from sfemu.cli import ADMIN_PASSWORD, ADMIN_USERNAME
from sfemu.oauth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

RunnerFactory = Callable[[Settings, Database, TaskRegistry, DueAccounts], Runner]
Linked = list[tuple[int, str, str]]


def peak_rss_mb(pid: int | str = "self") -> float:
    """Return a process's peak resident memory (VmHWM) in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key == "VmHWM":
            return round(int(value.split()[0]) / 1024, 1)
    return 0.0


def reset_peak_rss(pid: int | str = "self") -> bool:
    """Reset a process's VmHWM to its current RSS (Linux ``clear_refs`` 5); False if refused."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


@dataclass
class LoadWorld:
    """sfemu, the store and the one connected account every phase of the benchmark uses."""

    settings: Settings
    database: Database
    served: servers.Served
    ca_path: Path
    http: httpx2.Client
    account_id: int
    contacts: Linked
    setup: dict[str, Any]

    @property
    def org(self) -> Org:
        """Return the emulator as the sync benchmarks' helpers name it."""
        return Org(self.served.base_url, self.ca_path)

    def stats(self, *, reset: bool = False) -> dict[str, Any]:
        """Return sfemu's traffic counters (admin API, not counted as API calls); reset after."""
        base = self.served.base_url
        stats: dict[str, Any] = self.http.get(f"{base}/__sfemu/stats").json()
        if reset:
            self.http.post(f"{base}/__sfemu/stats/reset").raise_for_status()
        return stats

    def product(
        self, *, clock: Clock | None = None, runner_factory: RunnerFactory | None = None
    ) -> Product:
        """Build the product on this store and HTTP client (nothing starts)."""
        return build_product(
            self.settings,
            database=self.database,
            http=self.http,
            clock=clock,
            runner_factory=runner_factory,
        )

    def worker_env(self) -> dict[str, str]:
        """Return the environment a Celery worker process needs to run this product."""
        assert self.settings.encryption_keys is not None
        return {
            "RINGSYNC_DATABASE_URL": self.settings.database_url,
            "RINGSYNC_BROKER_URL": self.settings.broker_url,
            "RINGSYNC_DATA_DIR": str(self.settings.data_dir),
            "RINGSYNC_ENCRYPTION_KEYS": self.settings.encryption_keys.get_secret_value(),
            "RINGSYNC_SALESFORCE_ALLOWED_HOSTS": self.settings.salesforce_allowed_hosts,
            "SSL_CERT_FILE": str(self.ca_path),
        }


def _connect(database: Database, settings: Settings, base_url: str) -> int:
    spec = ConnectionSpec(
        ConnectionMethod.PASSWORD,
        base_url,
        DEFAULT_CLIENT_ID,
        ADMIN_USERNAME,
        {"client_secret": DEFAULT_CLIENT_SECRET, "password": ADMIN_PASSWORD},
    )
    with database.write() as session:
        account_id = create_account(session, "bench load").id
        save_connection(
            session, account_id, spec, cipher_for(settings), state=ConnectionState.CONNECTED
        )
    return account_id


@contextlib.contextmanager
def load_world(args: argparse.Namespace, workdir: Path) -> Iterator[LoadWorld]:
    """Start sfemu and the store, connect one account and pull ``--contacts`` linked contacts."""
    # About 1.2 % of the seeded numbers are UK national numbers, invalid for a US account.
    seeded = math.ceil(args.contacts * 1.05) + 10
    cert_dir = workdir / "tls"
    with contextlib.ExitStack() as stack:
        served = stack.enter_context(
            servers.sfemu(leads=seeded, contacts=0, users=3, seed=1, cert_dir=cert_dir)
        )
        if args.store == "postgres":
            url = stack.enter_context(postgres_database())
        else:
            url = f"sqlite:///{workdir / 'load.db'}"
        ca_path = cert_dir / "sfemu-ca.pem"
        settings = Settings(
            database_url=url,
            broker_url=REDIS_URL,
            data_dir=workdir,
            encryption_keys=SecretStr(generate_key()),
            salesforce_allowed_hosts=f"127.0.0.1:{urlsplit(served.base_url).port}",
        )
        database = open_database(url)
        stack.callback(database.dispose)
        http = httpx2.Client(verify=ssl.create_default_context(cafile=str(ca_path)), timeout=120)
        stack.callback(http.close)
        account_id = _connect(database, settings, served.base_url)
        product = build_product(settings, database=database, http=http)
        summaries = product.engine.run_inbound(account_id)
        failed = [s.error for s in summaries if s.error]
        if failed:
            raise RuntimeError(f"the initial pull failed: {failed}")
        linked = linked_contacts(database, account_id)
        if len(linked) < args.contacts:
            raise RuntimeError(f"only {len(linked)} of {args.contacts} contacts could be linked")
        setup = {
            "leads_seeded": seeded,
            "contacts_linked": len(linked),
            "initial_pull_totals": [s.totals for s in summaries],
            "store": args.store,
        }
        yield LoadWorld(
            settings,
            database,
            served,
            ca_path,
            http,
            account_id,
            linked[: args.contacts],
            setup,
        )


__all__ = ["Linked", "LoadWorld", "RunnerFactory", "load_world", "peak_rss_mb", "reset_peak_rss"]
