"""Store property values in JSON columns without losing their type (a date stays a date).

A link's base is compared with fresh Salesforce values after a round trip through the database,
so a ``date`` must come back as a ``date``, not as its ISO string. Plain JSON values pass
through; dates, times, date-times and decimals are tagged with a one-key object.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from decimal import Decimal

_DATETIME = "$datetime"
_DATE = "$date"
_TIME = "$time"
_DECIMAL = "$decimal"
_PLAIN = frozenset({str, int, float, bool})


def encode_value(value: object) -> object:
    """Return a JSON-ready form of one property value."""
    if value is None or type(value) in _PLAIN:  # the common case, checked first
        return value
    if isinstance(value, datetime):
        return {_DATETIME: value.isoformat()}
    if isinstance(value, date):
        return {_DATE: value.isoformat()}
    if isinstance(value, time):
        return {_TIME: value.isoformat()}
    if isinstance(value, Decimal):
        return {_DECIMAL: str(value)}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def decode_value(raw: object) -> object:
    """Return the property value stored by :func:`encode_value`."""
    if isinstance(raw, dict) and len(raw) == 1:
        ((tag, text),) = raw.items()
        if isinstance(text, str):
            if tag == _DATETIME:
                return datetime.fromisoformat(text)
            if tag == _DATE:
                return date.fromisoformat(text)
            if tag == _TIME:
                return time.fromisoformat(text)
            if tag == _DECIMAL:
                return Decimal(text)
    return raw


def encode_values(values: Mapping[str, object]) -> dict[str, object]:
    """Encode every value of a property mapping."""
    return {name: encode_value(value) for name, value in values.items()}


def decode_values(raw: object) -> dict[str, object]:
    """Decode a stored property mapping (an empty one when the column holds anything else)."""
    if not isinstance(raw, Mapping):
        return {}
    return {str(name): decode_value(value) for name, value in raw.items()}


__all__ = ["decode_value", "decode_values", "encode_value", "encode_values"]
