"""Preview, start, run, cancel, resume and inspect one-time operations.

Guarantees:

* one kind runs at most once at a time per account: the operation row holds the
  ``(account, active_kind)`` key while queued or running, so a second start is refused with the
  running operation's id;
* one worker drives an operation at a time: the runner holds the database lease
  ``account:<id>:operation:<kind>`` and renews it before every batch and, through the
  handler's ``OperationEnv.heartbeat``, between the engine's batches inside one long batch
  (a dead worker's lease expires, and ``resume`` takes over; a live one never looks dead);
* progress, items and the resume cursor are committed with each batch's effects in one
  transaction, so a crash repeats no committed batch and ``resume`` continues from the cursor;
* ``cancel`` is checked between batches; what earlier batches applied stays applied;
* a failure marks the operation ``failed`` with the error; it can be resumed from its cursor.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from ringsync.errors import NotFoundError
from ringsync.operations import store
from ringsync.operations.handler import Applied, OperationEnv, OperationHandler
from ringsync.operations.heartbeat import OperationHeartbeat
from ringsync.operations.import_list import ImportListHandler
from ringsync.operations.lead_statuses import LeadStatusesHandler
from ringsync.operations.model import (
    Operation,
    OperationConflictError,
    OperationKind,
    OperationRefusedError,
    OperationStateError,
    OperationStatus,
    Preview,
)
from ringsync.operations.pull import PullHandler
from ringsync.operations.push import PushHandler
from ringsync.operations.push_one import PushOneHandler
from ringsync.operations.users_sync import UsersSyncHandler
from ringsync.runtime.leases import Lease, LeaseLostError, LeaseRepository, assert_current

ProgressFn = Callable[[Operation], None]
StopFn = Callable[[], bool]
DEFAULT_LEASE_TTL = timedelta(minutes=5)


def operation_lease_key(account_id: int, kind: OperationKind) -> str:
    """Name the lease held by whoever drives an account's operation of one kind."""
    return f"account:{account_id}:operation:{kind.value}"


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class OperationRunner:
    """Drive operations of one deployment; handlers supply what each kind does."""

    def __init__(
        self,
        env: OperationEnv,
        handlers: Mapping[OperationKind, OperationHandler],
        *,
        holder: str = "ringsync",
        lease_ttl: timedelta = DEFAULT_LEASE_TTL,
        leases: LeaseRepository | None = None,
    ) -> None:
        """Keep the environment, the handlers by kind, and who holds the leases."""
        self.env = env
        self._handlers = dict(handlers)
        self._holder = holder
        self._ttl = lease_ttl
        self._leases = leases or LeaseRepository(env.database, env.clock)

    # --- lookups ---------------------------------------------------------------------------
    def handler(self, kind: OperationKind) -> OperationHandler:
        """Return the handler of ``kind`` or refuse the kind with the reason."""
        found = self._handlers.get(kind)
        if found is None:
            raise OperationRefusedError(
                f"the {kind.value} operation is not available in this version",
                kind=kind.value,
            )
        return found

    def status(self, account_id: int, operation_id: int) -> Operation:
        """Return one operation of the account or raise NotFoundError."""
        with self.env.database.read() as session:
            found = store.get(session, account_id, operation_id)
        if found is None:
            raise NotFoundError(f"operation {operation_id} does not exist", account_id=account_id)
        return found

    def latest(self, account_id: int, kind: OperationKind | None = None) -> Operation | None:
        """Return the account's newest operation (of one kind, if given)."""
        with self.env.database.read() as session:
            return store.latest(session, account_id, kind)

    # --- preview and start ----------------------------------------------------------------
    def preview(
        self, account_id: int, kind: OperationKind, params: Mapping[str, Any] | None = None
    ) -> Preview:
        """Return what the operation would do now (a dry run: nothing is written)."""
        handler = self.handler(kind)
        arguments = dict(params or {})
        with self.env.database.read() as session:
            handler.check(session, account_id, arguments)
        return handler.preview(self.env, account_id, arguments)

    def start(
        self,
        account_id: int,
        kind: OperationKind,
        params: Mapping[str, Any] | None = None,
        *,
        started_by: int | None = None,
    ) -> Operation:
        """Queue an operation after its checks; refuse a second active one of the same kind."""
        handler = self.handler(kind)
        arguments = dict(params or {})
        with self.env.database.write() as session:
            handler.check(session, account_id, arguments)
            return store.add(session, account_id, kind, arguments, started_by, self.env.clock.now())

    def run(
        self,
        account_id: int,
        kind: OperationKind,
        params: Mapping[str, Any] | None = None,
        *,
        started_by: int | None = None,
        on_progress: ProgressFn | None = None,
    ) -> Operation:
        """Start an operation and drive it to its end in this thread."""
        queued = self.start(account_id, kind, params, started_by=started_by)
        return self.execute(account_id, queued.id, on_progress=on_progress)

    # --- driving ----------------------------------------------------------------------------
    def execute(
        self,
        account_id: int,
        operation_id: int,
        *,
        on_progress: ProgressFn | None = None,
        should_stop: StopFn | None = None,
    ) -> Operation:
        """Drive a queued operation to its end.

        ``should_stop`` is asked after every committed batch (process shutdown): when it says
        yes the operation stays ``running`` with its cursor, ready for :meth:`resume`.
        """
        allowed = {OperationStatus.QUEUED}
        return self._drive(account_id, operation_id, allowed, on_progress, should_stop)

    def resume(
        self,
        account_id: int,
        operation_id: int,
        *,
        on_progress: ProgressFn | None = None,
        should_stop: StopFn | None = None,
    ) -> Operation:
        """Continue a failed or abandoned operation from its cursor (or a queued one)."""
        allowed = {OperationStatus.QUEUED, OperationStatus.RUNNING, OperationStatus.FAILED}
        return self._drive(account_id, operation_id, allowed, on_progress, should_stop)

    def _drive(
        self,
        account_id: int,
        operation_id: int,
        allowed: set[OperationStatus],
        on_progress: ProgressFn | None,
        should_stop: StopFn | None,
    ) -> Operation:
        current = self._runnable(account_id, operation_id, allowed)
        handler = self.handler(current.kind)
        key = operation_lease_key(account_id, current.kind)
        lease = self._leases.acquire(key, self._holder, self._ttl)
        if lease is None:
            raise OperationConflictError(
                f"a {current.kind.value} operation is being run by another worker for this "
                "account; try again when it has finished",
                account_id=account_id,
                operation_id=operation_id,
            )
        try:
            # Another worker may have finished it between our first look and the lease.
            current = self._runnable(account_id, operation_id, allowed)
            return self._loop(handler, current, lease, on_progress, should_stop)
        finally:
            self._leases.release(lease)

    def _runnable(
        self, account_id: int, operation_id: int, allowed: set[OperationStatus]
    ) -> Operation:
        current = self.status(account_id, operation_id)
        if current.status not in allowed:
            raise OperationStateError(
                f"operation {operation_id} is {current.status.value}; it cannot be run again",
                account_id=account_id,
                operation_id=operation_id,
            )
        return current

    def _loop(
        self,
        handler: OperationHandler,
        current: Operation,
        lease: Lease,
        on_progress: ProgressFn | None,
        should_stop: StopFn | None,
    ) -> Operation:
        account_id, operation_id = current.account_id, current.id
        with self.env.database.write() as session:
            if current.cancel_requested:
                return store.finish(
                    session, account_id, operation_id, OperationStatus.CANCELLED, self._now()
                )
            operation = store.claim(session, account_id, operation_id, self._now())
        heartbeat = OperationHeartbeat(self._leases, lease, self._ttl)
        env = replace(self.env, heartbeat=heartbeat.beat)
        try:
            while True:
                heartbeat.renew()
                operation = self.status(account_id, operation_id)
                if operation.cancel_requested:
                    return self._finish(operation, OperationStatus.CANCELLED)
                batch = handler.fetch(env, operation)
                if batch is None:
                    return self._finish(operation, OperationStatus.SUCCEEDED)
                with self.env.database.write() as session:
                    assert_current(session, heartbeat.lease)
                    outcome = handler.apply(session, self.env, operation, batch)
                    applied = outcome if isinstance(outcome, Applied) else Applied(outcome)
                    operation = store.record_batch(
                        session,
                        operation,
                        cursor=batch.cursor,
                        items=list(applied.items),
                        total=batch.total,
                        at=self._now(),
                        tallies=applied.tallies,
                        progress=applied.done,
                    )
                if on_progress is not None:
                    on_progress(operation)
                if batch.last:
                    return self._finish(operation, OperationStatus.SUCCEEDED)
                if should_stop is not None and should_stop():
                    return operation  # still running; resume continues from the cursor
        except LeaseLostError:
            raise
        except Exception as exc:  # any failure ends the run as "failed", resumable from the cursor
            return self._finish(operation, OperationStatus.FAILED, error=_describe(exc))

    def _finish(
        self, operation: Operation, status: OperationStatus, *, error: str | None = None
    ) -> Operation:
        with self.env.database.write() as session:
            return store.finish(
                session, operation.account_id, operation.id, status, self._now(), error=error
            )

    # --- cancel ----------------------------------------------------------------------------
    def cancel(self, account_id: int, operation_id: int) -> Operation:
        """Cancel a queued operation now, or ask a running one to stop before its next batch.

        An operation left ``running`` by a worker that died (its lease has expired) and a failed
        one are closed as cancelled at once, so they are not resumed later.
        """
        current = self.status(account_id, operation_id)
        if current.status in (OperationStatus.SUCCEEDED, OperationStatus.CANCELLED):
            raise OperationStateError(
                f"operation {operation_id} has already {current.status.value}; nothing to cancel",
                account_id=account_id,
                operation_id=operation_id,
            )
        live = self._leases.current(operation_lease_key(account_id, current.kind))
        with self.env.database.write() as session:
            if current.status is OperationStatus.RUNNING and live is not None:
                store.request_cancel(session, account_id, operation_id)
                found = store.get(session, account_id, operation_id)
                assert found is not None
                return found
            return store.finish(
                session, account_id, operation_id, OperationStatus.CANCELLED, self._now()
            )

    def _now(self) -> datetime:
        return self.env.clock.now()


def standard_handlers() -> dict[OperationKind, OperationHandler]:
    """Return a handler for every kind this version can run."""
    return {
        OperationKind.PULL_LEAD_STATUSES: LeadStatusesHandler(),
        OperationKind.SYNC_USERS: UsersSyncHandler(),
        OperationKind.PULL_CONTACTS: PullHandler(),
        OperationKind.PUSH_CONTACTS: PushHandler(),
        OperationKind.PUSH_ONE: PushOneHandler(),
        OperationKind.IMPORT_LIST: ImportListHandler(),
    }


def create_runner(
    env: OperationEnv,
    *,
    handlers: Mapping[OperationKind, OperationHandler] | None = None,
    holder: str = "ringsync",
    lease_ttl: timedelta = DEFAULT_LEASE_TTL,
) -> OperationRunner:
    """Build a runner over ``env`` with the standard handlers unless others are given."""
    chosen = standard_handlers() if handlers is None else handlers
    return OperationRunner(env, chosen, holder=holder, lease_ttl=lease_ttl)


__all__ = [
    "DEFAULT_LEASE_TTL",
    "OperationRunner",
    "ProgressFn",
    "StopFn",
    "create_runner",
    "operation_lease_key",
    "standard_handlers",
]
