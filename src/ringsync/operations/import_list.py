"""Import list: fill a ringsync contact list from Salesforce campaign members or a saved filter.

Sources (parameter ``source``):

* ``campaign`` with ``campaign_id``: the Leads and Contacts that are members of the campaign;
* ``filter`` with ``object`` (Lead or Contact) and ``where``, a list of
  ``{"field", "op", "value"}`` conditions joined with AND; field names are checked against the
  object's describe and values are quoted, so a saved filter cannot inject SOQL;
* ``list_view`` with ``object`` (Lead or Contact) and ``list_view_id``: the records of a
  Salesforce list view (see :mod:`ringsync.operations.import_listview`).

Steps: ``sync`` runs the engine's inbound pass first (so members created in Salesforce since the
last sync exist in ringsync), then ``add`` reads the members, applies the Lead/Contact priority
to records sharing a phone number (the priority object's record wins; a converted Lead is
followed to its Contact), finds each kept record's contact (by link, else by phone) and adds
it to the list, which is created when it does not exist. Every member gets an item: added, or
skipped with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from ringsync.domain.accounts import get_account
from ringsync.domain.lists import add_to_list, create_list
from ringsync.domain.phones import mask, try_normalize
from ringsync.domain.sync_settings import active_settings
from ringsync.errors import FatalSyncError, MappingError
from ringsync.mapping.catalog import SyncObject
from ringsync.operations.handler import Applied, Batch, OperationEnv
from ringsync.operations.import_listview import (
    LIST_VIEW_PARAMS,
    check_list_view_params,
    read_list_view,
    with_priority_twins,
)
from ringsync.operations.model import (
    Operation,
    OperationKind,
    OperationRefusedError,
    PlannedItem,
    Preview,
)
from ringsync.salesforce.client import SalesforceClient
from ringsync.salesforce.describe import allow_list
from ringsync.salesforce.soql import AllOf, AllowList, Cond, Operator
from ringsync.salesforce.soql import select as soql_select
from ringsync.store.repositories import lists as lists_repo
from ringsync.store.repositories import sync_links, sync_reads
from ringsync.sync.config import SyncSettings
from ringsync.sync.priority import RecordRef, apply_priority

SOURCES = ("campaign", "filter", "list_view")
OPERATORS: tuple[Operator, ...] = ("=", "!=", "<", "<=", ">", ">=", "LIKE", "IN", "NOT IN")
_OPERATORS: dict[str, Operator] = {op: op for op in OPERATORS}
ID_CHUNK = 200
_MEMBERS = AllowList({"CampaignMember": ("CampaignId", "LeadId", "ContactId")})
_RECORDS = AllowList(
    {"Lead": ("Id", "Phone", "IsConverted", "ConvertedContactId"), "Contact": ("Id", "Phone")}
)
_FIELDS = {
    SyncObject.LEAD: ["Id", "Phone", "IsConverted", "ConvertedContactId"],
    SyncObject.CONTACT: ["Id", "Phone"],
}


def _refuse(message: str) -> OperationRefusedError:
    return OperationRefusedError(f"import_list: {message}")


def _text(params: Mapping[str, Any], name: str) -> str:
    value = params.get(name)
    if not isinstance(value, str) or not value.strip():
        raise _refuse(f"{name} is required")
    return value.strip()


def _conditions(params: Mapping[str, Any]) -> list[Cond]:
    raw = params.get("where")
    if not isinstance(raw, list) or not raw:
        raise _refuse("where must be a non-empty list of {field, op, value} conditions")
    conditions: list[Cond] = []
    for entry in raw:
        if not isinstance(entry, Mapping) or set(entry) != {"field", "op", "value"}:
            raise _refuse("each condition needs exactly field, op and value")
        op = _OPERATORS.get(str(entry["op"]).upper())
        if op is None:
            raise _refuse(f"unknown operator {entry['op']!r}; use one of {', '.join(OPERATORS)}")
        conditions.append(Cond(str(entry["field"]), op, entry["value"]))
    return conditions


def check_params(params: Mapping[str, Any]) -> None:
    """Refuse parameters that cannot describe a list import, naming what is wrong."""
    source = params.get("source")
    if source not in SOURCES:
        raise _refuse(f"source must be one of {', '.join(SOURCES)}")
    name = _text(params, "list_name")
    if len(name) > 200:
        raise _refuse("list_name must have at most 200 characters")
    allowed = {"source", "list_name", "sync"}
    if source == "list_view":
        check_list_view_params(params)
        allowed |= LIST_VIEW_PARAMS
    elif source == "campaign":
        _text(params, "campaign_id")
        allowed.add("campaign_id")
    else:
        if params.get("object") not in ("Lead", "Contact"):
            raise _refuse("object must be Lead or Contact")
        _conditions(params)
        allowed |= {"object", "where"}
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise _refuse(f"unexpected parameter {unknown[0]!r}")
    if not isinstance(params.get("sync", True), bool):
        raise _refuse("sync must be true or false")


def _records(
    client: SalesforceClient, obj: SyncObject, where: Cond | AllOf, allowed: AllowList
) -> list[dict[str, Any]]:
    soql = soql_select(_FIELDS[obj], obj.value, allowed=allowed, where=where, order_by=["Id"])
    return [dict(r) for r in client.iter_query(soql)]


def _by_ids(client: SalesforceClient, obj: SyncObject, ids: Sequence[str]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for start in range(0, len(ids), ID_CHUNK):
        chunk = list(ids[start : start + ID_CHUNK])
        found += _records(client, obj, Cond("Id", "IN", chunk), _RECORDS)
    return found


def read_members(client: SalesforceClient, params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return the source's member records, each with its ``sobject``."""
    members: list[dict[str, Any]] = []
    if params["source"] == "list_view":
        return read_list_view(client, params)
    if params["source"] == "campaign":
        soql = soql_select(
            ["LeadId", "ContactId"],
            "CampaignMember",
            allowed=_MEMBERS,
            where=Cond("CampaignId", "=", str(params["campaign_id"])),
        )
        rows = list(client.iter_query(soql))
        for obj, key in ((SyncObject.LEAD, "LeadId"), (SyncObject.CONTACT, "ContactId")):
            ids = sorted({str(r[key]) for r in rows if r.get(key)})
            members += [{**r, "sobject": obj} for r in _by_ids(client, obj, ids)]
        return members
    obj = SyncObject(params["object"])
    allowed = allow_list(client.describe(obj.value))
    conditions = _conditions(params)
    try:
        where = conditions[0] if len(conditions) == 1 else AllOf(tuple(conditions))
        rows = _records(client, obj, where, allowed)
    except MappingError as exc:
        raise _refuse(exc.message) from None
    return [{**r, "sobject": obj} for r in rows]


@dataclass(frozen=True)
class _Resolved:
    items: tuple[PlannedItem, ...]
    contact_ids: tuple[int, ...]


def resolve(
    session: Session, account_id: int, settings: SyncSettings, members: Sequence[dict[str, Any]]
) -> _Resolved:
    """Apply the priority to the members and find each kept record's contact."""
    refs = [
        RecordRef(
            sobject=m["sobject"],
            id=str(m["Id"]),
            phone=(p.e164 if (p := try_normalize(m.get("Phone"), settings.phone_region)) else None),
            is_converted=bool(m.get("IsConverted")),
            converted_contact_id=m.get("ConvertedContactId"),
        )
        for m in members
    ]
    result = apply_priority(refs, settings.object_mode, settings.priority)
    items = [
        PlannedItem("skipped", f"{s.record.sobject}:{s.record.id}", s.record.id, s.reason)
        for s in result.skipped
    ]
    kept: list[tuple[str, str, str | None]] = [
        (r.sobject.value, r.id, r.phone) for r in result.kept
    ]
    kept += [(SyncObject.CONTACT.value, f.contact_record_id, f.lead.phone) for f in result.follow]
    links = sync_links.by_records(session, account_id, [rid for _, rid, _ in kept])
    phones = {p for _, rid, p in kept if p and rid not in links}
    by_phone: dict[str, int] = {}
    for contact in sync_reads.contacts_by_phones(session, account_id, phones):
        if contact.extension == "":
            by_phone.setdefault(contact.phone, contact.id)
    contact_ids: list[int] = []
    for sobject, record_id, phone in kept:
        target = f"{sobject}:{record_id}"
        link = links.get(record_id)
        contact_id = link.contact_id if link else by_phone.get(phone or "")
        if contact_id is None:
            why = "no phone number" if not phone else f"no ringsync contact has {mask(phone)}"
            items.append(PlannedItem("skipped", target, record_id, why))
            continue
        contact_ids.append(contact_id)
        how = "linked record" if link else "same phone number"
        items.append(PlannedItem("added", target, record_id, how, {"contact_id": contact_id}))
    return _Resolved(tuple(items), tuple(sorted(set(contact_ids))))


class ImportListHandler:
    """Import a Salesforce campaign, saved filter or list view into a ringsync contact list."""

    kind = OperationKind.IMPORT_LIST

    def check(self, session: Session, account_id: int, params: Mapping[str, Any]) -> None:
        """The account must exist and the parameters must describe one source and a list."""
        get_account(session, account_id)
        check_params(params)

    def preview(self, env: OperationEnv, account_id: int, params: Mapping[str, Any]) -> Preview:
        """Resolve the members against ringsync as it is now; create and add nothing."""
        members = read_members(env.salesforce, params)
        with env.database.read() as session:
            settings = active_settings(session, account_id)
            if params["source"] == "list_view":
                members = with_priority_twins(session, account_id, settings, members)
            resolved = resolve(session, account_id, settings, members)
            exists = lists_repo.by_name(session, account_id, str(params["list_name"]).strip())
        notes = [] if exists else [f"the list {params['list_name']!r} will be created"]
        if params.get("sync", True):
            notes.append("the run first pulls recent Salesforce changes, which may add members")
        return Preview(self.kind, account_id, resolved.items, api_calls=3, notes=tuple(notes))

    def fetch(self, env: OperationEnv, operation: Operation) -> Batch | None:
        """Pull recent changes first, then read and resolve the members."""
        step = (operation.cursor or {"step": "sync"})["step"]
        if step == "sync":
            if operation.params.get("sync", True):
                stop = env.cancel_requested(operation)
                summaries = env.sync_engine().run_inbound(operation.account_id, should_stop=stop)
                failed = [s for s in summaries if s.error]
                if failed:
                    raise FatalSyncError(
                        f"the inbound pass of {failed[0].sobject} failed: {failed[0].error}"
                    )
            return Batch(None, {"step": "add"})
        if step != "add":
            return None
        return Batch(read_members(env.salesforce, operation.params), {"step": "done"}, last=True)

    def apply(
        self, session: Session, env: OperationEnv, operation: Operation, batch: Batch
    ) -> Applied:
        """Create the list if needed and add the resolved contacts to it."""
        if batch.payload is None:
            return Applied()
        account_id = operation.account_id
        settings = active_settings(session, account_id)
        members = batch.payload
        if operation.params["source"] == "list_view":
            members = with_priority_twins(session, account_id, settings, members)
        resolved = resolve(session, account_id, settings, members)
        name = str(operation.params["list_name"]).strip()
        existing = lists_repo.by_name(session, account_id, name)
        list_id = (
            existing.id if existing else create_list(session, account_id, name, clock=env.clock).id
        )
        add_to_list(session, account_id, list_id, resolved.contact_ids, clock=env.clock)
        return Applied(resolved.items, {}, done=len(resolved.items))


__all__ = ["ImportListHandler", "check_params", "read_members", "resolve"]
