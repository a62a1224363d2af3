"""Failed records: every write Salesforce refused, kept with its error until resolved or ignored."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from ringsync.store.sync_tables import sync_failed_records

_T = sync_failed_records


class FailedStatus(StrEnum):
    """Where a failed record stands."""

    FAILED = "failed"
    RETRYING = "retrying"
    IGNORED = "ignored"
    RESOLVED = "resolved"


OPEN_STATUSES = (FailedStatus.FAILED.value, FailedStatus.RETRYING.value)
INBOUND_OPERATION = "inbound"
"""The operation of a Salesforce record our side could not take (retry re-reads it)."""


@dataclass(frozen=True)
class FailedRecord:
    """One refused write, with the Salesforce error and how often it was tried."""

    id: int
    contact_id: int | None
    sobject: str
    record_id: str | None
    operation: str
    payload: Mapping[str, object]
    error_code: str | None
    message: str
    attempts: int
    first_seen_at: datetime
    last_seen_at: datetime
    status: str


def _open_for(
    session: Session,
    account_id: int,
    contact_id: int | None,
    sobject: str,
    record_id: str | None,
) -> int | None:
    """Find the open failure of a contact (or, without one, of a record) on ``sobject``."""
    c = _T.c
    who = c.contact_id == contact_id if contact_id is not None else c.record_id == record_id
    stmt = select(c.id).where(
        c.account_id == account_id,
        who,
        c.sobject == sobject,
        c.status.in_(OPEN_STATUSES),
    )
    found = session.execute(stmt).scalar()
    return None if found is None else int(found)


def record_failure(
    session: Session,
    account_id: int,
    *,
    contact_id: int | None,
    sobject: str,
    record_id: str | None,
    operation: str,
    payload: Mapping[str, object],
    error_code: str | None,
    message: str,
    at: datetime,
) -> int:
    """Keep a refused write; a contact's open failure on the same object is updated in place.

    ``payload`` must be JSON-ready (the wire values and the properties they came from).
    """
    values = {
        "record_id": record_id,
        "operation": operation,
        "payload": dict(payload),
        "error_code": error_code,
        "message": message,
        "last_seen_at": at,
        "status": FailedStatus.FAILED.value,
    }
    existing = _open_for(session, account_id, contact_id, sobject, record_id)
    if existing is not None:
        session.execute(
            update(_T).where(_T.c.id == existing).values(attempts=_T.c.attempts + 1, **values)
        )
        return existing
    stmt = (
        insert(_T)
        .values(
            account_id=account_id,
            contact_id=contact_id,
            sobject=sobject,
            attempts=1,
            first_seen_at=at,
            **values,
        )
        .returning(_T.c.id)
    )
    return int(session.execute(stmt).scalar_one())


def _view(r: object) -> FailedRecord:
    m = getattr(r, "_mapping")  # noqa: B009  # Core rows expose their mapping under this name
    return FailedRecord(
        int(m["id"]),
        m["contact_id"],
        m["sobject"],
        m["record_id"],
        m["operation"],
        m["payload"],
        m["error_code"],
        m["message"],
        int(m["attempts"]),
        m["first_seen_at"],
        m["last_seen_at"],
        m["status"],
    )


def list_failed(
    session: Session,
    account_id: int,
    *,
    statuses: Sequence[str] = OPEN_STATUSES,
    ids: Sequence[int] | None = None,
) -> list[FailedRecord]:
    """List an account's failed records (open ones by default), oldest first."""
    c = _T.c
    stmt = select(_T).where(c.account_id == account_id, c.status.in_(list(statuses)))
    if ids is not None:
        stmt = stmt.where(c.id.in_(list(ids)))
    return [_view(r) for r in session.execute(stmt.order_by(c.id))]


def set_status(
    session: Session, account_id: int, ids: Sequence[int], status: FailedStatus, at: datetime
) -> int:
    """Move failed records to ``status``; return how many rows changed."""
    if not ids:
        return 0
    c = _T.c
    stmt = (
        update(_T)
        .where(c.account_id == account_id, c.id.in_(list(ids)))
        .values(status=status.value, last_seen_at=at)
    )
    return int(session.execute(stmt).rowcount)  # type: ignore[attr-defined]  # CursorResult


def resolve_for_contacts(
    session: Session, account_id: int, contact_ids: Sequence[int], sobject: str, at: datetime
) -> int:
    """Mark open failures of these contacts resolved (their write went through)."""
    if not contact_ids:
        return 0
    c = _T.c
    stmt = (
        update(_T)
        .where(
            c.account_id == account_id,
            c.contact_id.in_(list(contact_ids)),
            c.sobject == sobject,
            c.status.in_(OPEN_STATUSES),
        )
        .values(status=FailedStatus.RESOLVED.value, last_seen_at=at)
    )
    return int(session.execute(stmt).rowcount)  # type: ignore[attr-defined]  # CursorResult


def resolve_for_records(
    session: Session, account_id: int, record_ids: Sequence[str], at: datetime
) -> int:
    """Mark open inbound failures of these records resolved (they were applied)."""
    if not record_ids:
        return 0
    c = _T.c
    stmt = (
        update(_T)
        .where(
            c.account_id == account_id,
            c.record_id.in_(list(record_ids)),
            c.operation == INBOUND_OPERATION,
            c.status.in_(OPEN_STATUSES),
        )
        .values(status=FailedStatus.RESOLVED.value, last_seen_at=at)
    )
    return int(session.execute(stmt).rowcount)  # type: ignore[attr-defined]  # CursorResult


__all__ = [
    "INBOUND_OPERATION",
    "OPEN_STATUSES",
    "FailedRecord",
    "FailedStatus",
    "list_failed",
    "record_failure",
    "resolve_for_contacts",
    "resolve_for_records",
    "set_status",
]
