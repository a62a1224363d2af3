"""``/api/v1/admin/settings``: edit the draft, validate, save explicitly, versions, export/import.

Nothing edited here takes effect until ``POST /settings/save``: the draft is kept (even when it
has problems) and every problem is listed at once. Saving and restoring answer with what
changed compared with the settings they replaced, so the page can show it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Body, Depends, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from ringsync.domain.sync_settings import (
    DraftState,
    active_settings,
    compare_versions,
    diff,
    edit_draft,
    export_document,
    get_draft,
    import_document,
    list_versions,
    restore_version,
    save_draft,
    version_data,
)
from ringsync.domain.users import get_user
from ringsync.errors import Problem, ValidationError
from ringsync.web.api.admin_org_check import org_problems
from ringsync.web.api.admin_salesforce import SalesforceAccess, salesforce_access
from ringsync.web.api.admin_schemas import (
    MAX_ID,
    ChangeOut,
    DraftOut,
    IdPath,
    SavedOut,
    VersionOut,
)
from ringsync.web.context import WebContext
from ringsync.web.deps import ContextDep, CurrentAdmin, Principal, ReadSessionDep, SessionDep

router = APIRouter(prefix="/settings", tags=["admin: settings"])

AccessDep = Annotated[SalesforceAccess, Depends(salesforce_access)]

SettingsChanges = Annotated[
    dict[str, Any],
    Body(
        description="Settings to put in the draft; keys given replace the draft's, others stay.",
        examples=[{"object_mode": "both", "priority": "Lead"}],
    ),
]
ExportDocument = Annotated[
    dict[str, Any],
    Body(description="A settings export (format ringsync.sync-settings, format_version 1)."),
]


def storable(document: dict[str, Any]) -> dict[str, Any]:
    """Return ``document`` if the store can keep it as JSON, else refuse it with the reason."""
    try:
        orjson.dumps(document)
    except orjson.JSONEncodeError:
        raise ValidationError(
            "the settings cannot be stored",
            [
                Problem(
                    "body",
                    "use plain JSON: whole numbers within 64 bits, nesting at most 250 deep",
                    "bad_json",
                )
            ],
        ) from None
    return document


def admin_name(session: Session, admin: Principal) -> str:
    """Return how a change is attributed: the admin's email."""
    assert admin.user_id is not None  # admins are signed-in people
    return get_user(session, admin.account_id, admin.user_id).email


class VersionList(BaseModel):
    """Saved versions, newest first."""

    items: list[VersionOut]


class VersionDetail(VersionOut):
    """One saved version with its settings."""

    data: dict[str, Any]


class CompareOut(BaseModel):
    """What changed from version ``a`` to version ``b``."""

    a: int
    b: int
    changes: list[ChangeOut]


@router.get("/draft", response_model=DraftOut)
def read_draft(admin: CurrentAdmin, session: ReadSessionDep) -> DraftOut:
    """Return the draft (the saved settings when nothing is being edited) and its problems."""
    return DraftOut.of(get_draft(session, admin.account_id))


@router.put("/draft", response_model=DraftOut)
def put_draft(
    changes: SettingsChanges, admin: CurrentAdmin, ctx: ContextDep, session: SessionDep
) -> DraftOut:
    """Put changes in the draft; nothing is applied until the draft is saved."""
    state = edit_draft(
        session,
        admin.account_id,
        storable(changes),
        edited_by=admin_name(session, admin),
        clock=ctx.clock,
    )
    return DraftOut.of(state)


def _with_org_problems(
    state: DraftState, ctx: WebContext, access: SalesforceAccess, account_id: int
) -> DraftOut:
    """Add what the connected org says about the draft's mapped fields."""
    found = org_problems(ctx, access, account_id, state.data)
    return DraftOut.of(replace(state, problems=(*state.problems, *found)) if found else state)


@router.post("/validate", response_model=DraftOut)
def validate_draft(admin: CurrentAdmin, ctx: ContextDep, access: AccessDep) -> DraftOut:
    """Check the draft, against the connected org too, and list every problem (nothing saved)."""
    with ctx.database.read() as session:
        state = get_draft(session, admin.account_id)
    return _with_org_problems(state, ctx, access, admin.account_id)


def draft_fits_the_org(admin: CurrentAdmin, ctx: ContextDep, access: AccessDep) -> None:
    """Refuse to save a draft whose mapping names fields the connected org cannot take.

    A dependency, so the check (which may call Salesforce) runs before the write transaction.
    """
    with ctx.database.read() as session:
        data = get_draft(session, admin.account_id).data
    found = org_problems(ctx, access, admin.account_id, data)
    if found:
        raise ValidationError(
            "the draft maps fields the connected Salesforce org cannot take; fix them and save "
            "again (the draft keeps your changes)",
            found,
        )


def _saved(session: Session, account_id: int, before: dict[str, Any], number: int) -> SavedOut:
    versions = list_versions(session, account_id)
    current = next(v for v in versions if v.number == number)
    previous = next((v.number for v in versions if v.number < number), None)
    after = version_data(session, account_id, number)
    return SavedOut(
        version=VersionOut.of(current),
        previous=previous,
        changes=ChangeOut.all_of(diff(before, after)),
    )


@router.post("/save", response_model=SavedOut, dependencies=[Depends(draft_fits_the_org)])
def save(admin: CurrentAdmin, ctx: ContextDep, session: SessionDep) -> SavedOut:
    """Save the draft as the next version (refused with every problem when it is not valid)."""
    before = active_settings(session, admin.account_id).as_data()
    info = save_draft(
        session, admin.account_id, saved_by=admin_name(session, admin), clock=ctx.clock
    )
    return _saved(session, admin.account_id, before, info.number)


@router.get("/versions", response_model=VersionList)
def versions(admin: CurrentAdmin, session: ReadSessionDep) -> VersionList:
    """List the saved versions, newest first."""
    return VersionList(items=[VersionOut.of(v) for v in list_versions(session, admin.account_id)])


@router.get("/versions/{number}", response_model=VersionDetail)
def version(number: IdPath, admin: CurrentAdmin, session: ReadSessionDep) -> VersionDetail:
    """Return one saved version with its settings."""
    data = version_data(session, admin.account_id, number)
    info = next(v for v in list_versions(session, admin.account_id) if v.number == number)
    return VersionDetail(**VersionOut.of(info).model_dump(), data=data)


@router.get("/compare", response_model=CompareOut)
def compare(
    a: Annotated[int, Query(ge=1, le=MAX_ID, description="The older version number.")],
    b: Annotated[int, Query(ge=1, le=MAX_ID, description="The newer version number.")],
    admin: CurrentAdmin,
    session: ReadSessionDep,
) -> CompareOut:
    """Return what changed from version ``a`` to version ``b``."""
    changes = compare_versions(session, admin.account_id, a, b)
    return CompareOut(a=a, b=b, changes=ChangeOut.all_of(changes))


@router.post("/versions/{number}/restore", response_model=SavedOut)
def restore(number: IdPath, admin: CurrentAdmin, ctx: ContextDep, session: SessionDep) -> SavedOut:
    """Save a new version equal to version ``number`` (history is never rewritten)."""
    before = active_settings(session, admin.account_id).as_data()
    info = restore_version(
        session, admin.account_id, number, restored_by=admin_name(session, admin), clock=ctx.clock
    )
    return _saved(session, admin.account_id, before, info.number)


@router.get(
    "/export",
    response_class=JSONResponse,
    responses={200: {"description": "The settings export file (JSON, as an attachment)."}},
)
def export(admin: CurrentAdmin, ctx: ContextDep, session: ReadSessionDep) -> Response:
    """Download the settings in force as a file that ``POST /settings/import`` accepts."""
    document = export_document(session, admin.account_id, clock=ctx.clock)
    number = document.get("settings_version")
    name = f"ringsync-settings-v{number}.json" if number else "ringsync-settings-defaults.json"
    return JSONResponse(document, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/import", response_model=DraftOut)
def import_settings(
    document: ExportDocument, admin: CurrentAdmin, ctx: ContextDep, access: AccessDep
) -> DraftOut:
    """Make the draft from an export file and list its problems; nothing is saved."""
    with ctx.database.write() as session:
        state = import_document(
            session,
            admin.account_id,
            storable(document),
            imported_by=admin_name(session, admin),
            clock=ctx.clock,
        )
    return _with_org_problems(state, ctx, access, admin.account_id)


__all__ = ["admin_name", "router"]
