"""Bulk API 2.0 relationship columns: ``Relationship.IndexedField`` headers name a parent.

A column such as ``Owner.Username`` or ``ReportsTo.Email`` sets the reference field whose
relationship name it starts with (``OwnerId``, ``ReportsToId``) to the one parent record whose
indexed field (``Id``, an external id or an idLookup field) holds the cell's value. A
polymorphic reference may name the parent type first: ``User:Owner.Username``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sfemu.errors import SalesforceError
from sfemu.ids import parse_id
from sfemu.org import Org
from sfemu.schema import FieldDef, ObjectDef


@dataclass(frozen=True)
class ParentRef:
    """One relationship column: the child's reference field and where its parent is looked up."""

    field: FieldDef
    targets: tuple[tuple[str, str], ...]  # (parent object, canonical indexed field) pairs
    header: str


def _indexed(f: FieldDef) -> bool:
    """Tell whether a parent field may identify the parent (indexed: Id, external id, lookup)."""
    return f.name == "Id" or f.external_id or f.id_lookup


def parent_column(org: Org, obj: ObjectDef, header: str) -> ParentRef | None:
    """Return the relationship column a header names, or None when it names none."""
    type_name, colon, path = header.rpartition(":")
    relationship, dot, key = path.partition(".")
    if not dot or "." in key or (colon and not type_name):
        return None
    ref = obj.relationship(relationship)
    if ref is None or ref.type != "reference":
        return None
    targets: list[tuple[str, str]] = []
    for target in ref.reference_to:
        if colon and target.lower() != type_name.lower():
            continue
        parent = org.find_sobject(target)
        key_field = parent.field(key) if parent is not None else None
        if parent is not None and key_field is not None and _indexed(key_field):
            targets.append((parent.name, key_field.name))
    if not targets:
        return None
    return ParentRef(field=ref, targets=tuple(targets), header=header)


def resolve_parent(org: Org, ref: ParentRef, value: str) -> str:
    """Return the id of the one live parent whose indexed field holds ``value``."""
    matches: list[str] = []
    for sobject, key in ref.targets:
        if key == "Id":
            canonical = parse_id(value)
            record = org.lookup(canonical) if canonical is not None else None
            if record is not None and not record.get("IsDeleted"):
                found = org.object_for_id(record["Id"])
                if found is not None and found.name == sobject:
                    matches.append(record["Id"])
        else:
            matches.extend(org.find_by_field(sobject, key, value))
    key_name = ref.targets[0][1]
    entities = ", ".join(sobject for sobject, _ in ref.targets)
    if not matches:
        raise SalesforceError(
            "INVALID_FIELD",
            f"Foreign key external ID: {value} not found for field {key_name} in entity {entities}",
            fields=[ref.field.name],
        )
    if len(matches) > 1:
        raise SalesforceError(
            "INVALID_FIELD",
            f"Foreign key external ID: {value} matches more than one record for field "
            f"{key_name} in entity {entities}",
            fields=[ref.field.name],
        )
    return matches[0]
