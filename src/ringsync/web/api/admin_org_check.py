"""Check a settings draft's field mappings against the connected org before it is saved.

The draft's own checks cannot know the org: an imported settings file (or a restored version)
may name a field the org does not have, or map a read-only field to Salesforce. Left alone,
every record would then fail at sync time; checked here, validate and import list the problem
and save refuses it while the draft keeps the admin's work. Without a connection nothing is
checked (the mapping page says to connect first).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ringsync.domain.sync_settings import active_settings
from ringsync.errors import Problem, RingsyncError
from ringsync.mapping.catalog import FieldMapping
from ringsync.mapping.rules import validate_mappings
from ringsync.salesforce.describe import SObjectDescribe
from ringsync.store.repositories import connections as connection_repo
from ringsync.web.api.admin_salesforce import SalesforceAccess
from ringsync.web.context import WebContext

_LEADS = ("lead_mappings", "Lead")
_CONTACTS = ("contact_mappings", "Contact")
_OBJECTS = {"leads": (_LEADS,), "contacts": (_CONTACTS,), "both": (_LEADS, _CONTACTS)}
_ORG_CODES = frozenset({"unknown_field", "incompatible_type", "not_writable"})


def _fields(described: SObjectDescribe) -> list[dict[str, Any]]:
    return [
        {
            "name": f.name,
            "label": f.label,
            "type": f.type,
            "length": f.length,
            "nillable": f.nillable,
            "createable": f.createable,
            "updateable": f.updateable,
        }
        for f in described.fields.values()
    ]


def _typed(rows: Any) -> list[FieldMapping] | None:
    if not isinstance(rows, list):
        return None
    try:
        return [FieldMapping.from_dict(row) for row in rows]
    except (KeyError, ValueError, TypeError, AttributeError):
        return None  # the draft's own checks already name the unreadable row


def _signature(row: FieldMapping) -> tuple[str, str, str]:
    return (row.ringsync_property, row.salesforce_field.lower(), str(row.direction))


def org_problems(
    ctx: WebContext, access: SalesforceAccess, account_id: int, data: Mapping[str, Any]
) -> list[Problem]:
    """Return the new mapped fields the org lacks, cannot convert, or cannot write.

    Only rows the draft adds or changes against the settings in force are checked: the
    defaults name the contact center's custom fields, which an org gains when its admin creates
    them, and those rows already report per record at sync time.
    """
    with ctx.database.read() as session:
        if connection_repo.get(session, account_id) is None:
            return []
        in_force = active_settings(session, account_id).as_data()
    problems: list[Problem] = []
    for key, sobject in _OBJECTS.get(str(data.get("object_mode")), ()):
        known = {_signature(r) for r in _typed(in_force.get(key)) or ()}
        rows = [r for r in _typed(data.get(key)) or () if _signature(r) not in known]
        if not rows:
            continue
        try:
            described = access.client(ctx.database, account_id).describe(sobject)
        except RingsyncError as exc:
            reason = f"{key}: the {sobject} fields could not be read to check it: {exc.message}"
            problems.append(Problem(key, reason, "describe_failed"))
            continue
        for problem in validate_mappings(rows, _fields(described)):
            if problem.code in _ORG_CODES:
                where = f"{key}.{problem.field}"
                problems.append(Problem(where, f"{key}: {problem.reason}", problem.code))
    return problems


__all__ = ["org_problems"]
