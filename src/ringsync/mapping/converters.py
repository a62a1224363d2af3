"""Bind value conversion to one object's describe, so the sync engine converts by mapping row."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ringsync.mapping.catalog import PROPERTIES, FieldMapping, PropertyDef
from ringsync.mapping.convert import Conversion, Failed, from_salesforce, to_salesforce
from ringsync.mapping.fieldinfo import FieldInfo, field_index

RowConverter = Callable[[FieldMapping, object], Conversion]
"""Convert one value for one mapping row (a row's field, policy and property type)."""


def _lookup(
    fields: Mapping[str, FieldInfo],
    properties: Mapping[str, PropertyDef],
    row: FieldMapping,
) -> tuple[FieldInfo, PropertyDef] | Failed:
    """Find the row's field in the describe and its property, or say which is missing."""
    info = fields.get(row.salesforce_field.lower())
    if info is None:
        return Failed(f"{row.salesforce_field}: the field is not in the object's describe")
    prop = properties.get(row.ringsync_property)
    if prop is None:
        return Failed(f"{row.salesforce_field}: unknown ringsync property")
    return info, prop


def outbound_converter(
    describe: Mapping[str, Any] | Iterable[Mapping[str, Any]],
    properties: Mapping[str, PropertyDef] = PROPERTIES,
) -> RowConverter:
    """Return ``convert(row, value)`` writing ringsync values as the describe's wire values."""
    fields = field_index(describe)

    def convert(row: FieldMapping, value: object) -> Conversion:
        """Convert ``value`` for ``row`` under the row's refusal policy."""
        found = _lookup(fields, properties, row)
        if isinstance(found, Failed):
            return found
        info, prop = found
        return to_salesforce(value, info, row.too_long, prop.value_type)

    return convert


def inbound_converter(
    describe: Mapping[str, Any] | Iterable[Mapping[str, Any]],
    properties: Mapping[str, PropertyDef] = PROPERTIES,
) -> RowConverter:
    """Return ``convert(row, raw)`` reading Salesforce values as the row's property type."""
    fields = field_index(describe)

    def convert(row: FieldMapping, raw: object) -> Conversion:
        """Convert ``raw`` from ``row``'s field into the property's value type."""
        found = _lookup(fields, properties, row)
        if isinstance(found, Failed):
            return found
        info, prop = found
        return from_salesforce(raw, info, prop.value_type)

    return convert


__all__ = ["RowConverter", "inbound_converter", "outbound_converter"]
