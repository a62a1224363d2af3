"""List views: the ListView object, list view definitions, their SOQL and describe bodies.

A list view is a ListView record (key prefix 00B: Id, Name, DeveloperName, SobjectType) plus
a definition kept on the org (``org.list_views``): the visible columns, a SOQL WHERE clause,
a scope (``everything`` or ``mine``), the sort column and whether the REST API marks it
``soqlCompatible``. Every new org gets the default views of a fresh Salesforce org for Leads
and Contacts. The REST resources that serve them are in :mod:`sfemu.listview_routes`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sfemu.errors import SalesforceError, not_found
from sfemu.ids import parse_id
from sfemu.object_fields import make_field, new_object, picklist, read_only, system_fields
from sfemu.schema import FieldDef, ObjectDef
from sfemu.soql import compile_query

if TYPE_CHECKING:
    from sfemu.org import Org

SCOPES = ("everything", "mine")
# Columns every list view query selects after the visible ones; results carry them hidden.
HIDDEN_COLUMNS = ("Id", "CreatedDate", "LastModifiedDate", "SystemModstamp")
_DEVELOPER_NAME = re.compile(r"[A-Za-z](?:[A-Za-z0-9]|_(?!_))*")
_SORT_LABELS = {
    "number": ("9-0", "0-9"),
    "date": ("New to Old", "Old to New"),
    "picklist": ("Low to High", "High to Low"),
    "text": ("Z-A", "A-Z"),
}
_NUMERIC = frozenset({"int", "double", "currency", "percent", "phone"})


def list_view_object() -> ObjectDef:
    """Return the ListView object: query-only, one record per list view."""
    obj = new_object(
        "ListView",
        "List View",
        "List Views",
        createable=False,
        updateable=False,
        deletable=False,
        undeletable=False,
        replicateable=False,
    )
    obj.add(read_only("Name", "string", "View Name", length=40, name_field=True))
    obj.add(read_only("DeveloperName", "string", "View Unique Name", length=80))
    obj.add(read_only("NamespacePrefix", "string", "Namespace Prefix", length=15))
    obj.add(
        make_field(
            "SobjectType",
            "picklist",
            "Sobject Type Name",
            length=40,
            createable=False,
            updateable=False,
            picklist_values=picklist(("Account", "Campaign", "Contact", "Lead")),
        )
    )
    obj.add(read_only("IsSoqlCompatible", "boolean", "Is Soql Compatible"))
    obj.add(read_only("LastViewedDate", "datetime", "Last Viewed Date"))
    obj.add(read_only("LastReferencedDate", "datetime", "Last Referenced Date"))
    system_fields(obj)
    return obj


@dataclass(frozen=True)
class ListViewDef:
    """What a list view shows: columns, filter, scope and order, over one object."""

    id: str
    sobject: str
    label: str
    developer_name: str
    columns: tuple[str, ...]
    filter: str | None = None
    scope: str = "everything"
    order_by: str | None = None
    descending: bool = False
    soql_compatible: bool = True

    def where(self, user_id: str) -> str | None:
        """Return the WHERE clause for one caller (``mine`` adds the owner condition)."""
        parts = [f"({self.filter})"] if self.filter else []
        if self.scope == "mine":
            parts.append(f"OwnerId = '{user_id}'")
        return " AND ".join(parts) or None

    def sort_field(self) -> str:
        """Return the column the view is sorted by (its first column unless told)."""
        return self.order_by or self.columns[0]

    def soql(self, user_id: str) -> str:
        """Return the view's full SOQL query for one caller (what describe's ``query`` says)."""
        selected = list(dict.fromkeys([*self.columns, *HIDDEN_COLUMNS]))
        # Names were checked against the describe when the view was defined; the filter is
        # the admin's own SOQL by design (it is the list view's definition).
        text = f"SELECT {', '.join(selected)} FROM {self.sobject}"  # noqa: S608 - see above
        where = self.where(user_id)
        if where:
            text += f" WHERE {where}"
        direction = "DESC NULLS LAST" if self.descending else "ASC NULLS FIRST"
        sort = self.sort_field()
        text += f" ORDER BY {sort} {direction}"
        if sort != "Id":
            text += f", Id {direction}"
        return text


def _label_pair(fdef: FieldDef | None) -> tuple[str, str]:
    if fdef is None:
        return _SORT_LABELS["text"]
    if fdef.type in _NUMERIC:
        return _SORT_LABELS["number"]
    if fdef.type in ("date", "datetime", "time"):
        return _SORT_LABELS["date"]
    if fdef.type in ("picklist", "multipicklist"):
        return _SORT_LABELS["picklist"]
    return _SORT_LABELS["text"]


def describe_columns(view: ListViewDef, obj: ObjectDef) -> list[dict[str, Any]]:
    """Return the describe/results ``columns``: visible ones first, then the hidden ones."""
    hidden = [c for c in HIDDEN_COLUMNS if c not in view.columns]
    sort = view.sort_field()
    out: list[dict[str, Any]] = []
    for name in [*view.columns, *hidden]:
        fdef = obj.field(name)
        ascending, descending = _label_pair(fdef)
        sorted_here = name == sort
        is_picklist = fdef is not None and fdef.type == "picklist"
        direction = "descending" if view.descending else "ascending"
        out.append(
            {
                "ascendingLabel": ascending,
                "descendingLabel": descending,
                "fieldNameOrPath": name,
                "hidden": name in hidden,
                "label": fdef.label if fdef is not None else name,
                "searchable": fdef is not None and fdef.type in ("string", "email", "phone"),
                "selectListItem": f"toLabel({name})" if is_picklist else name,
                "sortDirection": direction if sorted_here else None,
                "sortIndex": 0 if sorted_here else None,
                "sortable": fdef.sortable if fdef is not None else False,
                "type": fdef.type if fdef is not None else "string",
            }
        )
    return out


def describe_body(view: ListViewDef, obj: ObjectDef, user_id: str) -> dict[str, Any]:
    """Return the body of GET .../listviews/{id}/describe."""
    return {
        "columns": describe_columns(view, obj),
        "id": view.id,
        "orderBy": [
            {
                "fieldNameOrPath": field,
                "nullsPosition": "last" if view.descending else "first",
                "sortDirection": "descending" if view.descending else "ascending",
            }
            for field in dict.fromkeys([view.sort_field(), "Id"])
        ],
        "query": view.soql(user_id),
        "relatedEntityId": None,
        "scope": view.scope,
        "scopeEntityId": None,
        "sobjectType": view.sobject,
        "whereCondition": _where_condition(view),
    }


def _where_condition(view: ListViewDef) -> dict[str, Any]:
    """Return a ``whereCondition`` (sfemu keeps the filter as SOQL text, not a parsed tree)."""
    if not view.filter:
        return {"conditions": [], "conjunction": "and"}
    return {"conditions": [{"soql": view.filter}], "conjunction": "and"}


def _text(spec: Mapping[str, Any], key: str, default: str | None = None) -> str:
    value = spec.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{key} is required (a non-empty string)")
    return value.strip()


def define_list_view(org: Org, spec: Mapping[str, Any]) -> ListViewDef:
    """Check a definition, insert its ListView record and keep it on the org.

    ``spec``: sobject, label, developer_name, columns (field names), optional filter (a SOQL
    WHERE clause), scope (everything|mine), order_by, descending, soql_compatible. The composed
    query is compiled once, so a bad column or filter is refused with the SOQL error.
    """
    obj = org.find_sobject(_text(spec, "sobject"))
    if obj is None or not obj.queryable:
        raise ValueError(f"sobject {spec.get('sobject')!r} is not a queryable object")
    label = _text(spec, "label")
    developer_name = _text(spec, "developer_name")
    if not _DEVELOPER_NAME.fullmatch(developer_name) or developer_name.endswith("_"):
        raise ValueError("developer_name must start with a letter and hold letters, digits, _")
    if any(
        v.sobject == obj.name and v.developer_name.lower() == developer_name.lower()
        for v in org.list_views.values()
    ):
        raise ValueError(f"a {obj.name} list view named {developer_name} already exists")
    columns = spec.get("columns", ["Name"])
    if not isinstance(columns, list) or not columns or not all(isinstance(c, str) for c in columns):
        raise ValueError("columns must be a non-empty list of field names")
    scope = spec.get("scope", "everything")
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {', '.join(SCOPES)}")
    flags = {k: spec.get(k, d) for k, d in (("descending", False), ("soql_compatible", True))}
    if not all(isinstance(v, bool) for v in flags.values()):
        raise ValueError("descending and soql_compatible must be true or false")
    raw_filter = spec.get("filter")
    if raw_filter is not None and not isinstance(raw_filter, str):
        raise ValueError("filter must be a SOQL WHERE clause (a string)")
    order_by = spec.get("order_by")
    if order_by is not None and not isinstance(order_by, str):
        raise ValueError("order_by must be a field name")
    draft = ListViewDef(
        id="",
        sobject=obj.name,
        label=label,
        developer_name=developer_name,
        columns=tuple(_canonical(obj, c) for c in columns),
        filter=(raw_filter.strip() or None) if raw_filter else None,
        scope=scope,
        order_by=_canonical(obj, order_by) if order_by else None,
        descending=flags["descending"],
        soql_compatible=flags["soql_compatible"],
    )
    _check_query(org, draft)
    record_id = org.insert_system_record(
        "ListView",
        {
            "Name": label,
            "DeveloperName": developer_name,
            "SobjectType": obj.name,
            "IsSoqlCompatible": draft.soql_compatible,
        },
    )
    view = ListViewDef(**{**draft.__dict__, "id": record_id})
    org.list_views[record_id] = view
    return view


def _canonical(obj: ObjectDef, name: str) -> str:
    fdef = obj.field(name)
    if fdef is None:
        raise ValueError(f"No such column '{name}' on entity '{obj.name}'")
    return fdef.name


def _check_query(org: Org, view: ListViewDef) -> None:
    try:
        compile_query(view.soql(org.admin_user_id), org)
    except SalesforceError as exc:
        raise ValueError(f"the list view's query is not valid: {exc.message}") from exc


def find_list_view(org: Org, sobject: str, view_id: str) -> ListViewDef:
    """Return one of an object's list views by id (15 or 18 chars), or raise NOT_FOUND."""
    obj = org.sobject(sobject)
    canonical = parse_id(view_id)
    view = org.list_views.get(canonical) if canonical is not None else None
    if view is None or view.sobject != obj.name:
        raise not_found()
    return view


def views_of(org: Org, sobject: str) -> list[ListViewDef]:
    """Return an object's list views in label order (as the REST list shows them)."""
    obj = org.sobject(sobject)
    found = [v for v in org.list_views.values() if v.sobject == obj.name]
    return sorted(found, key=lambda v: (v.label.lower(), v.id))


# (sobject, label, developer name, columns, filter, scope, order_by, descending, soql compatible)
DEFAULT_VIEWS: Sequence[tuple[Any, ...]] = (
    ("Lead", "All Open Leads", "AllOpenLeads",
     ["Name", "Company", "Phone", "Email", "Status"], "IsConverted = false",
     "everything", None, False, True),
    ("Lead", "My Unread Leads", "MyUnreadLeads",
     ["Name", "Company", "Phone", "Status"], "IsUnreadByOwner = true AND IsConverted = false",
     "mine", None, False, True),
    ("Lead", "Today's Leads", "TodaysLeads",
     ["Name", "Company", "Phone", "Status"], "CreatedDate = TODAY", "everything", None, False,
     True),
    ("Lead", "Recently Viewed Leads", "RecentlyViewedLeads",
     ["Name", "Company", "Phone"], "LastViewedDate != null", "everything", "LastViewedDate",
     True, False),
    ("Contact", "All Contacts", "AllContacts",
     ["Name", "Phone", "Email", "Title"], None, "everything", None, False, True),
    ("Contact", "My Contacts", "MyContacts",
     ["Name", "Phone", "Email"], None, "mine", None, False, True),
    ("Contact", "New This Week", "NewThisWeek",
     ["Name", "Phone", "Email"], "CreatedDate = THIS_WEEK", "everything", None, False, True),
    ("Contact", "Recently Viewed Contacts", "RecentlyViewedContacts",
     ["Name", "Phone", "Email"], "LastViewedDate != null", "everything", "LastViewedDate",
     True, False),
)  # fmt: skip


def install_defaults(org: Org) -> None:
    """Give a fresh org the Lead and Contact list views a new Salesforce org has."""
    keys = ("sobject", "label", "developer_name", "columns", "filter", "scope", "order_by")
    for row in DEFAULT_VIEWS:
        spec = dict(zip(keys, row[:7], strict=True))
        spec.update(descending=row[7], soql_compatible=row[8])
        define_list_view(org, spec)


__all__ = [
    "HIDDEN_COLUMNS",
    "ListViewDef",
    "define_list_view",
    "describe_body",
    "describe_columns",
    "find_list_view",
    "install_defaults",
    "list_view_object",
    "views_of",
]
