"""The operations repository: the only code that reads and writes the operations' tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ringsync.operations.model import (
    Operation,
    OperationConflictError,
    OperationKind,
    OperationStatus,
    PlannedItem,
)
from ringsync.operations.tables import operation_items, operations, users_sync_runs

_C = operations.c


def _view(row: Any) -> Operation:
    return Operation(
        id=int(row.id),
        account_id=int(row.account_id),
        kind=OperationKind(row.kind),
        params=dict(row.params or {}),
        started_by=row.started_by,
        status=OperationStatus(row.status),
        progress_done=int(row.progress_done),
        progress_total=row.progress_total,
        cursor=(row.cursor or {}).get("at"),
        counts={str(k): int(v) for k, v in (row.counts or {}).items()},
        errors=tuple(str(e) for e in row.errors or []),
        attempts=int(row.attempts),
        cancel_requested=bool(row.cancel_requested),
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
    )


def _conflict(existing: Operation) -> OperationConflictError:
    return OperationConflictError(
        f"a {existing.kind.value} operation (#{existing.id}) is already {existing.status.value} "
        "for this account; wait for it to finish or cancel it",
        account_id=existing.account_id,
        operation_id=existing.id,
    )


def get(session: Session, account_id: int, operation_id: int) -> Operation | None:
    """Return the account's operation with this id, or None."""
    row = session.execute(
        select(operations).where(_C.account_id == account_id, _C.id == operation_id)
    ).first()
    return None if row is None else _view(row)


def active(session: Session, account_id: int, kind: OperationKind) -> Operation | None:
    """Return the queued or running operation of this kind, or None."""
    row = session.execute(
        select(operations).where(_C.account_id == account_id, _C.active_kind == kind.value)
    ).first()
    return None if row is None else _view(row)


def latest(
    session: Session, account_id: int, kind: OperationKind | None = None
) -> Operation | None:
    """Return the newest operation (of one kind, if given), or None."""
    stmt = select(operations).where(_C.account_id == account_id)
    if kind is not None:
        stmt = stmt.where(_C.kind == kind.value)
    row = session.execute(stmt.order_by(_C.id.desc()).limit(1)).first()
    return None if row is None else _view(row)


def recent(session: Session, account_id: int, *, limit: int = 20) -> list[Operation]:
    """Return the newest operations first."""
    stmt = select(operations).where(_C.account_id == account_id).order_by(_C.id.desc())
    return [_view(row) for row in session.execute(stmt.limit(limit))]


def add(
    session: Session,
    account_id: int,
    kind: OperationKind,
    params: Mapping[str, Any],
    started_by: int | None,
    at: datetime,
) -> Operation:
    """Insert a queued operation; raise OperationConflictError when its kind is already active."""
    existing = active(session, account_id, kind)
    if existing is not None:
        raise _conflict(existing)
    stmt = (
        insert(operations)
        .values(
            account_id=account_id,
            kind=kind.value,
            params=dict(params),
            started_by=started_by,
            status=OperationStatus.QUEUED.value,
            active_kind=kind.value,
            progress_done=0,
            progress_total=None,
            cursor=None,
            counts={},
            errors=[],
            attempts=0,
            cancel_requested=False,
            created_at=at,
        )
        .returning(_C.id)
    )
    try:
        with session.begin_nested():
            new_id = int(session.execute(stmt).scalar_one())
    except IntegrityError:
        # Another writer won the (account, active_kind) key between our check and our insert.
        raced = active(session, account_id, kind)
        if raced is None:  # pragma: no cover - the key was freed again in between
            raise
        raise _conflict(raced) from None
    found = get(session, account_id, new_id)
    assert found is not None
    return found


def claim(session: Session, account_id: int, operation_id: int, at: datetime) -> Operation:
    """Mark an operation running (again), taking its (account, kind) slot back if it was freed."""
    current = get(session, account_id, operation_id)
    assert current is not None
    other = active(session, account_id, current.kind)
    if other is not None and other.id != operation_id:
        raise _conflict(other)
    session.execute(
        update(operations)
        .where(_C.account_id == account_id, _C.id == operation_id)
        .values(
            status=OperationStatus.RUNNING.value,
            active_kind=current.kind.value,
            attempts=_C.attempts + 1,
            started_at=current.started_at or at,
            finished_at=None,
        )
    )
    claimed = get(session, account_id, operation_id)
    assert claimed is not None
    return claimed


def record_batch(
    session: Session,
    operation: Operation,
    *,
    cursor: Any,
    items: Sequence[PlannedItem],
    total: int | None,
    at: datetime,
    tallies: Mapping[str, int] | None = None,
    progress: int | None = None,
) -> Operation:
    """Store one applied batch: its items, the counts, the progress and the new resume cursor.

    Each item counts once under its action; ``tallies`` add further counts; ``progress`` is the
    units of work done (the number of items unless given).
    """
    counts = dict(operation.counts)
    for item in items:
        counts[item.action] = counts.get(item.action, 0) + 1
    for name, n in (tallies or {}).items():
        counts[name] = counts.get(name, 0) + int(n)
    done = operation.progress_done + (len(items) if progress is None else progress)
    session.execute(
        update(operations)
        .where(_C.account_id == operation.account_id, _C.id == operation.id)
        .values(
            # Wrapped in an object: SQLite hands a bare JSON number back as a number, not text.
            cursor={"at": cursor},
            counts=counts,
            progress_done=done,
            progress_total=max(total, done) if total is not None else operation.progress_total,
        )
    )
    add_items(session, operation.account_id, operation.id, items, at)
    updated = get(session, operation.account_id, operation.id)
    assert updated is not None
    return updated


def set_progress(session: Session, account_id: int, operation_id: int, done: int) -> None:
    """Store the progress of a running operation while one long batch is still under way.

    Only a running operation moves, and never backwards; the batch's own record (see
    :func:`record_batch`) later stores its counts, cursor and final progress.
    """
    session.execute(
        update(operations)
        .where(
            _C.account_id == account_id,
            _C.id == operation_id,
            _C.status == OperationStatus.RUNNING.value,
            _C.progress_done < done,
        )
        .values(progress_done=done)
    )


def finish(
    session: Session,
    account_id: int,
    operation_id: int,
    status: OperationStatus,
    at: datetime,
    *,
    error: str | None = None,
) -> Operation:
    """Close an operation with a final status; it frees the (account, kind) slot."""
    current = get(session, account_id, operation_id)
    assert current is not None
    errors = [*current.errors, error] if error else list(current.errors)
    values: dict[str, Any] = {
        "status": status.value,
        "active_kind": None,
        "finished_at": at,
        "errors": errors,
    }
    if status is OperationStatus.SUCCEEDED:
        values["progress_total"] = current.progress_done
    session.execute(
        update(operations)
        .where(_C.account_id == account_id, _C.id == operation_id)
        .values(**values)
    )
    done = get(session, account_id, operation_id)
    assert done is not None
    return done


def request_cancel(session: Session, account_id: int, operation_id: int) -> None:
    """Ask a running operation to stop before its next batch."""
    session.execute(
        update(operations)
        .where(_C.account_id == account_id, _C.id == operation_id)
        .values(cancel_requested=True)
    )


def add_items(
    session: Session,
    account_id: int,
    operation_id: int,
    items: Sequence[PlannedItem],
    at: datetime,
) -> None:
    """Write what an operation did to each item."""
    if not items:
        return
    rows = [
        {
            "account_id": account_id,
            "operation_id": operation_id,
            "action": item.action,
            "target": item.target[:64],
            "label": item.label[:320],
            "reason": item.reason,
            "detail": dict(item.detail),
            "at": at,
        }
        for item in items
    ]
    session.execute(insert(operation_items), rows)


def items(
    session: Session, account_id: int, operation_id: int, *, action: str | None = None
) -> list[PlannedItem]:
    """Return an operation's items in the order they were written."""
    c = operation_items.c
    stmt = select(operation_items).where(c.account_id == account_id, c.operation_id == operation_id)
    if action is not None:
        stmt = stmt.where(c.action == action)
    return [
        PlannedItem(row.action, row.target, row.label, row.reason, dict(row.detail or {}))
        for row in session.execute(stmt.order_by(c.id))
    ]


def add_users_sync_run(
    session: Session,
    account_id: int,
    operation_id: int | None,
    at: datetime,
    result: Mapping[str, Any],
) -> None:
    """Remember one finished "sync users" and its result."""
    session.execute(
        insert(users_sync_runs).values(
            account_id=account_id, operation_id=operation_id, at=at, result=dict(result)
        )
    )


def last_users_sync_run(session: Session, account_id: int) -> tuple[datetime, int | None] | None:
    """Return the time and operation id of the newest "sync users", or None before the first."""
    c = users_sync_runs.c
    row = session.execute(
        select(c.at, c.operation_id)
        .where(c.account_id == account_id)
        .order_by(c.at.desc(), c.id.desc())
        .limit(1)
    ).first()
    return None if row is None else (row.at, row.operation_id)


def users_sync_at(session: Session, account_id: int, operation_id: int) -> datetime | None:
    """Return when one "sync users" operation finished, or None while it has not."""
    c = users_sync_runs.c
    return session.execute(
        select(c.at).where(c.account_id == account_id, c.operation_id == operation_id).limit(1)
    ).scalar_one_or_none()


__all__ = [
    "active",
    "add",
    "add_items",
    "add_users_sync_run",
    "claim",
    "finish",
    "get",
    "items",
    "last_users_sync_run",
    "latest",
    "recent",
    "record_batch",
    "request_cancel",
    "users_sync_at",
]
