"""Sync runs and the sync log: what every run did to every record, phones masked at write time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from ringsync.domain.phones import mask, mask_raw
from ringsync.mapping.catalog import PROPERTIES, ValueType
from ringsync.store.sync_tables import sync_log, sync_runs
from ringsync.store.typed_json import encode_value

PHONE_PROPERTIES = frozenset(
    name for name, d in PROPERTIES.items() if d.value_type is ValueType.PHONE
)


class LogAction(StrEnum):
    """What happened to one record or contact."""

    CREATED = "created"
    UPDATED = "updated"
    SKIPPED = "skipped"
    CONFLICT = "conflict"
    FAILED = "failed"
    DELETED = "deleted"
    UNLINKED = "unlinked"


class RunStatus(StrEnum):
    """Where a run stands."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    ABANDONED = "abandoned"


@dataclass(frozen=True)
class LogEntry:
    """One sync log row; ``fields`` maps a property to ``[old, new]``."""

    direction: str
    action: LogAction
    reason: str
    sobject: str | None = None
    record_id: str | None = None
    contact_id: int | None = None
    fields: Mapping[str, tuple[object, object]] = field(default_factory=dict)
    error_code: str | None = None
    error_message: str | None = None
    at: datetime | None = None
    run_id: int | None = None


@dataclass(frozen=True)
class RunRow:
    """One engine pass."""

    id: int
    direction: str
    sobject: str | None
    started_at: datetime
    finished_at: datetime | None
    status: str
    totals: Mapping[str, int]
    error: str | None


def masked(prop: str, value: object) -> object:
    """Return a JSON-ready value for the log; phone numbers keep only their last digits."""
    if value is None:
        return None
    if prop in PHONE_PROPERTIES:
        text = str(value)
        return mask(text) if text.startswith("+") else mask_raw(text)
    return encode_value(value)


def start_run(
    session: Session,
    account_id: int,
    direction: str,
    sobject: str | None,
    at: datetime,
    *,
    lease_token: int | None = None,
) -> int:
    """Insert a running run (under the runner's lease token, if any); return its id."""
    stmt = (
        insert(sync_runs)
        .values(
            account_id=account_id,
            direction=direction,
            sobject=sobject,
            started_at=at,
            status=RunStatus.RUNNING.value,
            totals={},
            lease_token=lease_token,
        )
        .returning(sync_runs.c.id)
    )
    return int(session.execute(stmt).scalar_one())


def abandon_stale_runs(
    session: Session, account_id: int, lease_token: int, at: datetime, reason: str
) -> int:
    """Close the account's runs still running under an older lease token; return how many.

    A newer token means the older holder's lease expired or was taken over, so its runs will
    never finish on their own. Runs started without a token (no runner) are left alone.
    """
    c = sync_runs.c
    stmt = (
        update(sync_runs)
        .where(
            c.account_id == account_id,
            c.status == RunStatus.RUNNING.value,
            c.lease_token < lease_token,
        )
        .values(status=RunStatus.ABANDONED.value, finished_at=at, error=reason)
    )
    return int(session.execute(stmt).rowcount)  # type: ignore[attr-defined]  # CursorResult


def finish_run(
    session: Session,
    account_id: int,
    run_id: int,
    status: RunStatus,
    totals: Mapping[str, int],
    at: datetime,
    error: str | None = None,
) -> None:
    """Close a run with its status and totals."""
    c = sync_runs.c
    session.execute(
        update(sync_runs)
        .where(c.account_id == account_id, c.id == run_id)
        .values(status=status.value, totals=dict(totals), finished_at=at, error=error)
    )


def list_runs(session: Session, account_id: int, *, limit: int = 50) -> list[RunRow]:
    """Return the newest runs first."""
    c = sync_runs.c
    stmt = select(sync_runs).where(c.account_id == account_id).order_by(c.id.desc()).limit(limit)
    return [
        RunRow(
            r.id, r.direction, r.sobject, r.started_at, r.finished_at, r.status, r.totals, r.error
        )
        for r in session.execute(stmt)
    ]


def add_entries(
    session: Session, account_id: int, entries: Sequence[LogEntry], at: datetime
) -> None:
    """Write log rows (phone values masked)."""
    if not entries:
        return
    rows = [
        {
            "run_id": e.run_id,
            "account_id": account_id,
            "direction": e.direction,
            "sobject": e.sobject,
            "record_id": e.record_id,
            "contact_id": e.contact_id,
            "action": e.action.value,
            "reason": e.reason,
            "fields": {k: [masked(k, old), masked(k, new)] for k, (old, new) in e.fields.items()},
            "error_code": e.error_code,
            "error_message": e.error_message,
            "at": e.at or at,
        }
        for e in entries
    ]
    session.execute(insert(sync_log), rows)


@dataclass(frozen=True)
class StoredEntry:
    """A sync log row as read back."""

    id: int
    run_id: int | None
    direction: str
    sobject: str | None
    record_id: str | None
    contact_id: int | None
    action: str
    reason: str
    fields: Mapping[str, list[object]]
    error_code: str | None
    error_message: str | None
    at: datetime


def list_entries(
    session: Session,
    account_id: int,
    *,
    run_id: int | None = None,
    record_id: str | None = None,
    contact_id: int | None = None,
    action: str | None = None,
    limit: int = 500,
) -> list[StoredEntry]:
    """Return log rows, oldest first, filtered by run, record, contact or action."""
    c = sync_log.c
    stmt = select(sync_log).where(c.account_id == account_id)
    if run_id is not None:
        stmt = stmt.where(c.run_id == run_id)
    if record_id is not None:
        stmt = stmt.where(c.record_id == record_id)
    if contact_id is not None:
        stmt = stmt.where(c.contact_id == contact_id)
    if action is not None:
        stmt = stmt.where(c.action == action)
    stmt = stmt.order_by(c.id).limit(limit)
    return [
        StoredEntry(
            r.id,
            r.run_id,
            r.direction,
            r.sobject,
            r.record_id,
            r.contact_id,
            r.action,
            r.reason,
            r.fields,
            r.error_code,
            r.error_message,
            r.at,
        )
        for r in session.execute(stmt)
    ]


__all__ = [
    "PHONE_PROPERTIES",
    "LogAction",
    "LogEntry",
    "RunRow",
    "RunStatus",
    "StoredEntry",
    "abandon_stale_runs",
    "add_entries",
    "finish_run",
    "list_entries",
    "list_runs",
    "masked",
    "start_run",
]
