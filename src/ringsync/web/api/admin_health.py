"""``/api/v1/admin/health``: the sync at a glance for the admin's health view.

Open failed records counted by error category, the API budget, the newest run of every
direction and object, and how much waits in the outbox.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from ringsync.store.repositories import connections as connection_repo
from ringsync.store.repositories import sync_admin
from ringsync.web.api.admin_salesforce import SalesforceAccess, salesforce_access
from ringsync.web.api.admin_schemas import BudgetOut
from ringsync.web.api.admin_sync_log import RunOut
from ringsync.web.deps import CurrentAdmin, ReadSessionDep

router = APIRouter(tags=["admin: health"])

AccessDep = Annotated[SalesforceAccess, Depends(salesforce_access)]


class BacklogOut(BaseModel):
    """Changes on our side still waiting to reach Salesforce."""

    pending: int
    oldest_at: datetime | None


class HealthOut(BaseModel):
    """Failures by category, API budget use, the last run per object, and the outbox backlog."""

    connected: bool
    failed_open: int
    failed_by_category: dict[str, int]
    api_budget: BudgetOut | None
    last_runs: list[RunOut]
    outbox: BacklogOut


@router.get("/health", response_model=HealthOut)
def health(admin: CurrentAdmin, session: ReadSessionDep, access: AccessDep) -> HealthOut:
    """Return the sync's health for the account."""
    account_id = admin.account_id
    by_code = sync_admin.open_failures_by_code(session, account_id)
    pending, oldest = sync_admin.outbox_backlog(session, account_id)
    budget = access.budget(account_id)
    return HealthOut(
        connected=connection_repo.get(session, account_id) is not None,
        failed_open=sum(by_code.values()),
        failed_by_category=by_code,
        api_budget=BudgetOut.of(budget) if budget is not None else None,
        last_runs=[RunOut.of(r) for r in sync_admin.last_runs(session, account_id)],
        outbox=BacklogOut(pending=pending, oldest_at=oldest),
    )


__all__ = ["router"]
