"""The sync engine: sequence the pure core with the store and the Salesforce client.

``run_inbound(account_id)`` reads each synced object (the priority object first) and applies
its changes; ``run_outbound(account_id)`` sends the outbox. Each object pass and each outbound
pass is a *run* with a status and totals; every record touched writes a sync log row.
``retry_failed`` puts failed records back in the outbox. ``wake(account_id)`` is the hook the
runner provides (debounce is the runner's job); activity recording calls it after commit.
Under a runner, ``engine.under(RunLease(token, ttl))`` binds the account lease: outbox claims
last as long as the lease, an outbound run renews the lease between its send batches once half
of it has run out (and stops, failed as ``lease_lost``, when a newer holder took it), and a run
that starts under a newer token closes the runs a dead worker left ``running`` as
``abandoned``.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from functools import partial

from ringsync.clock import Clock, SystemClock
from ringsync.domain.sync_settings import active_settings
from ringsync.errors import RingsyncError
from ringsync.mapping.catalog import SyncObject
from ringsync.runtime.leases import LeaseLostError, LeaseRepository, account_lease_key
from ringsync.salesforce.client import SalesforceClient
from ringsync.store.db import Database
from ringsync.store.repositories import outbox as outbox_repo
from ringsync.store.repositories import sync_failed, sync_log, sync_state
from ringsync.store.repositories.sync_failed import (
    INBOUND_OPERATION,
    FailedRecord,
    FailedStatus,
)
from ringsync.store.repositories.sync_log import RunStatus
from ringsync.sync.config import SyncSettings
from ringsync.sync.fingerprint import default_normalizer, e164_normalizer
from ringsync.sync.inbound import InboundOptions, reread, run_object
from ringsync.sync.inbound_apply import INBOUND, BatchContext
from ringsync.sync.outbound import (
    OUTBOUND,
    KeepLease,
    ObjectTools,
    OutboundOptions,
    no_lease,
    run_outbound,
)
from ringsync.sync.plan import PlanSettings
from ringsync.sync.records import read_schema

ABANDONED_REASON = (
    "abandoned: its worker died or lost the account's lease before finishing; "
    "a newer lease (fencing token {token}) took the account over"
)

WakeHook = Callable[[int], None]
"""Tell the runner that an account has work (a queue message only says "look")."""


def no_wake(account_id: int) -> None:
    """Do nothing (the default when no runner is attached)."""
    del account_id


@dataclass(frozen=True)
class EngineOptions:
    """Knobs of the engine; the defaults suit a laptop and a normal org."""

    inbound: InboundOptions = field(default_factory=InboundOptions)
    outbound: OutboundOptions = field(default_factory=OutboundOptions)
    contact_link_base_url: str | None = None


@dataclass(frozen=True)
class RunLease:
    """The runner's account lease a run works under: its fencing token and time to live."""

    token: int
    ttl: timedelta


@dataclass(frozen=True)
class RunSummary:
    """How one run ended."""

    run_id: int
    direction: str
    sobject: str | None
    status: RunStatus
    totals: dict[str, int]
    error: str | None = None


class SyncEngine:
    """Run inbound and outbound passes for accounts against their Salesforce orgs."""

    def __init__(
        self,
        db: Database,
        clients: Callable[[int], SalesforceClient],
        *,
        clock: Clock | None = None,
        options: EngineOptions | None = None,
        wake: WakeHook = no_wake,
    ) -> None:
        """Wire the store, a client per account, the clock and the runner's wake hook."""
        self.db = db
        self.clients = clients
        self.clock = clock or SystemClock()
        self.options = options or EngineOptions()
        self._wake = wake
        self._lease: RunLease | None = None

    def under(self, lease: RunLease) -> SyncEngine:
        """Return this engine bound to the runner's account lease (this one is unchanged)."""
        bound = copy.copy(self)
        bound._lease = lease
        return bound

    def wake(self, account_id: int) -> None:
        """Tell the runner this account has changes to send."""
        self._wake(account_id)

    # --- context ------------------------------------------------------------------------
    def _context(self, account_id: int, run_id: int | None) -> tuple[BatchContext, SyncSettings]:
        with self.db.read() as session:
            settings = active_settings(session, account_id)
        ctx = BatchContext(
            account_id=account_id,
            settings=PlanSettings.from_sync_settings(settings),
            normalizer=default_normalizer(settings.phone_region),
            phone=e164_normalizer(settings.phone_region),
            at=self.clock.now(),
            run_id=run_id,
            link_base_url=self.options.contact_link_base_url,
        )
        return ctx, settings

    def _owners(self, account_id: int) -> dict[str, int]:
        with self.db.read() as session:
            return sync_state.users_by_salesforce_id(session, account_id)

    def _start(self, account_id: int, direction: str, sobject: str | None) -> int:
        """Record a running run; under a lease, first close runs left by older lease holders."""
        now = self.clock.now()
        token = self._lease.token if self._lease is not None else None
        with self.db.write() as session:
            if token is not None:
                sync_log.abandon_stale_runs(
                    session, account_id, token, now, ABANDONED_REASON.format(token=token)
                )
            return sync_log.start_run(
                session, account_id, direction, sobject, now, lease_token=token
            )

    def _finish(
        self,
        account_id: int,
        run_id: int,
        direction: str,
        sobject: str | None,
        totals: Counter[str],
        error: str | None,
    ) -> RunSummary:
        status = RunStatus.FAILED if error else RunStatus.SUCCEEDED
        with self.db.write() as session:
            sync_log.finish_run(
                session, account_id, run_id, status, dict(totals), self.clock.now(), error
            )
        return RunSummary(run_id, direction, sobject, status, dict(totals), error)

    def _run(
        self,
        account_id: int,
        direction: str,
        sobject: SyncObject | None,
        body: Callable[[BatchContext, SyncSettings], None],
    ) -> RunSummary:
        """Run ``body`` as one recorded run; a run never stays "running" after an error.

        A ringsync error ends the run as failed with its code and message; anything else also
        fails the run, then propagates (it is a bug, not an outcome).
        """
        name = sobject.value if sobject is not None else None
        run_id = self._start(account_id, direction, name)
        ctx, settings = self._context(account_id, run_id)
        try:
            body(ctx, settings)
        except RingsyncError as exc:
            error = f"{exc.code}: {exc.message}"
            return self._finish(account_id, run_id, direction, name, ctx.totals, error)
        except Exception as exc:
            error = f"unexpected {type(exc).__name__}"
            self._finish(account_id, run_id, direction, name, ctx.totals, error)
            raise
        return self._finish(account_id, run_id, direction, name, ctx.totals, None)

    # --- runs ---------------------------------------------------------------------------
    def run_inbound(
        self,
        account_id: int,
        *,
        should_stop: Callable[[], bool] | None = None,
        on_progress: Callable[[int], None] | None = None,
    ) -> list[RunSummary]:
        """Read every synced object's changes since its cursor and apply them.

        ``should_stop`` is asked between batches (the runner's shutdown and lease check).
        ``on_progress`` is called after each committed batch with the number of records read so
        far in this pass, over all objects (a one-time pull reports it as the operation's
        progress).
        """
        client = self.clients(account_id)
        with self.db.read() as session:
            objects = active_settings(session, account_id).objects()
        owners = self._owners(account_id)
        summaries = []
        read = [0]

        def counted(n: int) -> None:
            read[0] += n
            if on_progress is not None:
                on_progress(read[0])

        for sobject in objects:
            body = partial(self._inbound_object, client, owners, sobject, should_stop, counted)
            summaries.append(self._run(account_id, INBOUND, sobject, body))
            if should_stop is not None and should_stop():
                break
        return summaries

    def _inbound_object(
        self,
        client: SalesforceClient,
        owners: dict[str, int],
        sobject: SyncObject,
        should_stop: Callable[[], bool] | None,
        on_batch: Callable[[int], None] | None,
        ctx: BatchContext,
        settings: SyncSettings,
    ) -> None:
        """Read and apply one object (the body of one inbound run)."""
        schema = read_schema(
            sobject, client.describe(sobject.value), settings.mappings_for(sobject)
        )
        run_object(
            client, self.db, ctx, schema, owners, self.options.inbound, should_stop, on_batch
        )

    def _reread_object(
        self,
        client: SalesforceClient,
        owners: dict[str, int],
        sobject: SyncObject,
        record_ids: list[str],
        ctx: BatchContext,
        settings: SyncSettings,
    ) -> None:
        """Read records of one object again by Id and apply them (a retry run's body)."""
        schema = read_schema(
            sobject, client.describe(sobject.value), settings.mappings_for(sobject)
        )
        reread(client, self.db, ctx, schema, owners, record_ids)

    def run_outbound(self, account_id: int) -> RunSummary:
        """Send the account's outbox to Salesforce and settle every claimed row."""
        client = self.clients(account_id)
        owners = self._owners(account_id)

        def body(ctx: BatchContext, settings: SyncSettings) -> None:
            def tools(sobject: SyncObject) -> ObjectTools:
                describe = client.describe(sobject.value)
                schema = read_schema(sobject, describe, settings.mappings_for(sobject))
                return ObjectTools(describe, schema)

            keep = self._lease_keeper(account_id)
            run_outbound(client, self.db, ctx, tools, owners, self._outbound_options(), keep)

        return self._run(account_id, OUTBOUND, None, body)

    def _lease_keeper(self, account_id: int) -> KeepLease:
        """Return the between-batches check of a run under a lease: renew when half has run out.

        The runner took or renewed the lease just before the run, so the run's start is the
        last renewal it knows of. A lease taken over (or released) raises LeaseLostError.
        """
        lease = self._lease
        if lease is None:
            return no_lease
        repository = LeaseRepository(self.db, self.clock)
        key = account_lease_key(account_id)
        renewed_at = self.clock.now()

        def keep() -> None:
            nonlocal renewed_at
            now = self.clock.now()
            if now - renewed_at < lease.ttl / 2:
                return
            if repository.renew_token(key, lease.token, lease.ttl) is None:
                raise LeaseLostError(
                    "the account lease was taken over during the outbound run; "
                    "the rows not sent yet wait for the new holder",
                    lease=key,
                    token=lease.token,
                )
            renewed_at = now

        return keep

    def _outbound_options(self) -> OutboundOptions:
        """Return the outbound options on the engine's clock; under a lease, claims last exactly
        as long as it."""
        options = replace(self.options.outbound, clock=self.options.outbound.clock or self.clock)
        if self._lease is None:
            return options
        return replace(options, lease=self._lease.ttl)

    # --- failed records -----------------------------------------------------------------
    def list_failed(self, account_id: int) -> list[FailedRecord]:
        """List the account's open failed records, oldest first."""
        with self.db.read() as session:
            return sync_failed.list_failed(session, account_id)

    def retry_failed(self, account_id: int, ids: Sequence[int]) -> int:
        """Retry failed records; return how many were taken up.

        A refused write goes back to the outbox (and the runner is woken); a Salesforce record
        our side refused is read again by Id and applied now.
        """
        now = self.clock.now()
        with self.db.write() as session:
            found = sync_failed.list_failed(
                session, account_id, statuses=(FailedStatus.FAILED.value,), ids=list(ids)
            )
            writes = [f for f in found if f.operation != INBOUND_OPERATION and f.contact_id]
            reads = [f for f in found if f.operation == INBOUND_OPERATION and f.record_id]
            for failed in writes:
                assert failed.contact_id is not None  # filtered above
                outbox_repo.add(
                    session, account_id, failed.contact_id, _properties(failed), "ringsync", now
                )
            taken = [f.id for f in (*writes, *reads)]
            sync_failed.set_status(session, account_id, taken, FailedStatus.RETRYING, now)
        if reads:
            self._reread(account_id, reads)
        if writes:
            self.wake(account_id)
        return len(taken)

    def _reread(self, account_id: int, failed: Sequence[FailedRecord]) -> None:
        client = self.clients(account_id)
        owners = self._owners(account_id)
        by_object: dict[str, list[str]] = {}
        for f in failed:
            by_object.setdefault(f.sobject, []).append(str(f.record_id))
        for name, record_ids in by_object.items():
            sobject = SyncObject(name)
            body = partial(self._reread_object, client, owners, sobject, record_ids)
            self._run(account_id, INBOUND, sobject, body)
        with self.db.write() as session:
            still = sync_failed.list_failed(
                session,
                account_id,
                statuses=(FailedStatus.RETRYING.value,),
                ids=[f.id for f in failed],
            )
            sync_failed.set_status(
                session, account_id, [f.id for f in still], FailedStatus.FAILED, self.clock.now()
            )

    def ignore_failed(self, account_id: int, ids: Sequence[int]) -> int:
        """Mark failed records ignored (kept for the record, no longer listed as open)."""
        with self.db.write() as session:
            return sync_failed.set_status(
                session, account_id, list(ids), FailedStatus.IGNORED, self.clock.now()
            )


def _properties(failed: FailedRecord) -> list[str]:
    """Return the properties a failed write named (the phone when it named none)."""
    props = failed.payload.get("properties") if failed.payload else None
    if isinstance(props, list) and props:
        return [str(p) for p in props]
    return ["phone"]


__all__ = [
    "ABANDONED_REASON",
    "EngineOptions",
    "RunLease",
    "RunSummary",
    "SyncEngine",
    "WakeHook",
    "no_wake",
]
