"""``/api/v1/admin/sync-log`` and ``/runs``: what every run did to every record and field.

Log rows come newest first, filtered by run, Salesforce record, contact, action and a time
window; ``next_cursor`` is opaque and continues the page. Phone numbers in the field changes
were masked when the rows were written.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from ringsync.errors import NotFoundError, Problem, ValidationError
from ringsync.store.repositories import sync_admin
from ringsync.store.repositories.sync_log import LogAction, RunRow, StoredEntry, list_runs
from ringsync.web.api.admin_schemas import IdPath, IdQuery
from ringsync.web.deps import CurrentAdmin, ReadSessionDep

router = APIRouter(tags=["admin: sync log"])

MAX_PAGE = 200
_CURSOR_TAG = "before:"


class LogEntryOut(BaseModel):
    """One log row: which record or contact, what happened, why, and each field's change."""

    id: int
    run_id: int | None
    direction: str
    object: str | None
    record_id: str | None
    contact_id: int | None
    action: str
    reason: str
    fields: dict[str, list[Any]]
    error_code: str | None
    error_message: str | None
    at: datetime

    @classmethod
    def of(cls, entry: StoredEntry) -> LogEntryOut:
        """Build from a stored log row."""
        return cls(
            id=entry.id,
            run_id=entry.run_id,
            direction=entry.direction,
            object=entry.sobject,
            record_id=entry.record_id,
            contact_id=entry.contact_id,
            action=entry.action,
            reason=entry.reason,
            fields={k: list(v) for k, v in entry.fields.items()},
            error_code=entry.error_code,
            error_message=entry.error_message,
            at=entry.at,
        )


class LogPage(BaseModel):
    """One page of log rows (newest first) and the cursor of the next (null at the end)."""

    items: list[LogEntryOut]
    next_cursor: str | None


class RunOut(BaseModel):
    """One engine pass: direction, object, status, totals by outcome."""

    id: int
    direction: str
    object: str | None
    status: str
    started_at: datetime
    finished_at: datetime | None
    totals: dict[str, int]
    error: str | None

    @classmethod
    def of(cls, run: RunRow) -> RunOut:
        """Build from a stored run."""
        totals: Mapping[str, int] = run.totals or {}
        return cls(
            id=run.id,
            direction=run.direction,
            object=run.sobject,
            status=run.status,
            started_at=run.started_at,
            finished_at=run.finished_at,
            totals={str(k): int(v) for k, v in totals.items()},
            error=run.error,
        )


class RunList(BaseModel):
    """The newest runs first."""

    items: list[RunOut]


class RunDetail(RunOut):
    """One run and how many log rows it wrote (list them with ``/sync-log?run=``)."""

    log_entries: int


def encode_cursor(before_id: int) -> str:
    """Return the opaque cursor that continues below log row ``before_id``."""
    return base64.urlsafe_b64encode(f"{_CURSOR_TAG}{before_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """Return the log row id a cursor continues below, or refuse it."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    number = text.removeprefix(_CURSOR_TAG)
    if not text.startswith(_CURSOR_TAG) or not number.isdigit() or len(number) > 18:
        raise ValidationError(
            "the cursor is not valid",
            [Problem("cursor", "pass back next_cursor exactly as it was returned", "bad_cursor")],
        )
    return int(number)


def _aware(name: str, value: datetime | None, problems: list[Problem]) -> datetime | None:
    if value is not None and value.tzinfo is None:
        problems.append(
            Problem(name, f"{name} needs a time zone, e.g. 2026-03-01T09:00:00Z", "naive_time")
        )
        return None
    return value


@router.get("/sync-log", response_model=LogPage)
def sync_log(
    admin: CurrentAdmin,
    session: ReadSessionDep,
    run: IdQuery = None,
    record: Annotated[
        str | None, Query(max_length=18, description="Only rows of this Salesforce record id.")
    ] = None,
    contact: IdQuery = None,
    action: Annotated[LogAction | None, Query(description="Only rows with this outcome.")] = None,
    since: Annotated[datetime | None, Query(description="Rows at or after this time.")] = None,
    until: Annotated[datetime | None, Query(description="Rows before this time.")] = None,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> LogPage:
    """List sync log rows, newest first, filtered; follow ``next_cursor`` for more."""
    problems: list[Problem] = []
    where = sync_admin.LogFilter(
        run_id=run,
        record_id=record,
        contact_id=contact,
        action=action.value if action else None,
        since=_aware("since", since, problems),
        until=_aware("until", until, problems),
        before_id=decode_cursor(cursor) if cursor else None,
    )
    if problems:
        raise ValidationError("the filters are not valid", problems)
    rows = sync_admin.page_entries(session, admin.account_id, where, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return LogPage(
        items=[LogEntryOut.of(r) for r in rows],
        next_cursor=encode_cursor(rows[-1].id) if more and rows else None,
    )


@router.get("/runs", response_model=RunList)
def runs(
    admin: CurrentAdmin,
    session: ReadSessionDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> RunList:
    """List the newest engine runs first."""
    return RunList(items=[RunOut.of(r) for r in list_runs(session, admin.account_id, limit=limit)])


@router.get("/runs/{run_id}", response_model=RunDetail)
def run_detail(run_id: IdPath, admin: CurrentAdmin, session: ReadSessionDep) -> RunDetail:
    """Return one run with the number of log rows it wrote."""
    found = sync_admin.get_run(session, admin.account_id, run_id)
    if found is None:
        raise NotFoundError(f"run {run_id} does not exist", account_id=admin.account_id)
    count = sync_admin.log_entry_count(session, admin.account_id, run_id)
    return RunDetail(**RunOut.of(found).model_dump(), log_entries=count)


__all__ = ["LogEntryOut", "RunOut", "router"]
