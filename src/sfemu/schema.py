"""Object and field definitions: the shape the org, SOQL and describe all share.

The standard objects themselves are defined in :mod:`sfemu.objects`.
Names are looked up case-insensitively, as Salesforce does; ``name`` keeps the canonical case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Salesforce describe ``type`` values sfemu supports.
FIELD_TYPES = frozenset(
    {
        "id",
        "string",
        "textarea",
        "phone",
        "email",
        "url",
        "picklist",
        "multipicklist",
        "combobox",
        "boolean",
        "int",
        "double",
        "currency",
        "percent",
        "date",
        "datetime",
        "time",
        "reference",
        "address",
    }
)


@dataclass(frozen=True)
class PicklistValue:
    """One value of a picklist, as describe lists it."""

    value: str
    label: str | None = None
    active: bool = True
    default: bool = False


@dataclass
class FieldDef:
    """One field of an sObject, with the describe attributes sfemu honours."""

    name: str
    type: str
    label: str = ""
    length: int = 0
    precision: int = 0
    scale: int = 0
    digits: int = 0
    nillable: bool = True
    createable: bool = True
    updateable: bool = True
    custom: bool = False
    external_id: bool = False
    unique: bool = False
    case_sensitive: bool = False
    defaulted_on_create: bool = False
    default_value: Any = None
    reference_to: list[str] = field(default_factory=list)
    relationship_name: str | None = None
    picklist_values: list[PicklistValue] = field(default_factory=list)
    restricted_picklist: bool = False
    filterable: bool = True
    sortable: bool = True
    id_lookup: bool = False
    name_field: bool = False
    calculated: bool = False
    html_formatted: bool = False
    compound_field_name: str | None = None
    soap_type: str = ""

    def __post_init__(self) -> None:
        """Check the type and fill the label when it was left out."""
        if self.type not in FIELD_TYPES:
            raise ValueError(f"unknown field type {self.type!r} for {self.name}")
        if not self.label:
            self.label = self.name

    @property
    def key(self) -> str:
        """Return the case-insensitive lookup key."""
        return self.name.lower()


@dataclass
class ObjectDef:
    """One sObject type: its key prefix, labels and fields."""

    name: str
    key_prefix: str
    label: str
    label_plural: str
    fields: dict[str, FieldDef] = field(default_factory=dict)
    custom: bool = False
    createable: bool = True
    updateable: bool = True
    deletable: bool = True
    queryable: bool = True
    replicateable: bool = True
    undeletable: bool = True

    def add(self, f: FieldDef) -> FieldDef:
        """Add a field (replacing one of the same name) and return it."""
        self.fields[f.key] = f
        return f

    def field(self, name: str) -> FieldDef | None:
        """Return the field named ``name`` in any letter case, or None."""
        return self.fields.get(name.lower())

    def relationship(self, name: str) -> FieldDef | None:
        """Return the reference field whose relationship name is ``name`` (any case), or None."""
        wanted = name.lower()
        for f in self.fields.values():
            if f.relationship_name and f.relationship_name.lower() == wanted:
                return f
        return None
