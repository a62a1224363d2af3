"""Read-only figures for ``ringsync status``: backlog, failures, runs, leases, operations.

Each reader returns None when its table is not in the database yet (a schema behind the code,
or a feature whose migration has not run), so status can show what exists and say what not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, func, inspect, select
from sqlalchemy.orm import Session

from ringsync.operations.tables import operations
from ringsync.runtime.lease_table import leases
from ringsync.store.connections import salesforce_connections
from ringsync.store.repositories.outbox import FAILED, PENDING
from ringsync.store.repositories.sync_failed import OPEN_STATUSES
from ringsync.store.sync_tables import sync_failed_records, sync_runs
from ringsync.store.tables import Account, OutboxEntry, table_of

ACTIVE_OPERATION_STATUSES = ("queued", "running")


@dataclass(frozen=True)
class Backlog:
    """Outbox rows still to send, the oldest one's time, and rows given up on."""

    pending: int
    oldest_pending_at: datetime | None
    failed: int


@dataclass(frozen=True)
class RunSummary:
    """The newest run for one direction and object."""

    direction: str
    sobject: str | None
    status: str
    started_at: datetime
    finished_at: datetime | None
    totals: dict[str, Any]
    error: str | None


@dataclass(frozen=True)
class LeaseView:
    """Who holds a lease and until when."""

    key: str
    holder: str | None
    expires_at: datetime


@dataclass(frozen=True)
class ActiveOperation:
    """A one-time operation that is queued or running."""

    id: int
    kind: str
    status: str
    progress_done: int
    progress_total: int | None


def table_names(session: Session) -> frozenset[str]:
    """Return the names of the tables present in the database."""
    return frozenset(inspect(session.connection()).get_table_names())


def _has(present: frozenset[str], table: Table) -> bool:
    return table.name in present


def accounts(session: Session, account_id: int | None = None) -> list[tuple[int, str]]:
    """Return (id, name) of every account, or of the one asked for."""
    stmt = select(Account.id, Account.name).order_by(Account.id)
    if account_id is not None:
        stmt = stmt.where(Account.id == account_id)
    return [(int(i), str(n)) for i, n in session.execute(stmt)]


def backlog(session: Session, account_id: int) -> Backlog:
    """Count the account's pending and failed outbox rows."""
    outbox = table_of(OutboxEntry)
    rows = session.execute(
        select(outbox.c.status, func.count(), func.min(outbox.c.created_at))
        .where(outbox.c.account_id == account_id, outbox.c.status.in_((PENDING, FAILED)))
        .group_by(outbox.c.status)
    ).all()
    found = {str(status): (int(count), oldest) for status, count, oldest in rows}
    pending, oldest = found.get(PENDING, (0, None))
    return Backlog(pending, oldest, found.get(FAILED, (0, None))[0])


def open_failed_records(session: Session, present: frozenset[str], account_id: int) -> int | None:
    """Count records waiting in the failed list (None: the engine's tables are absent)."""
    if not _has(present, sync_failed_records):
        return None
    t = sync_failed_records
    stmt = select(func.count()).where(t.c.account_id == account_id, t.c.status.in_(OPEN_STATUSES))
    return int(session.execute(stmt).scalar_one())


def last_runs(
    session: Session, present: frozenset[str], account_id: int, *, scan: int = 200
) -> list[RunSummary] | None:
    """Return the newest run per (direction, object) among the last ``scan`` runs."""
    if not _has(present, sync_runs):
        return None
    t = sync_runs
    rows = session.execute(
        select(t).where(t.c.account_id == account_id).order_by(t.c.id.desc()).limit(scan)
    ).all()
    newest: dict[tuple[str, str | None], RunSummary] = {}
    for row in rows:
        m = row._mapping
        key = (str(m["direction"]), m["sobject"])
        if key not in newest:
            newest[key] = RunSummary(
                direction=key[0],
                sobject=key[1],
                status=str(m["status"]),
                started_at=m["started_at"],
                finished_at=m["finished_at"],
                totals=dict(m["totals"] or {}),
                error=m["error"],
            )
    return sorted(newest.values(), key=lambda r: (r.direction, r.sobject or ""))


def lease(session: Session, present: frozenset[str], key: str) -> LeaseView | None:
    """Return the lease row named ``key`` (None when absent or the table is missing)."""
    if not _has(present, leases):
        return None
    row = session.execute(select(leases).where(leases.c.key == key)).first()
    if row is None:
        return None
    m = row._mapping
    return LeaseView(str(m["key"]), m["holder"], m["expires_at"])


def active_operations(
    session: Session, present: frozenset[str], account_id: int
) -> list[ActiveOperation] | None:
    """Return the account's queued or running operations (None: the table is absent)."""
    if not _has(present, operations):
        return None
    t = operations
    rows = session.execute(
        select(t.c.id, t.c.kind, t.c.status, t.c.progress_done, t.c.progress_total)
        .where(t.c.account_id == account_id, t.c.status.in_(ACTIVE_OPERATION_STATUSES))
        .order_by(t.c.id)
    ).all()
    return [ActiveOperation(int(i), str(k), str(s), int(d), tot) for i, k, s, d, tot in rows]


def has_connections_table(present: frozenset[str]) -> bool:
    """Tell whether the connections table exists (its migration has run)."""
    return _has(present, salesforce_connections)


__all__ = [
    "ActiveOperation",
    "Backlog",
    "LeaseView",
    "RunSummary",
    "accounts",
    "active_operations",
    "backlog",
    "has_connections_table",
    "last_runs",
    "lease",
    "open_failed_records",
    "table_names",
]
