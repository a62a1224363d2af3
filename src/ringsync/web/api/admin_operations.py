"""``/api/v1/admin/operations`` and ``/users/sync``: one-time operations the admin starts.

Preview first (a dry run: nothing is written), then run: the operation is queued as a row and
handed to the runner, which drives it batch by batch (without a runner it runs in the request).
Progress, cancel and history read the same rows. One kind runs at most once at a time per
account; a second start answers 409 with the running operation's id. Runs and previews, and
user syncs, spend Salesforce API calls, so each kind is rate limited per account (429).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query
from pydantic import BaseModel

from ringsync.errors import NotFoundError
from ringsync.operations import store as operation_store
from ringsync.operations.handler import OperationEnv
from ringsync.operations.model import (
    Operation,
    OperationConflictError,
    OperationKind,
    OperationStateError,
)
from ringsync.operations.runner import OperationRunner, create_runner
from ringsync.operations.users_sync import last_result
from ringsync.runtime.tasks import RUN_OPERATION
from ringsync.store.repositories import connections as connection_repo
from ringsync.web.api.admin_salesforce import (
    NOT_CONNECTED,
    NotConnectedError,
    SalesforceAccess,
    salesforce_access,
)
from ringsync.web.api.admin_schemas import IdPath
from ringsync.web.context import WebContext
from ringsync.web.deps import ContextDep, CurrentAdmin, Principal, ReadSessionDep
from ringsync.web.errors import ConflictError
from ringsync.web.ratelimit import RateLimits, RateLimitsDep

router = APIRouter(tags=["admin: operations"])

AccessDep = Annotated[SalesforceAccess, Depends(salesforce_access)]
KindPath = Annotated[OperationKind, Path(description="Which one-time operation.")]
Params = Annotated[
    dict[str, Any] | None,
    Body(description="The operation's parameters (most kinds take none).", examples=[{}]),
]
MAX_HISTORY = 100


class PreviewOut(BaseModel):
    """What a run would do now: items by action, API calls, carrier lookups and their cost."""

    kind: str
    counts: dict[str, int]
    api_calls: int
    lrn_lookups: int
    lrn_cost: str
    notes: list[str]
    items: list[dict[str, Any]]


class OperationOut(BaseModel):
    """One operation: status, progress, counts by outcome, errors."""

    id: int
    kind: str
    params: dict[str, Any]
    started_by: int | None
    status: str
    progress_done: int
    progress_total: int | None
    counts: dict[str, int]
    errors: list[str]
    attempts: int
    cancel_requested: bool
    created_at: str
    started_at: str | None
    finished_at: str | None

    @classmethod
    def of(cls, operation: Operation) -> OperationOut:
        """Build from an operation view."""
        data = operation.as_dict()
        data.pop("account_id", None)
        data.pop("cursor", None)
        return cls(**data)


class OperationList(BaseModel):
    """The account's newest operations first."""

    items: list[OperationOut]


class UsersSyncOut(BaseModel):
    """The last finished sync users (grouped results and time) and the newest such operation."""

    last_result: dict[str, Any] | None
    latest_operation: OperationOut | None


def _runner(
    ctx: WebContext, access: SalesforceAccess, account_id: int, *, offline: bool = False
) -> OperationRunner:
    """Build a runner; ``offline`` for work that never calls Salesforce (cancel)."""
    client = access.offline_client() if offline else access.client(ctx.database, account_id)
    return create_runner(OperationEnv(ctx.database, client, ctx.clock), holder=f"web:{account_id}")


def _start(
    ctx: WebContext,
    access: SalesforceAccess,
    admin: Principal,
    kind: OperationKind,
    params: dict[str, Any] | None,
    limits: RateLimits,
) -> OperationOut:
    """Queue the operation (refused when Salesforce is not connected) and have it run."""
    with ctx.database.read() as session:
        if connection_repo.get(session, admin.account_id) is None:
            raise NotConnectedError(NOT_CONNECTED, account_id=admin.account_id)
    action = "users_sync" if kind is OperationKind.SYNC_USERS else "operations"
    limits.check_salesforce_action(admin.account_id, action)
    runner = _runner(ctx, access, admin.account_id)
    try:
        queued = runner.start(admin.account_id, kind, params, started_by=admin.user_id)
    except OperationConflictError as exc:
        raise ConflictError(exc.message, **exc.context) from None
    if ctx.runner is not None:
        ctx.runner.submit(RUN_OPERATION, account_id=admin.account_id, operation_id=queued.id)
        return OperationOut.of(queued)
    return OperationOut.of(runner.execute(admin.account_id, queued.id))


@router.post("/operations/{kind}/preview", response_model=PreviewOut)
def preview(
    kind: KindPath,
    admin: CurrentAdmin,
    ctx: ContextDep,
    access: AccessDep,
    limits: RateLimitsDep,
    params: Params = None,
) -> PreviewOut:
    """Return what running the operation now would do; nothing is written."""
    limits.check_salesforce_action(admin.account_id, "operations")
    runner = _runner(ctx, access, admin.account_id)
    data = runner.preview(admin.account_id, kind, params).as_dict()
    data.pop("account_id", None)
    return PreviewOut(**data)


@router.post("/operations/{kind}/run", response_model=OperationOut, status_code=202)
def run(
    kind: KindPath,
    admin: CurrentAdmin,
    ctx: ContextDep,
    access: AccessDep,
    limits: RateLimitsDep,
    params: Params = None,
) -> OperationOut:
    """Start the operation; follow its progress with ``GET /operations/{id}``."""
    return _start(ctx, access, admin, kind, params, limits)


@router.get("/operations", response_model=OperationList)
def history(
    admin: CurrentAdmin,
    session: ReadSessionDep,
    limit: Annotated[int, Query(ge=1, le=MAX_HISTORY)] = 20,
) -> OperationList:
    """List the account's operations, newest first."""
    found = operation_store.recent(session, admin.account_id, limit=limit)
    return OperationList(items=[OperationOut.of(o) for o in found])


@router.get("/operations/{operation_id}", response_model=OperationOut)
def progress(operation_id: IdPath, admin: CurrentAdmin, session: ReadSessionDep) -> OperationOut:
    """Return one operation's status and progress."""
    found = operation_store.get(session, admin.account_id, operation_id)
    if found is None:
        raise NotFoundError(f"operation {operation_id} does not exist", account_id=admin.account_id)
    return OperationOut.of(found)


@router.post("/operations/{operation_id}/cancel", response_model=OperationOut)
def cancel(
    operation_id: IdPath, admin: CurrentAdmin, ctx: ContextDep, access: AccessDep
) -> OperationOut:
    """Cancel a queued operation now, or ask a running one to stop before its next batch."""
    runner = _runner(ctx, access, admin.account_id, offline=True)
    try:
        return OperationOut.of(runner.cancel(admin.account_id, operation_id))
    except OperationStateError as exc:
        raise ConflictError(exc.message, **exc.context) from None


@router.post("/users/sync", response_model=OperationOut, status_code=202)
def sync_users(
    admin: CurrentAdmin, ctx: ContextDep, access: AccessDep, limits: RateLimitsDep
) -> OperationOut:
    """Match our users to Salesforce owners by email now (never creates our users)."""
    return _start(ctx, access, admin, OperationKind.SYNC_USERS, None, limits)


@router.get("/users/sync", response_model=UsersSyncOut)
def users_sync_result(admin: CurrentAdmin, session: ReadSessionDep) -> UsersSyncOut:
    """Return the last sync users result with its time, and the newest such operation."""
    result = last_result(session, admin.account_id)
    latest = operation_store.latest(session, admin.account_id, OperationKind.SYNC_USERS)
    return UsersSyncOut(
        last_result=result.as_dict() if result is not None else None,
        latest_operation=OperationOut.of(latest) if latest is not None else None,
    )


__all__ = ["OperationOut", "router"]
