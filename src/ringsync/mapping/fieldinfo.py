"""A typed view of one Salesforce describe field, so conversion and rules read attributes safely."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# Describe types that hold free text and carry a ``length``.
TEXT_TYPES = frozenset(
    {"string", "textarea", "phone", "email", "url", "combobox", "encryptedstring"}
)
NUMBER_TYPES = frozenset({"int", "double", "currency", "percent"})
PICKLIST_TYPES = frozenset({"picklist", "multipicklist"})


@dataclass(frozen=True)
class FieldInfo:
    """The describe attributes ringsync's conversion and rules depend on."""

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
    calculated: bool = False
    restricted_picklist: bool = False
    picklist_values: tuple[str, ...] = ()

    @classmethod
    def from_describe(cls, data: Mapping[str, Any]) -> FieldInfo:
        """Build from one entry of a describe ``fields`` list (missing keys take defaults)."""
        values = data.get("picklistValues") or ()
        active = tuple(
            str(v["value"]) for v in values if isinstance(v, Mapping) and v.get("active", True)
        )
        return cls(
            name=str(data["name"]),
            type=str(data.get("type", "string")).lower(),
            label=str(data.get("label") or data["name"]),
            length=int(data.get("length") or 0),
            precision=int(data.get("precision") or 0),
            scale=int(data.get("scale") or 0),
            digits=int(data.get("digits") or 0),
            nillable=bool(data.get("nillable", True)),
            createable=bool(data.get("createable", True)),
            updateable=bool(data.get("updateable", True)),
            calculated=bool(data.get("calculated", False)),
            restricted_picklist=bool(data.get("restrictedPicklist", False)),
            picklist_values=active,
        )

    @property
    def writable(self) -> bool:
        """Tell whether ringsync can ever write this field (on create or on update)."""
        return (self.createable or self.updateable) and not self.calculated

    @property
    def type_text(self) -> str:
        """Return the type as Salesforce Setup words it, e.g. ``Text(40)`` or ``Number(18, 0)``."""
        numbers = {"double": "Number", "currency": "Currency", "percent": "Percent"}
        if self.type in numbers:
            return f"{numbers[self.type]}({self.precision}, {self.scale})"
        if self.type == "textarea":
            return f"{'Long Text Area' if self.length > 255 else 'Text Area'}({self.length})"
        sized = {"string": "Text", "url": "URL", "encryptedstring": "Text (Encrypted)"}
        if self.type in sized:
            return f"{sized[self.type]}({self.length})"
        return _TYPE_TEXT.get(self.type, self.type)


_TYPE_TEXT = {
    "boolean": "Checkbox",
    "int": "Number",
    "phone": "Phone",
    "email": "Email",
    "date": "Date",
    "datetime": "Date/Time",
    "time": "Time",
    "picklist": "Picklist",
    "multipicklist": "Picklist (Multi-Select)",
    "combobox": "Picklist",
    "reference": "Lookup",
    "id": "Lookup",
    "address": "Address",
}


def field_index(describe: Mapping[str, Any] | Iterable[Mapping[str, Any]]) -> dict[str, FieldInfo]:
    """Index a describe (the whole sObject describe or its ``fields`` list) by lower-case name.

    Salesforce API names are case-insensitive, so every lookup goes through the lower-case key.
    """
    fields: Iterable[Any] = (
        (describe.get("fields") or ()) if isinstance(describe, Mapping) else describe
    )
    infos = (
        item if isinstance(item, FieldInfo) else FieldInfo.from_describe(item) for item in fields
    )
    return {info.name.lower(): info for info in infos}


__all__ = ["NUMBER_TYPES", "PICKLIST_TYPES", "TEXT_TYPES", "FieldInfo", "field_index"]
