"""Outbox rows: written in the change's transaction, claimed by one worker at a time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.orm import Session

from ringsync.store.repositories.dialect import execute_many, insert_many_returning, is_postgres
from ringsync.store.tables import OutboxEntry, table_of

PENDING = "pending"
DONE = "done"
FAILED = "failed"
_TABLE = table_of(OutboxEntry)
_ADD = insert(_TABLE).returning(_TABLE.c.id)


@dataclass(frozen=True)
class OutboxRow:
    """One claimed or listed outbox entry."""

    id: int
    account_id: int
    contact_id: int
    fields: tuple[str, ...]
    origin: str
    created_at: datetime
    attempts: int
    status: str


def add(
    session: Session,
    account_id: int,
    contact_id: int,
    fields: Sequence[str],
    origin: str,
    at: datetime,
) -> int:
    """Append one outbox row naming the changed properties; return its id."""
    values = {
        "account_id": account_id,
        "contact_id": contact_id,
        "fields": sorted(fields),
        "origin": origin,
        "created_at": at,
        "attempts": 0,
        "status": PENDING,
    }
    return int(session.connection().execute(_ADD, values).scalar_one())


def add_many(session: Session, rows: Sequence[dict[str, object]]) -> None:
    """Append many outbox rows at once (bulk paths); each dict has the table's columns."""
    execute_many(session, insert(_TABLE), _TABLE, [dict(row) for row in rows])


def add_many_returning(session: Session, rows: Sequence[dict[str, object]]) -> dict[int, int]:
    """Append many outbox rows, at most one per contact; return each row's id by contact id."""
    if not rows:
        return {}
    stmt = insert(_TABLE).returning(_TABLE.c.id, _TABLE.c.contact_id)
    returned = insert_many_returning(session, stmt, _TABLE, [dict(row) for row in rows])
    return {int(contact_id): int(row_id) for row_id, contact_id in returned}


def _row(entry: OutboxEntry) -> OutboxRow:
    return OutboxRow(
        id=entry.id,
        account_id=entry.account_id,
        contact_id=entry.contact_id,
        fields=tuple(entry.fields),
        origin=entry.origin,
        created_at=entry.created_at,
        attempts=entry.attempts,
        status=entry.status,
    )


def list_rows(
    session: Session, account_id: int, *, status: str | None = None, contact_id: int | None = None
) -> list[OutboxRow]:
    """List an account's outbox rows, oldest first, optionally by status or contact."""
    stmt = select(OutboxEntry).where(OutboxEntry.account_id == account_id)
    if status is not None:
        stmt = stmt.where(OutboxEntry.status == status)
    if contact_id is not None:
        stmt = stmt.where(OutboxEntry.contact_id == contact_id)
    return [_row(e) for e in session.scalars(stmt.order_by(OutboxEntry.id))]


def claim(
    session: Session,
    account_id: int,
    worker: str,
    now: datetime,
    *,
    lease: timedelta = timedelta(minutes=5),
    limit: int = 200,
) -> list[OutboxRow]:
    """Take up to ``limit`` pending rows whose lease is free; expired leases are taken over.

    One SELECT (``FOR UPDATE SKIP LOCKED`` on Postgres) and one UPDATE by id list.
    """
    c = _TABLE.c
    free = or_(c.claimed_until.is_(None), c.claimed_until < now)
    stmt = (
        select(c.id, c.contact_id, c.fields, c.origin, c.created_at, c.attempts, c.status)
        .where(and_(c.account_id == account_id, c.status == PENDING, free))
        .order_by(c.id)
        .limit(limit)
    )
    if is_postgres(session):
        stmt = stmt.with_for_update(skip_locked=True)
    found = session.execute(stmt).all()
    if not found:
        return []
    ids = [int(row.id) for row in found]
    session.execute(
        update(_TABLE)
        .where(c.account_id == account_id, c.id.in_(ids))
        .values(claimed_by=worker, claimed_until=now + lease, attempts=c.attempts + 1)
    )
    return [
        OutboxRow(
            id=int(row.id),
            account_id=account_id,
            contact_id=int(row.contact_id),
            fields=tuple(row.fields),
            origin=row.origin,
            created_at=row.created_at,
            attempts=int(row.attempts) + 1,
            status=row.status,
        )
        for row in found
    ]


def extend_claims(
    session: Session,
    account_id: int,
    worker: str,
    ids: Sequence[int],
    *,
    held_until: datetime,
    until: datetime,
) -> set[int]:
    """Move the claim of rows still held to ``until``; return the ids that were still held.

    A row is still held when it is pending, claimed by ``worker`` and its claim still ends at
    ``held_until`` (what this claimer last set): every claim and extension writes a new end,
    so a row another claimer took over, even one under the same worker name, is not held. One
    UPDATE ... RETURNING for all the rows.
    """
    if not ids:
        return set()
    c = _TABLE.c
    stmt = (
        update(_TABLE)
        .where(
            c.account_id == account_id,
            c.id.in_(list(ids)),
            c.status == PENDING,
            c.claimed_by == worker,
            c.claimed_until == held_until,
        )
        .values(claimed_until=until)
        .returning(c.id)
    )
    return {int(row_id) for row_id in session.execute(stmt).scalars()}


def settle(
    session: Session,
    account_id: int,
    ids: Sequence[int],
    *,
    status: str = DONE,
    error: str | None = None,
) -> int:
    """Mark rows done (or failed with an error) and release their lease; return rows touched."""
    if not ids:
        return 0
    stmt = (
        update(_TABLE)
        .where(_TABLE.c.account_id == account_id, _TABLE.c.id.in_(list(ids)))
        .values(status=status, last_error=error, claimed_by=None, claimed_until=None)
    )
    return int(session.execute(stmt).rowcount)  # type: ignore[attr-defined]  # CursorResult


def release(
    session: Session,
    account_id: int,
    ids: Sequence[int],
    *,
    retry_at: datetime | None,
    error: str,
) -> int:
    """Give rows back for a later retry: still pending, leased until ``retry_at`` (None: free)."""
    if not ids:
        return 0
    stmt = (
        update(_TABLE)
        .where(_TABLE.c.account_id == account_id, _TABLE.c.id.in_(list(ids)))
        .values(claimed_by=None, claimed_until=retry_at, last_error=error)
    )
    return int(session.execute(stmt).rowcount)  # type: ignore[attr-defined]  # CursorResult
