"""``/api/v1/admin/failed-records``: every write Salesforce refused, with retry and ignore.

A retried write goes back to the outbox (the runner is woken); a Salesforce record our side
could not take is read again and applied now. Ignoring keeps the record for the log but takes
it off the open list. Payload values were masked (phone numbers) when the failure was kept.
Retries may read Salesforce at once, so they are rate limited per account (429).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from ringsync.errors import NotFoundError
from ringsync.store.repositories import sync_admin, sync_failed
from ringsync.store.repositories.sync_failed import OPEN_STATUSES, FailedRecord, FailedStatus
from ringsync.sync.engine import SyncEngine
from ringsync.web.api.admin_salesforce import SalesforceAccess, salesforce_access
from ringsync.web.api.admin_schemas import IdPath
from ringsync.web.context import WebContext
from ringsync.web.deps import ContextDep, CurrentAdmin, ReadSessionDep
from ringsync.web.errors import ConflictError
from ringsync.web.ratelimit import RateLimitsDep

router = APIRouter(prefix="/failed-records", tags=["admin: failed records"])

AccessDep = Annotated[SalesforceAccess, Depends(salesforce_access)]


class FailedFilter(StrEnum):
    """Which failed records to list."""

    OPEN = "open"
    IGNORED = "ignored"
    RESOLVED = "resolved"
    ALL = "all"


_STATUSES: Mapping[FailedFilter, tuple[str, ...]] = {
    FailedFilter.OPEN: OPEN_STATUSES,
    FailedFilter.IGNORED: (FailedStatus.IGNORED.value,),
    FailedFilter.RESOLVED: (FailedStatus.RESOLVED.value,),
    FailedFilter.ALL: tuple(s.value for s in FailedStatus),
}


class FailedOut(BaseModel):
    """One refused write (or unreadable record) with Salesforce's error and its attempts."""

    id: int
    contact_id: int | None
    object: str
    record_id: str | None
    operation: str
    payload: dict[str, Any]
    error_code: str | None
    message: str
    attempts: int
    first_seen_at: datetime
    last_seen_at: datetime
    status: str

    @classmethod
    def of(cls, failed: FailedRecord) -> FailedOut:
        """Build from a stored failed record."""
        return cls(
            id=failed.id,
            contact_id=failed.contact_id,
            object=failed.sobject,
            record_id=failed.record_id,
            operation=failed.operation,
            payload=dict(failed.payload or {}),
            error_code=failed.error_code,
            message=failed.message,
            attempts=failed.attempts,
            first_seen_at=failed.first_seen_at,
            last_seen_at=failed.last_seen_at,
            status=failed.status,
        )


class FailedList(BaseModel):
    """Failed records, oldest first."""

    items: list[FailedOut]


def _engine(ctx: WebContext, access: SalesforceAccess) -> SyncEngine:
    return SyncEngine(
        ctx.database,
        lambda account_id: access.client(ctx.database, account_id),
        clock=ctx.clock,
        wake=ctx.wake,
    )


def _one(ctx: WebContext, account_id: int, failed_id: int) -> FailedOut:
    with ctx.database.read() as session:
        found = sync_failed.list_failed(
            session, account_id, statuses=_STATUSES[FailedFilter.ALL], ids=[failed_id]
        )
    if not found:
        raise NotFoundError(f"failed record {failed_id} does not exist", account_id=account_id)
    return FailedOut.of(found[0])


def _require(ctx: WebContext, account_id: int, failed_id: int, action: str) -> None:
    with ctx.database.read() as session:
        status = sync_admin.failed_status(session, account_id, failed_id)
    if status is None:
        raise NotFoundError(f"failed record {failed_id} does not exist", account_id=account_id)
    if status != FailedStatus.FAILED.value:
        raise ConflictError(
            f"failed record {failed_id} is {status}; only a failed record can be {action}",
            account_id=account_id,
        )


@router.get("", response_model=FailedList)
def list_failed(
    admin: CurrentAdmin,
    session: ReadSessionDep,
    status: Annotated[FailedFilter, Query(description="open (default), ignored, ...")] = (
        FailedFilter.OPEN
    ),
) -> FailedList:
    """List the account's failed records (open ones unless asked otherwise), oldest first."""
    found = sync_failed.list_failed(session, admin.account_id, statuses=_STATUSES[status])
    return FailedList(items=[FailedOut.of(f) for f in found])


@router.post("/{failed_id}/retry", response_model=FailedOut)
def retry(
    failed_id: IdPath,
    admin: CurrentAdmin,
    ctx: ContextDep,
    access: AccessDep,
    limits: RateLimitsDep,
) -> FailedOut:
    """Retry one failed record now (a refused write is queued again and the runner woken)."""
    _require(ctx, admin.account_id, failed_id, "retried")
    limits.check_salesforce_action(admin.account_id, "retry")
    _engine(ctx, access).retry_failed(admin.account_id, [failed_id])
    return _one(ctx, admin.account_id, failed_id)


@router.post("/{failed_id}/ignore", response_model=FailedOut)
def ignore(failed_id: IdPath, admin: CurrentAdmin, ctx: ContextDep, access: AccessDep) -> FailedOut:
    """Ignore one failed record: it stays in the log but leaves the open list."""
    _require(ctx, admin.account_id, failed_id, "ignored")
    _engine(ctx, access).ignore_failed(admin.account_id, [failed_id])
    return _one(ctx, admin.account_id, failed_id)


__all__ = ["FailedOut", "router"]
