"""Reads behind the admin API's logs and health views: paged log rows, runs, counts, backlog."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ringsync.store.repositories.outbox import PENDING
from ringsync.store.repositories.sync_failed import OPEN_STATUSES
from ringsync.store.repositories.sync_log import RunRow, StoredEntry
from ringsync.store.sync_tables import sync_failed_records, sync_log, sync_runs
from ringsync.store.tables import OutboxEntry


@dataclass(frozen=True)
class LogFilter:
    """Which sync log rows to list; ``before_id`` continues a page (rows come newest first)."""

    run_id: int | None = None
    record_id: str | None = None
    contact_id: int | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_id: int | None = None


def _entry(r: object) -> StoredEntry:
    m = getattr(r, "_mapping")  # noqa: B009  # Core rows expose their mapping under this name
    return StoredEntry(
        int(m["id"]),
        m["run_id"],
        m["direction"],
        m["sobject"],
        m["record_id"],
        m["contact_id"],
        m["action"],
        m["reason"],
        m["fields"],
        m["error_code"],
        m["error_message"],
        m["at"],
    )


def page_entries(
    session: Session, account_id: int, where: LogFilter, *, limit: int
) -> list[StoredEntry]:
    """Return up to ``limit`` log rows matching ``where``, newest first (by id)."""
    c = sync_log.c
    stmt = select(sync_log).where(c.account_id == account_id)
    if where.run_id is not None:
        stmt = stmt.where(c.run_id == where.run_id)
    if where.record_id is not None:
        stmt = stmt.where(c.record_id == where.record_id)
    if where.contact_id is not None:
        stmt = stmt.where(c.contact_id == where.contact_id)
    if where.action is not None:
        stmt = stmt.where(c.action == where.action)
    if where.since is not None:
        stmt = stmt.where(c.at >= where.since)
    if where.until is not None:
        stmt = stmt.where(c.at < where.until)
    if where.before_id is not None:
        stmt = stmt.where(c.id < where.before_id)
    stmt = stmt.order_by(c.id.desc()).limit(limit)
    return [_entry(r) for r in session.execute(stmt)]


def _run(r: object) -> RunRow:
    m = getattr(r, "_mapping")  # noqa: B009  # Core rows expose their mapping under this name
    return RunRow(
        int(m["id"]),
        m["direction"],
        m["sobject"],
        m["started_at"],
        m["finished_at"],
        m["status"],
        m["totals"],
        m["error"],
    )


def get_run(session: Session, account_id: int, run_id: int) -> RunRow | None:
    """Return one run of the account, or None."""
    c = sync_runs.c
    stmt = select(sync_runs).where(c.account_id == account_id, c.id == run_id)
    row = session.execute(stmt).first()
    return None if row is None else _run(row)


def last_runs(session: Session, account_id: int) -> list[RunRow]:
    """Return the newest run of every (direction, object) pair the account has run."""
    c = sync_runs.c
    newest = (
        select(func.max(c.id).label("id"))
        .where(c.account_id == account_id)
        .group_by(c.direction, c.sobject)
        .subquery()
    )
    stmt = select(sync_runs).where(c.id.in_(select(newest.c.id))).order_by(c.id.desc())
    return [_run(r) for r in session.execute(stmt)]


def log_entry_count(session: Session, account_id: int, run_id: int) -> int:
    """Return how many log rows one run wrote."""
    c = sync_log.c
    stmt = select(func.count()).where(c.account_id == account_id, c.run_id == run_id)
    return int(session.scalar(stmt) or 0)


def open_failures_by_code(session: Session, account_id: int) -> dict[str, int]:
    """Count the account's open failed records by Salesforce error code."""
    c = sync_failed_records.c
    code = func.coalesce(c.error_code, "unknown")
    stmt = (
        select(code, func.count())
        .where(c.account_id == account_id, c.status.in_(OPEN_STATUSES))
        .group_by(code)
    )
    return {str(name): int(count) for name, count in session.execute(stmt)}


def failed_status(session: Session, account_id: int, failed_id: int) -> str | None:
    """Return the status of one failed record of the account, or None when there is none."""
    c = sync_failed_records.c
    stmt = select(c.status).where(c.account_id == account_id, c.id == failed_id)
    found = session.execute(stmt).scalar()
    return None if found is None else str(found)


def outbox_backlog(session: Session, account_id: int) -> tuple[int, datetime | None]:
    """Return how many outbox rows wait to be sent, and when the oldest was written."""
    stmt = select(func.count(), func.min(OutboxEntry.created_at)).where(
        OutboxEntry.account_id == account_id, OutboxEntry.status == PENDING
    )
    count, oldest = session.execute(stmt).one()
    return int(count or 0), oldest


__all__ = [
    "LogFilter",
    "failed_status",
    "get_run",
    "last_runs",
    "log_entry_count",
    "open_failures_by_code",
    "outbox_backlog",
    "page_entries",
]
