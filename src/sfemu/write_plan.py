"""Write plans (defaults, required and indexed fields per object) and payload coercion."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sfemu.errors import SalesforceError
from sfemu.ids import parse_id
from sfemu.schema import FieldDef, ObjectDef
from sfemu.values import coerce

# Fields the platform sets on every write; never defaulted from describe.
_AUDIT = ("CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById", "SystemModstamp")
NAME_PARTS = ("FirstName", "MiddleName", "LastName", "Suffix")
_LOCKED_HINT = (
    "Please check the security settings of this field and verify that it is read/write for "
    "your profile or permission set."
)


@dataclass
class WritePlan:
    """What a write to one object type needs to know, computed once per schema version."""

    defaults: list[tuple[str, Any]] = field(default_factory=list)
    required: list[str] = field(default_factory=list)
    unique: list[FieldDef] = field(default_factory=list)
    indexed: list[FieldDef] = field(default_factory=list)
    has_owner: bool = False
    person_name: bool = False


def _default_of(f: FieldDef) -> Any:
    """Return a field's static default on create, or None."""
    if f.default_value is not None:
        return f.default_value
    for entry in f.picklist_values:
        if entry.default and entry.active:
            return entry.value
    return None


def build_plan(obj: ObjectDef) -> WritePlan:
    """Compute the write plan of an object from its field definitions."""
    plan = WritePlan()
    for f in obj.fields.values():
        if f.name in _AUDIT or f.name in ("Id", "IsDeleted"):
            continue
        if f.defaulted_on_create:
            value = _default_of(f)
            if value is not None:
                plan.defaults.append((f.name, value))
        elif f.createable and not f.nillable:
            plan.required.append(f.name)
        if f.unique or f.external_id:
            plan.indexed.append(f)
            if f.unique:
                plan.unique.append(f)
    plan.has_owner = obj.field("OwnerId") is not None
    name = obj.field("Name")
    plan.person_name = bool(name and not name.createable and obj.field("LastName"))
    return plan


def index_key(f: FieldDef, value: Any) -> Any:
    """Return the index key of a value: text is case-insensitive unless the field says not."""
    if isinstance(value, str) and not f.case_sensitive:
        return value.lower()
    return value


def full_name(record: Mapping[str, Any]) -> str | None:
    """Return the compound Name of a person record from its parts."""
    parts = [record[p] for p in NAME_PARTS if record.get(p)]
    return " ".join(parts) if parts else None


def not_allowed(obj: ObjectDef, verb: str) -> SalesforceError:
    """Return the error for an operation the object type does not support."""
    return SalesforceError(
        "INVALID_TYPE_FOR_OPERATION", f"entity type cannot be {verb}: {obj.label}", fields=[]
    )


def coerce_payload(
    obj: ObjectDef, values: Mapping[str, Any], *, record_id: str | None
) -> dict[str, Any]:
    """Map payload keys to canonical fields and coerce each value to wire format."""
    creating = record_id is None
    out: dict[str, Any] = {}
    locked: list[str] = []
    for key, value in values.items():
        f = obj.fields.get(key.lower())
        if f is None:
            if key == "attributes" and isinstance(value, dict):
                continue
            raise SalesforceError(
                "INVALID_FIELD",
                f"No such column '{key}' on sobject of type {obj.name}",
                fields=[key],
            )
        if f.type == "id":
            if creating or parse_id(str(value)) != record_id:
                raise SalesforceError(
                    "INVALID_FIELD_FOR_INSERT_UPDATE",
                    "cannot specify Id in an insert call"
                    if creating
                    else f"Id in the body does not match the record: {value}",
                    fields=["Id"],
                )
            continue
        if not (f.createable if creating else f.updateable):
            locked.append(f.name)
            continue
        out[f.name] = coerce(f, value)
    if locked:
        raise SalesforceError(
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            f"Unable to create/update fields: {', '.join(locked)}. {_LOCKED_HINT}",
            fields=locked,
        )
    return out
