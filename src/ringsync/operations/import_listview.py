"""Import list from a Salesforce list view: read the view's records, add the priority twins.

Parameters (with ``source: "list_view"``): ``object`` (Lead or Contact) and ``list_view_id``
(15 or 18 characters; the ids ``GET sobjects/{object}/listviews`` lists).

Reading: the view is looked up in the object's list of views and described. A
``soqlCompatible`` view runs its own query (its WHERE, scope and order) with the select list
replaced by the fields the import needs, paged like any query (2,000 records a call). Other
views are paged through their results resource (2,000 rows a call); those rows must carry a
Phone column.

Priority: a list view holds one object, so with object mode ``both`` a member of the
non-priority object may share its phone number with a priority record outside the view. When
ringsync already links that number's contact to a priority record, that record joins the
members as the view member's twin, and the import's priority rule keeps it and skips the view
member ("phone ... is also Contact 003...; Contact priority"), as the seed requires.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from ringsync.domain.phones import try_normalize
from ringsync.mapping.catalog import SyncObject
from ringsync.operations.model import OperationRefusedError
from ringsync.salesforce.client import SalesforceClient
from ringsync.salesforce.listviews import ListViewInfo, with_select_list
from ringsync.store.repositories import sync_links, sync_reads
from ringsync.sync.config import ObjectMode, SyncSettings

LIST_VIEW_PARAMS = frozenset({"object", "list_view_id"})
PAGE_SIZE = 2000
_VIEW_ID = re.compile(r"00B[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?")
_NEEDED: dict[SyncObject, tuple[str, ...]] = {
    SyncObject.LEAD: ("Id", "Phone", "IsConverted", "ConvertedContactId"),
    SyncObject.CONTACT: ("Id", "Phone"),
}


def _refuse(message: str) -> OperationRefusedError:
    return OperationRefusedError(f"import_list: {message}")


def check_list_view_params(params: Mapping[str, Any]) -> None:
    """Refuse list view parameters that cannot name one view of Leads or Contacts."""
    if params.get("object") not in ("Lead", "Contact"):
        raise _refuse("object must be Lead or Contact")
    view_id = params.get("list_view_id")
    if not isinstance(view_id, str) or not view_id.strip():
        raise _refuse("list_view_id is required")
    if not _VIEW_ID.fullmatch(view_id.strip()):
        raise _refuse("list_view_id must be a list view id (15 or 18 characters starting 00B)")


def _find(views: Sequence[ListViewInfo], view_id: str) -> ListViewInfo | None:
    for view in views:
        if view.id == view_id or view.id[:15] == view_id[:15]:
            return view
    return None


def read_list_view(client: SalesforceClient, params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return the list view's records, each with its ``sobject``."""
    obj = SyncObject(params["object"])
    view_id = str(params["list_view_id"]).strip()
    view = _find(client.list_views(obj.value), view_id)
    if view is None:
        raise _refuse(f"no {obj.value} list view has the id {view_id}")
    describe = client.list_view_describe(obj.value, view.id)
    soql = with_select_list(describe.query, _NEEDED[obj]) if view.soql_compatible else None
    if soql is not None:
        rows = [dict(r) for r in client.iter_query(soql, batch_size=PAGE_SIZE)]
    else:
        if "Phone" not in describe.columns:
            raise _refuse(
                f"the list view {view.label!r} has no Phone column and cannot be read by SOQL; "
                "add the Phone column to it or import with a saved filter"
            )
        rows = [
            {"Id": r.get("Id"), "Phone": r.get("Phone")}
            for r in client.iter_list_view_results(obj.value, view.id, page_size=PAGE_SIZE)
        ]
    return [{**r, "sobject": obj} for r in rows if r.get("Id")]


def with_priority_twins(
    session: Session, account_id: int, settings: SyncSettings, members: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Add the priority records that share a phone number with non-priority members."""
    if settings.object_mode is not ObjectMode.BOTH or settings.priority is None:
        return list(members)
    preferred = settings.priority
    phones: dict[str, str] = {}
    for member in members:
        if member["sobject"] is preferred:
            continue
        normalized = try_normalize(member.get("Phone"), settings.phone_region)
        if normalized is not None:
            phones.setdefault(normalized.e164, str(member.get("Phone")))
    contacts = [
        c
        for c in sync_reads.contacts_by_phones(session, account_id, set(phones))
        if c.extension == ""
    ]
    links = sync_links.by_contacts(session, account_id, [c.id for c in contacts])
    present = {str(m["Id"]) for m in members}
    twins: list[dict[str, Any]] = []
    for contact in contacts:
        link = links.get(contact.id)
        if link is None or link.sobject != preferred.value or link.record_id in present:
            continue
        present.add(link.record_id)
        twins.append({"Id": link.record_id, "Phone": phones[contact.phone], "sobject": preferred})
    return [*members, *twins]


__all__ = [
    "LIST_VIEW_PARAMS",
    "check_list_view_params",
    "read_list_view",
    "with_priority_twins",
]
