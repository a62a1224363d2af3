"""``/api/v1/admin/mappings/{object}``: the field mapping of Leads or Contacts, in the DRAFT.

Rows carry their legend (locked, deletable); when Salesforce is connected, the object's
describe lists the candidate fields, each flagged prohibited when it is already mapped. Adding,
changing and removing rows edit the draft only (``POST /settings/save`` applies them), and a
refusal lists every problem with its reason (``prohibited``, ``locked``...) as a 422.

Salesforce is called before any write transaction opens, so a slow org never holds the store's
write lock.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field

from ringsync.domain.sync_settings import edit_draft, get_draft
from ringsync.errors import NotFoundError, Problem, RingsyncError, ValidationError
from ringsync.mapping.catalog import Direction, FieldKind, FieldMapping, SyncObject, TooLongPolicy
from ringsync.mapping.fieldinfo import FieldInfo
from ringsync.mapping.rules import (
    PROHIBITED,
    add_mapping,
    available_fields,
    change_direction,
    change_policy,
    custom_mapping,
    legend,
    remove_mapping,
)
from ringsync.salesforce.describe import SObjectDescribe
from ringsync.store.repositories import connections as connection_repo
from ringsync.web.api.admin_salesforce import SalesforceAccess, salesforce_access
from ringsync.web.api.admin_schemas import MAX_TEXT, MappedObject, ProblemOut, sync_object
from ringsync.web.api.admin_settings import admin_name
from ringsync.web.context import WebContext
from ringsync.web.deps import ContextDep, CurrentAdmin, Principal

router = APIRouter(prefix="/mappings", tags=["admin: mappings"])

AccessDep = Annotated[SalesforceAccess, Depends(salesforce_access)]
NamePath = Annotated[
    str, Path(max_length=100, description="The ringsync property (or Salesforce field) of the row.")
]


class MappingRowOut(BaseModel):
    """One mapped row and the legend the page shows beside it."""

    ringsync_property: str
    label: str
    salesforce_field: str
    salesforce_label: str
    salesforce_type: str
    kind: str
    direction: str
    too_long: str
    legend: list[str]


class CandidateOut(BaseModel):
    """A Salesforce field offered for mapping; ``prohibited`` when it is already mapped."""

    name: str
    label: str
    type: str
    writable: bool
    prohibited: bool
    mapped_to: str | None
    legend: list[str]


class MappingView(BaseModel):
    """The object's draft mapping, its problems, and (when connected) the candidate fields."""

    object: str
    rows: list[MappingRowOut]
    problems: list[ProblemOut]
    unsaved_changes: bool
    connected: bool
    candidates: list[CandidateOut] | None
    candidates_note: str | None = None


class MappingAddBody(BaseModel):
    """A new row: a ringsync property paired with a Salesforce field."""

    model_config = ConfigDict(extra="forbid")

    ringsync_property: str = Field(min_length=1, max_length=100)
    salesforce_field: str = Field(min_length=1, max_length=100)
    direction: Direction = Direction.BOTH
    too_long: TooLongPolicy = TooLongPolicy.TRUNCATE


class MappingPatchBody(BaseModel):
    """Changes to one row; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    direction: Direction | None = None
    too_long: TooLongPolicy | None = None


def _key(obj: SyncObject) -> str:
    return "lead_mappings" if obj is SyncObject.LEAD else "contact_mappings"


def _draft_rows(ctx: WebContext, account_id: int, obj: SyncObject) -> tuple[FieldMapping, ...]:
    with ctx.database.read() as session:
        data = get_draft(session, account_id).data
    raw = data.get(_key(obj))
    rows: list[FieldMapping] = []
    problems: list[Problem] = []
    for index, item in enumerate(raw if isinstance(raw, list) else []):
        try:
            rows.append(FieldMapping.from_dict(item))
        except (KeyError, ValueError, TypeError, AttributeError):
            where = f"{_key(obj)}.{index}"
            problems.append(Problem(where, f"{where} is not a valid mapping row", "bad_mapping"))
    if problems or not isinstance(raw, list):
        problems = problems or [Problem(_key(obj), f"{_key(obj)} must be a list", "bad_mapping")]
        raise ValidationError(
            "the draft's mapping cannot be read; fix it with PUT /settings/draft", problems
        )
    return tuple(rows)


def _describe_rows(describe: SObjectDescribe) -> list[dict[str, Any]]:
    """Return the describe's fields in Salesforce's JSON shape (what the mapping rules read)."""
    return [
        {
            "name": f.name,
            "label": f.label,
            "type": f.type,
            "length": f.length,
            "nillable": f.nillable,
            "createable": f.createable,
            "updateable": f.updateable,
            "restrictedPicklist": f.restricted_picklist,
            "picklistValues": [{"value": p.value, "active": p.active} for p in f.picklist_values],
        }
        for f in describe.fields.values()
    ]


def _describe(
    ctx: WebContext, access: SalesforceAccess, account_id: int, obj: SyncObject
) -> tuple[bool, list[dict[str, Any]] | None, str | None]:
    """Return (connected, field infos or None, why there are none)."""
    with ctx.database.read() as session:
        connected = connection_repo.get(session, account_id) is not None
    if not connected:
        return False, None, "connect Salesforce to see the fields you can map"
    try:
        described = access.client(ctx.database, account_id).describe(obj.value)
    except RingsyncError as exc:
        return True, None, f"the {obj.value} fields could not be read: {exc.message}"
    return True, _describe_rows(described), None


def _view(
    ctx: WebContext, access: SalesforceAccess, account_id: int, obj: SyncObject
) -> MappingView:
    rows = _draft_rows(ctx, account_id, obj)
    connected, infos, note = _describe(ctx, access, account_id, obj)
    with ctx.database.read() as session:
        state = get_draft(session, account_id)
    prefix = f"{_key(obj)}."
    candidates = None
    if infos is not None:
        candidates = [
            CandidateOut(
                name=c.name,
                label=c.label,
                type=c.type,
                writable=c.writable,
                prohibited=c.prohibited,
                mapped_to=c.mapped_to,
                legend=sorted(c.legends),
            )
            for c in available_fields(infos, rows)
        ]
    return MappingView(
        object=obj.value,
        rows=[_row_out(row, rows) for row in rows],
        problems=ProblemOut.all_of(p for p in state.problems if p.field.startswith(prefix)),
        unsaved_changes=state.unsaved_changes,
        connected=connected,
        candidates=candidates,
        candidates_note=note,
    )


def _row_out(row: FieldMapping, rows: Sequence[FieldMapping]) -> MappingRowOut:
    return MappingRowOut(
        ringsync_property=row.ringsync_property,
        label=row.label,
        salesforce_field=row.salesforce_field,
        salesforce_label=row.salesforce_label,
        salesforce_type=row.salesforce_type,
        kind=row.kind.value,
        direction=row.direction.value,
        too_long=row.too_long.value,
        legend=sorted(legend(row, rows)),
    )


def _find(rows: Sequence[FieldMapping], name: str) -> FieldMapping:
    """Return the row of a ringsync property (or, failing that, of a Salesforce field)."""
    found = next((r for r in rows if r.ringsync_property == name), None)
    found = found or next((r for r in rows if r.salesforce_field.lower() == name.lower()), None)
    if found is None:
        raise NotFoundError(f"nothing here: {name[:MAX_TEXT]} is not mapped")
    return found


def _store(
    ctx: WebContext, admin: Principal, obj: SyncObject, rows: Sequence[FieldMapping]
) -> None:
    with ctx.database.write() as session:
        edit_draft(
            session,
            admin.account_id,
            {_key(obj): [row.to_dict() for row in rows]},
            edited_by=admin_name(session, admin),
            clock=ctx.clock,
        )


@router.get("/{sobject}", response_model=MappingView)
def read_mapping(
    sobject: MappedObject, admin: CurrentAdmin, ctx: ContextDep, access: AccessDep
) -> MappingView:
    """Return the draft mapping of ``lead`` or ``contact`` with legends and candidates."""
    return _view(ctx, access, admin.account_id, sync_object(sobject))


def _prohibited_first(exc: ValidationError) -> ValidationError:
    """Name the prohibited reason in the message when that is why a row was refused."""
    reason = next((p.reason for p in exc.problems if p.code == PROHIBITED), None)
    if reason is None:
        return exc
    return ValidationError(f"prohibited: {reason}", exc.problems)


@router.post("/{sobject}", response_model=MappingView, status_code=201)
def add_row(
    sobject: MappedObject,
    body: MappingAddBody,
    admin: CurrentAdmin,
    ctx: ContextDep,
    access: AccessDep,
) -> MappingView:
    """Map a Salesforce field to a ringsync property in the draft (prohibited if taken)."""
    obj = sync_object(sobject)
    rows = _draft_rows(ctx, admin.account_id, obj)
    _, infos, _ = _describe(ctx, access, admin.account_id, obj)
    wanted = body.salesforce_field.strip().lower()
    info = next((i for i in infos or () if str(i["name"]).lower() == wanted), None)
    if info is not None:
        row = custom_mapping(
            body.ringsync_property, FieldInfo.from_describe(info), body.direction, body.too_long
        )
    else:
        row = FieldMapping(
            ringsync_property=body.ringsync_property,
            salesforce_field=body.salesforce_field.strip(),
            salesforce_label=body.salesforce_field.strip(),
            salesforce_type="",
            kind=FieldKind.CUSTOM,
            direction=body.direction,
            too_long=body.too_long,
            label=body.ringsync_property,
        )
    try:
        updated = add_mapping(rows, row, infos)
    except ValidationError as exc:
        raise _prohibited_first(exc) from None
    _store(ctx, admin, obj, updated)
    return _view(ctx, access, admin.account_id, obj)


@router.patch("/{sobject}/{name}", response_model=MappingView)
def change_row(
    sobject: MappedObject,
    name: NamePath,
    body: MappingPatchBody,
    admin: CurrentAdmin,
    ctx: ContextDep,
    access: AccessDep,
) -> MappingView:
    """Change one row's direction or refusal policy in the draft (the locked row refuses)."""
    obj = sync_object(sobject)
    rows = _draft_rows(ctx, admin.account_id, obj)
    row = _find(rows, name)
    if body.direction is None and body.too_long is None:
        raise ValidationError(
            "nothing to change", [Problem("body", "give direction or too_long", "required")]
        )
    _, infos, _ = _describe(ctx, access, admin.account_id, obj)
    updated: tuple[FieldMapping, ...] = rows
    if body.direction is not None:
        updated = change_direction(updated, row.salesforce_field, body.direction, infos)
    if body.too_long is not None:
        updated = change_policy(updated, row.salesforce_field, body.too_long)
    _store(ctx, admin, obj, updated)
    return _view(ctx, access, admin.account_id, obj)


@router.delete("/{sobject}/{name}", response_model=MappingView)
def remove_row(
    sobject: MappedObject, name: NamePath, admin: CurrentAdmin, ctx: ContextDep, access: AccessDep
) -> MappingView:
    """Remove one row from the draft (the locked Phone row cannot be removed)."""
    obj = sync_object(sobject)
    rows = _draft_rows(ctx, admin.account_id, obj)
    row = _find(rows, name)
    _store(ctx, admin, obj, remove_mapping(rows, row.salesforce_field))
    return _view(ctx, access, admin.account_id, obj)


__all__ = ["router"]
