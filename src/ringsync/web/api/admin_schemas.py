"""Bodies the admin API (``/api/v1/admin``) shares between its routers.

Every problem list uses the same ``{field, reason, code}`` items as the error shape's
``details``, so a page renders validation results and refusals the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict, Field

from ringsync.domain.sync_settings import DraftState, FieldDiff, VersionInfo
from ringsync.errors import Problem
from ringsync.mapping.catalog import SyncObject
from ringsync.salesforce.budget import BudgetSnapshot
from ringsync.salesforce.check import ConnectionCheck

MAX_TEXT = 500
MAX_ID = 2**53 - 1  # the largest integer a browser's JSON keeps exactly; far below SQL limits

IdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="An id of this account's records.")]
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]


class ProblemOut(BaseModel):
    """One thing wrong: where, why, and a machine-readable code."""

    field: str
    reason: str
    code: str

    @classmethod
    def all_of(cls, problems: Iterable[Problem]) -> list[ProblemOut]:
        """Convert every problem."""
        return [cls(field=p.field, reason=p.reason, code=p.code) for p in problems]


class DraftOut(BaseModel):
    """The settings being edited, every problem they have, and whether they differ from saved."""

    data: dict[str, Any]
    problems: list[ProblemOut]
    valid: bool
    unsaved_changes: bool
    based_on: int | None

    @classmethod
    def of(cls, state: DraftState) -> DraftOut:
        """Build from the domain's draft state."""
        return cls(
            data=state.data,
            problems=ProblemOut.all_of(state.problems),
            valid=not state.problems,
            unsaved_changes=state.unsaved_changes,
            based_on=state.based_on,
        )


class VersionOut(BaseModel):
    """One saved version, without its data."""

    number: int
    saved_by: str
    saved_at: datetime

    @classmethod
    def of(cls, info: VersionInfo) -> VersionOut:
        """Build from the domain's version info."""
        return cls(number=info.number, saved_by=info.saved_by, saved_at=info.saved_at)


class ChangeOut(BaseModel):
    """One setting that differs (dotted path; mapping rows keyed by Salesforce field)."""

    path: str
    before: Any
    after: Any

    @classmethod
    def all_of(cls, diffs: Sequence[FieldDiff]) -> list[ChangeOut]:
        """Convert every difference."""
        return [cls(path=d.path, before=d.before, after=d.after) for d in diffs]


class SavedOut(BaseModel):
    """A new version and what it changed compared with the version it replaced."""

    version: VersionOut
    previous: int | None
    changes: list[ChangeOut]


class BudgetOut(BaseModel):
    """ringsync's share of the org's daily API calls, and whether background work is paused."""

    org_used: int | None
    org_max: int | None
    our_calls: int
    share: float
    our_limit: int | None
    paused: bool
    reason: str | None
    resume_at: datetime | None

    @classmethod
    def of(cls, snapshot: BudgetSnapshot) -> BudgetOut:
        """Build from the client's budget snapshot."""
        return cls(
            org_used=snapshot.org_used,
            org_max=snapshot.org_max,
            our_calls=snapshot.our_calls,
            share=snapshot.share,
            our_limit=snapshot.our_limit,
            paused=snapshot.paused,
            reason=snapshot.reason,
            resume_at=snapshot.resume_at,
        )


class IntegrationOut(BaseModel):
    """The account's Salesforce connection as the admin sees it (never a secret)."""

    connected: bool
    method: str | None = None
    login_url: str | None = None
    instance_url: str | None = None
    org_id: str | None = None
    user_id: str | None = None
    username: str | None = None
    state: str | None = None
    last_error: str | None = None
    connected_at: str | None = None
    checked_at: str | None = None
    api_budget: BudgetOut | None = None
    revoked: bool | None = None


class FieldCheckOut(BaseModel):
    """The verdict on one mapped field, with the fix in words when it fails."""

    sobject: str
    field: str
    exists: bool
    readable: bool
    updateable: bool
    ok: bool
    fix: str | None


class CheckOut(BaseModel):
    """The connection check: API access, daily API use, and one line per mapped field."""

    ok: bool
    api_ok: bool
    api_error: str | None
    daily_api_max: int | None
    daily_api_remaining: int | None
    api_budget: BudgetOut | None
    fields: list[FieldCheckOut]

    @classmethod
    def of(cls, verdict: ConnectionCheck) -> CheckOut:
        """Build from the check's verdict."""
        return cls(
            ok=verdict.ok,
            api_ok=verdict.api_ok,
            api_error=verdict.api_error,
            daily_api_max=verdict.daily_api_max,
            daily_api_remaining=verdict.daily_api_remaining,
            api_budget=BudgetOut.of(verdict.budget) if verdict.budget else None,
            fields=[
                FieldCheckOut(
                    sobject=f.sobject,
                    field=f.field,
                    exists=f.exists,
                    readable=f.readable,
                    updateable=f.updateable,
                    ok=f.ok,
                    fix=f.fix,
                )
                for f in verdict.fields
            ],
        )


class PageInfo(BaseModel):
    """How to ask for the next page (null at the end)."""

    next_cursor: str | None


class Unconstrained(BaseModel):
    """A JSON object whose keys the route checks itself (so every problem is listed at once)."""

    model_config = ConfigDict(extra="allow")


class TextField(BaseModel):
    """A short text value (names, URLs)."""

    value: str = Field(max_length=MAX_TEXT)


class MappedObject(StrEnum):
    """The object a mapping path names."""

    LEAD = "lead"
    CONTACT = "contact"


def sync_object(name: MappedObject) -> SyncObject:
    """Return the Salesforce object a mapping path names."""
    return SyncObject.LEAD if name is MappedObject.LEAD else SyncObject.CONTACT


__all__ = [
    "MAX_ID",
    "MAX_TEXT",
    "BudgetOut",
    "ChangeOut",
    "CheckOut",
    "DraftOut",
    "FieldCheckOut",
    "IdPath",
    "IdQuery",
    "IntegrationOut",
    "MappedObject",
    "PageInfo",
    "ProblemOut",
    "SavedOut",
    "TextField",
    "Unconstrained",
    "VersionOut",
    "sync_object",
]
