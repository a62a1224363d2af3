"""Render stored records the way REST GET returns them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sfemu.errors import SalesforceError
from sfemu.schema import FieldDef, ObjectDef

# Keys of a compound address, in the order Salesforce returns them, and their part suffixes.
_ADDRESS_PARTS = (
    ("city", "City"),
    ("country", "Country"),
    ("geocodeAccuracy", "GeocodeAccuracy"),
    ("latitude", "Latitude"),
    ("longitude", "Longitude"),
    ("postalCode", "PostalCode"),
    ("state", "State"),
    ("street", "Street"),
)


def record_url(obj: ObjectDef, record_id: str, api_version: str) -> str:
    """Return the REST path of a record."""
    return f"/services/data/v{api_version}/sobjects/{obj.name}/{record_id}"


def address_value(f: FieldDef, record: Mapping[str, Any]) -> dict[str, Any] | None:
    """Return a compound address built from its parts, or None when every part is null."""
    prefix = f.name[: -len("Address")]
    value = {key: record.get(prefix + suffix) for key, suffix in _ADDRESS_PARTS}
    if all(v is None for v in value.values()):
        return None
    return value


def field_value(f: FieldDef, record: Mapping[str, Any]) -> Any:
    """Return the rendered value of one field (compound addresses are assembled)."""
    if f.type == "address":
        return address_value(f, record)
    return record.get(f.name)


def render_record(
    obj: ObjectDef, record: Mapping[str, Any], api_version: str, fields: list[str] | None
) -> dict[str, Any]:
    """Return ``{"attributes": ..., <field>: <value or null>, ...}`` in describe order."""
    out: dict[str, Any] = {
        "attributes": {"type": obj.name, "url": record_url(obj, record["Id"], api_version)}
    }
    if fields is None:
        chosen = list(obj.fields.values())
    else:
        chosen = []
        for name in fields:
            f = obj.field(name.strip())
            if f is None:
                raise SalesforceError(
                    "INVALID_FIELD",
                    f"No such column '{name.strip()}' on entity '{obj.name}'. If you are "
                    "attempting to use a custom field, be sure to append the '__c' after the "
                    "custom field name. Please reference your WSDL or the describe call for the "
                    "appropriate names.",
                )
            chosen.append(f)
    for f in chosen:
        out[f.name] = field_value(f, record)
    return out
