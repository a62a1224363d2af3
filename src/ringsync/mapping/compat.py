"""Which Salesforce field types can carry each ringsync value type, per direction.

Outbound lists what ringsync can write into a field; inbound lists what it can read back as the
property's type. A ``both`` mapping needs the field type in both lists. Text fields take almost
anything outbound (the seed's own advice is to keep call times in Text(40) fields).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ringsync.mapping.catalog import Direction, ValueType

_TEXTY = frozenset({"string", "textarea", "encryptedstring", "combobox"})

OUTBOUND_TYPES: Mapping[ValueType, frozenset[str]] = MappingProxyType(
    {
        ValueType.TEXT: _TEXTY | {"phone", "email", "url", "picklist", "multipicklist"},
        ValueType.PHONE: _TEXTY | {"phone"},
        ValueType.EMAIL: _TEXTY | {"email"},
        ValueType.URL: _TEXTY | {"url"},
        ValueType.BOOL: _TEXTY | {"boolean"},
        ValueType.INT: _TEXTY | {"int", "double", "currency", "percent"},
        ValueType.DATE: _TEXTY | {"date"},
        ValueType.TIME: _TEXTY | {"time"},
        ValueType.DATETIME: _TEXTY | {"datetime", "date"},
        ValueType.PICKLIST: _TEXTY | {"picklist", "multipicklist"},
        ValueType.REFERENCE: frozenset({"reference"}),
    }
)

INBOUND_TYPES: Mapping[ValueType, frozenset[str]] = MappingProxyType(
    {
        ValueType.TEXT: _TEXTY | {"phone", "email", "url", "picklist", "multipicklist"},
        ValueType.PHONE: _TEXTY | {"phone"},
        ValueType.EMAIL: _TEXTY | {"email"},
        ValueType.URL: _TEXTY | {"url"},
        ValueType.BOOL: _TEXTY | {"boolean"},
        ValueType.INT: _TEXTY | {"int", "double", "currency", "percent"},
        ValueType.DATE: _TEXTY | {"date"},
        ValueType.TIME: _TEXTY | {"time"},
        ValueType.DATETIME: _TEXTY | {"datetime"},
        ValueType.PICKLIST: _TEXTY | {"picklist"},
        ValueType.REFERENCE: frozenset({"reference"}),
    }
)


def compatible(value_type: ValueType, salesforce_type: str, direction: Direction) -> bool:
    """Tell whether a property of ``value_type`` can sync with a field of ``salesforce_type``."""
    sf_type = salesforce_type.lower()
    if direction.outbound and sf_type not in OUTBOUND_TYPES[value_type]:
        return False
    return not (direction.inbound and sf_type not in INBOUND_TYPES[value_type])


__all__ = ["INBOUND_TYPES", "OUTBOUND_TYPES", "compatible"]
