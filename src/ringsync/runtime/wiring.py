"""Wire the product together for one process: store, Salesforce access, engine, tasks, runner.

``build_product(settings)`` is what ``ringsync serve``, ``ringsync sync``, the demo and a Celery
worker share: each account's Salesforce client comes from its stored connection (secrets
decrypted with the configured keys, a rotated refresh token saved back), the sync engine runs
on those clients, the task handlers call the engine, and polling is due per account from its
poll interval and its last inbound run. The runner's wake-up is bound late, because the
runner needs the registry and the registry needs the engine.

A task that runs under an account lease binds the engine to it (``RunLease``): outbox claims
last as long as the lease, and runs a dead worker left ``running`` are closed as abandoned. An
account whose sync cannot start backs off (``AccountBackoff``) and warns once per new error.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx2

from ringsync.clock import Clock, SystemClock
from ringsync.domain.connections import cipher_for
from ringsync.domain.sync_settings import active_settings
from ringsync.errors import RingsyncError, TransientError
from ringsync.operations.handler import OperationEnv
from ringsync.operations.tasks import operation_tasks
from ringsync.runtime.backoff import AccountBackoff
from ringsync.runtime.factory import create_runner
from ringsync.runtime.runner import Runner
from ringsync.runtime.tasks import (
    SYNC_INBOUND,
    SYNC_OUTBOUND,
    DueAccounts,
    TaskContext,
    TaskFunc,
    TaskRegistry,
    create_registry,
)
from ringsync.salesforce.client import SalesforceClient
from ringsync.salesforce.hosts import HostPolicy
from ringsync.settings import Settings, load_settings
from ringsync.store.db import Database, open_database
from ringsync.store.repositories import sync_schedule
from ringsync.sync.engine import EngineOptions, RunLease, RunSummary, SyncEngine
from ringsync.web.api.admin_salesforce import SalesforceAccess
from ringsync.web.app import open_store

logger = logging.getLogger(__name__)

HTTP_TIMEOUT_SECONDS = 60.0


def poll_due(database: Database, backoff: AccountBackoff | None = None) -> DueAccounts:
    """Return the schedule: connected accounts whose last inbound run is a poll interval old.

    An account backing off after a failed start waits out its back-off first.
    """

    def due_accounts(now: datetime) -> list[int]:
        with database.read() as session:
            accounts = sync_schedule.connected_accounts(session)
            last = sync_schedule.last_inbound_starts(session)
            due: list[int] = []
            for account_id in accounts:
                started = last.get(account_id)
                every = timedelta(
                    seconds=active_settings(session, account_id).poll_interval_seconds
                )
                if backoff is not None and backoff.waiting(account_id, SYNC_INBOUND, now, every):
                    continue
                if started is None or now - started >= every:
                    due.append(account_id)
        return due

    return due_accounts


OUTBOUND_BACKOFF_CAP = timedelta(minutes=5)


SWEEP_GRACE = timedelta(seconds=10)  # a row this young still has its own wake-up coming


def outbox_due(
    database: Database,
    backoff: AccountBackoff | None = None,
    *,
    grace: timedelta = SWEEP_GRACE,
) -> DueAccounts:
    """Return the sweep: connected accounts with pending outbox rows whose claim is free.

    A row is free when nobody claimed it or its claim (or retry delay) has run out, so a
    change whose wake-up message was lost is sent on the next poll tick; rows a live run holds
    or that wait out a retry delay are left alone. An account whose outbound sync cannot
    start backs off first.
    """

    def due_accounts(now: datetime) -> list[int]:
        with database.read() as session:
            accounts = sync_schedule.accounts_with_free_outbox(
                session, now, created_before=now - grace
            )
        if backoff is None:
            return accounts
        return [
            a for a in accounts if not backoff.waiting(a, SYNC_OUTBOUND, now, OUTBOUND_BACKOFF_CAP)
        ]

    return due_accounts


def _account_id(kwargs: dict[str, Any]) -> int:
    value = kwargs.get("account_id")
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("account_id must be an integer")
    return value


NOTEWORTHY = ("created", "updated", "deleted", "conflict", "failed")


def log_run(account_id: int, summary: RunSummary) -> None:
    """Log one finished run: INFO when it changed something or failed, else DEBUG."""
    shown = {k: v for k, v in sorted(summary.totals.items()) if v}
    level = (
        logging.INFO if summary.error or any(shown.get(k) for k in NOTEWORTHY) else logging.DEBUG
    )
    what = f"{summary.direction} {summary.sobject}" if summary.sobject else summary.direction
    counts = ", ".join(f"{k} {v}" for k, v in shown.items()) or "nothing to do"
    logger.log(
        level,
        "account %s: %s run %s %s: %s%s",
        account_id,
        what,
        summary.run_id,
        summary.status.value,
        counts,
        f" ({summary.error})" if summary.error else "",
    )


def leased(engine: SyncEngine, ctx: TaskContext) -> SyncEngine:
    """Bind the engine to the task's account lease, when the task runs under one."""
    if ctx.lease is None:
        return engine
    return engine.under(RunLease(ctx.lease.token, ctx.lease_ttl))


def engine_tasks(
    engine: Callable[[], SyncEngine], backoff: AccountBackoff | None = None
) -> dict[str, TaskFunc]:
    """Return the engine's task bodies: ``sync_inbound`` and ``sync_outbound`` per account.

    A run that ends in a ringsync error is already recorded by the engine; an error before any
    run starts (no usable connection, keys that cannot decrypt it) is logged as one line when
    it is new for the account, the account backs off, and the task ends, so polling does not
    print a traceback (or the same warning) every few seconds. Transient errors propagate,
    for the Celery runner to retry.
    """
    failures = backoff if backoff is not None else AccountBackoff()

    def not_run(ctx: TaskContext, account_id: int, direction: str, exc: RingsyncError) -> None:
        task = SYNC_INBOUND if direction == "inbound" else SYNC_OUTBOUND
        if failures.failed(account_id, task, exc.message, ctx.clock.now()):
            logger.warning("account %s: %s sync not run: %s", account_id, direction, exc.message)

    def started(account_id: int, direction: str) -> None:
        task = SYNC_INBOUND if direction == "inbound" else SYNC_OUTBOUND
        if failures.succeeded(account_id, task):
            logger.info("account %s: %s sync runs again", account_id, direction)

    def sync_inbound(ctx: TaskContext, /, **kwargs: Any) -> object:
        account_id = _account_id(kwargs)
        try:
            summaries = leased(engine(), ctx).run_inbound(account_id, should_stop=ctx.should_stop)
        except TransientError:
            raise
        except RingsyncError as exc:
            not_run(ctx, account_id, "inbound", exc)
            return None
        started(account_id, "inbound")
        for summary in summaries:
            log_run(account_id, summary)
        return [s.totals for s in summaries]

    def sync_outbound(ctx: TaskContext, /, **kwargs: Any) -> object:
        account_id = _account_id(kwargs)
        try:
            summary = leased(engine(), ctx).run_outbound(account_id)
        except TransientError:
            raise
        except RingsyncError as exc:
            not_run(ctx, account_id, "outbound", exc)
            return None
        started(account_id, "outbound")
        log_run(account_id, summary)
        return summary.totals

    return {SYNC_INBOUND: sync_inbound, SYNC_OUTBOUND: sync_outbound}


@dataclass
class Product:
    """Everything one process runs with; ``close()`` releases what ``build_product`` opened."""

    settings: Settings
    database: Database
    access: SalesforceAccess
    engine: SyncEngine
    registry: TaskRegistry
    runner: Runner
    clock: Clock
    _closers: list[Callable[[], None]] = field(default_factory=list, repr=False)

    def client(self, account_id: int) -> SalesforceClient:
        """Return the account's Salesforce client, built from its stored connection."""
        return self.access.client(self.database, account_id)

    def close(self) -> None:
        """Close the HTTP client and the store when this product opened them."""
        for closer in reversed(self._closers):
            closer()
        self._closers.clear()


def product_registry(
    database: Database,
    engine: Callable[[], SyncEngine],
    clients: Callable[[int], Any],
    *,
    backoff: AccountBackoff | None = None,
) -> TaskRegistry:
    """Build the registry of every task the product runs (engine, operations, polling)."""
    failures = backoff if backoff is not None else AccountBackoff()

    def build_env(ctx: TaskContext, account_id: int) -> OperationEnv:
        bound = leased(engine(), ctx)
        return OperationEnv(ctx.database, clients(account_id), ctx.clock, engine=bound)

    handlers: dict[str, TaskFunc] = {
        **engine_tasks(engine, failures),
        **operation_tasks(build_env),
    }
    return create_registry(
        handlers,
        due_accounts=poll_due(database, failures),
        outbox_due=outbox_due(database, failures),
    )


def build_product(
    settings: Settings,
    *,
    database: Database | None = None,
    http: httpx2.Client | None = None,
    hosts: HostPolicy | None = None,
    clock: Clock | None = None,
    engine_options: EngineOptions | None = None,
    runner_factory: Callable[[Settings, Database, TaskRegistry, DueAccounts], Runner] | None = None,
) -> Product:
    """Build the product for this process (nothing starts: call ``product.runner.start()``).

    Without ``database`` the store named by the settings is opened and migrated; without
    ``http`` a fresh client with TLS verification on is used. Both are closed by ``close()``
    only when built here.
    """
    the_clock = clock or SystemClock()
    closers: list[Callable[[], None]] = []
    if database is None:
        database = open_store(settings.database_url)
        closers.append(database.dispose)
    if http is None:
        http = httpx2.Client(timeout=HTTP_TIMEOUT_SECONDS)
        closers.append(http.close)
    access = SalesforceAccess(
        http=http,
        hosts=hosts or HostPolicy.from_settings(settings),
        cipher=lambda: cipher_for(settings),
        clock=the_clock,
    )
    store = database
    runner_box: list[Runner] = []

    def wake(account_id: int) -> None:
        if runner_box:
            runner_box[0].wake(account_id)

    engine = SyncEngine(
        store,
        lambda account_id: access.client(store, account_id),
        clock=the_clock,
        options=engine_options,
        wake=wake,
    )
    backoff = AccountBackoff()
    registry = product_registry(
        store, lambda: engine, lambda account_id: access.client(store, account_id), backoff=backoff
    )
    due = poll_due(store, backoff)
    if runner_factory is not None:
        runner = runner_factory(settings, store, registry, due)
    else:
        runner = create_runner(
            settings,
            database=store,
            registry=registry,
            due_accounts=due,
            outbox_due=outbox_due(store, backoff),
            clock=the_clock,
        )
    runner_box.append(runner)
    return Product(settings, store, access, engine, registry, runner, the_clock, closers)


class _LazyEngine:
    """Build the worker's engine on first use, after Celery has forked its pool."""

    def __init__(self, settings: Settings, options: EngineOptions | None) -> None:
        self._settings = settings
        self._options = options
        self._lock = threading.Lock()
        self._product: tuple[Database, SyncEngine, SalesforceAccess] | None = None
        self.backoff = AccountBackoff()

    def parts(self) -> tuple[Database, SyncEngine, SalesforceAccess]:
        with self._lock:
            if self._product is None:
                database = open_database(self._settings.database_url, migrate=False)
                access = SalesforceAccess(
                    http=httpx2.Client(timeout=HTTP_TIMEOUT_SECONDS),
                    hosts=HostPolicy.from_settings(self._settings),
                    cipher=lambda: cipher_for(self._settings),
                    clock=SystemClock(),
                )
                engine = SyncEngine(
                    database, lambda a: access.client(database, a), options=self._options
                )
                self._product = (database, engine, access)
            return self._product

    def engine(self) -> SyncEngine:
        return self.parts()[1]

    def client(self, account_id: int) -> SalesforceClient:
        database, _, access = self.parts()
        return access.client(database, account_id)

    def due(self, now: datetime) -> list[int]:
        return poll_due(self.parts()[0], self.backoff)(now)

    def outbox_due(self, now: datetime) -> list[int]:
        return outbox_due(self.parts()[0], self.backoff)(now)


def worker_registry(
    settings: Settings, *, engine_options: EngineOptions | None = None
) -> TaskRegistry:
    """Return the product's registry for a worker process with these settings.

    The store and clients open on the first task, so a forked pool never shares a connection
    with its parent.
    """
    lazy = _LazyEngine(settings, engine_options)

    def build_env(ctx: TaskContext, account_id: int) -> OperationEnv:
        bound = leased(lazy.engine(), ctx)
        return OperationEnv(ctx.database, lazy.client(account_id), ctx.clock, engine=bound)

    handlers: dict[str, TaskFunc] = {
        **engine_tasks(lazy.engine, lazy.backoff),
        **operation_tasks(build_env),
    }
    return create_registry(handlers, due_accounts=lazy.due, outbox_due=lazy.outbox_due)


def create_worker_registry() -> TaskRegistry:
    """Return the product's registry for a Celery worker (``--registry`` takes this name)."""
    return worker_registry(load_settings())


WORKER_REGISTRY = "ringsync.runtime.wiring:create_worker_registry"

__all__ = [
    "WORKER_REGISTRY",
    "Product",
    "build_product",
    "create_worker_registry",
    "engine_tasks",
    "leased",
    "outbox_due",
    "poll_due",
    "product_registry",
    "worker_registry",
]
