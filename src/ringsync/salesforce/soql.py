"""Build SOQL safely: ONE family of quoting functions and a tiny allow-listed SELECT builder.

REST SOQL has no bind parameters, so client-side quoting is the only defence against SOQL
injection. Values go through ``quote_*``; field and object names cannot be quoted at all, so
``select`` accepts only names the org's describe lists (MappingError otherwise).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Literal

from ringsync.errors import MappingError

# Characters SOQL string literals must (or may) backslash-escape, per Salesforce's rules.
_STRING_ESCAPES = {
    "\\": "\\\\",
    "'": "\\'",
    '"': '\\"',
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}
_STRING_TABLE = str.maketrans(_STRING_ESCAPES)
_LIKE_TABLE = str.maketrans({**_STRING_ESCAPES, "%": "\\%", "_": "\\_"})
_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*")

LikeMode = Literal["exact", "prefix", "suffix", "contains"]
SoqlValue = str | bool | int | float | Decimal | datetime | date | None


def quote_string(text: str) -> str:
    """Return ``text`` as a SOQL string literal, quotes included."""
    return "'" + text.translate(_STRING_TABLE) + "'"


def quote_like(text: str, mode: LikeMode = "exact") -> str:
    """Return a LIKE pattern literal matching ``text`` literally (``%`` and ``_`` escaped).

    ``mode`` adds wildcards around the escaped text: prefix -> ``text%``, suffix ->
    ``%text``, contains -> ``%text%``.
    """
    body = text.translate(_LIKE_TABLE)
    if mode in ("suffix", "contains"):
        body = "%" + body
    if mode in ("prefix", "contains"):
        body = body + "%"
    return "'" + body + "'"


def quote_datetime(when: datetime) -> str:
    """Return an aware datetime as an unquoted SOQL dateTime literal in UTC (whole seconds).

    Salesforce stores one-second precision, so sub-second parts are dropped; with ``>=``
    cursors that widens the window by under a second, never narrows it.
    """
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError("SOQL datetimes must be timezone-aware")
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def quote_date(day: date) -> str:
    """Return a date as an unquoted SOQL date literal (``YYYY-MM-DD``)."""
    if isinstance(day, datetime):
        raise TypeError("quote_date takes a date; use quote_datetime for a datetime")
    return day.isoformat()


def quote_value(value: SoqlValue) -> str:
    """Return any supported Python value as a SOQL literal."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("SOQL has no literal for NaN or infinity")
        return repr(value)
    if isinstance(value, datetime):
        return quote_datetime(value)
    if isinstance(value, date):
        return quote_date(value)
    if isinstance(value, str):
        return quote_string(value)
    raise TypeError(f"cannot quote a {type(value).__name__} for SOQL")


def quote_list(values: Iterable[SoqlValue]) -> str:
    """Return values as a parenthesised SOQL list for IN / NOT IN."""
    items = [quote_value(v) for v in values]
    if not items:
        raise ValueError("an IN list needs at least one value")
    return "(" + ", ".join(items) + ")"


# --- the builder ---------------------------------------------------------------------------
Operator = Literal["=", "!=", "<", "<=", ">", ">=", "LIKE", "IN", "NOT IN"]


@dataclass(frozen=True)
class Cond:
    """One comparison: field, operator, value (LIKE matches the value literally)."""

    field: str
    op: Operator
    value: SoqlValue | Sequence[SoqlValue]


@dataclass(frozen=True)
class AllOf:
    """Conditions joined with AND."""

    parts: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    """Conditions joined with OR."""

    parts: tuple[Condition, ...]


Condition = Cond | AllOf | AnyOf


class AllowList:
    """Object and field names the org's describe lists, compared case-insensitively."""

    def __init__(self, objects: Mapping[str, Iterable[str]]) -> None:
        """Take object name -> its field names (and relationship names)."""
        self._objects = {
            name.lower(): {f.lower() for f in fields} for name, fields in objects.items()
        }

    def check_object(self, sobject: str) -> str:
        """Return ``sobject`` if allowed, else raise MappingError."""
        if not _IDENTIFIER.fullmatch(sobject) or sobject.lower() not in self._objects:
            raise MappingError(f"Object {sobject!r} is not in the org's describe", sobject=sobject)
        return sobject

    def check_field(self, sobject: str, name: str) -> str:
        """Return ``name`` if the describe of ``sobject`` lists it, else raise MappingError."""
        parts = name.split(".")
        known = self._objects.get(sobject.lower(), set())
        if not all(_IDENTIFIER.fullmatch(p) for p in parts) or parts[0].lower() not in known:
            raise MappingError(
                f"Field {name!r} is not in the describe of {sobject}", sobject=sobject, field=name
            )
        return name


def select(
    fields: Sequence[str],
    sobject: str,
    *,
    allowed: AllowList,
    where: Condition | None = None,
    order_by: Sequence[str] = (),
    limit: int | None = None,
) -> str:
    """Return a SELECT statement whose names are allow-listed and whose values are quoted.

    ``order_by`` items are field names optionally followed by ASC or DESC.
    """
    allowed.check_object(sobject)
    if not fields:
        raise ValueError("select needs at least one field")
    if list(fields) == ["COUNT()"]:
        columns = "COUNT()"
    else:
        columns = ", ".join(allowed.check_field(sobject, f) for f in fields)
    soql = f"SELECT {columns} FROM {sobject}"  # noqa: S608  # names allow-listed, values quoted
    if where is not None:
        soql += " WHERE " + _render(where, sobject, allowed)
    if order_by:
        soql += " ORDER BY " + ", ".join(_order_item(o, sobject, allowed) for o in order_by)
    if limit is not None:
        if limit < 0:
            raise ValueError("limit must not be negative")
        soql += f" LIMIT {int(limit)}"
    return soql


def _order_item(item: str, sobject: str, allowed: AllowList) -> str:
    """Return one ORDER BY item with its field checked."""
    name, _, direction = item.strip().partition(" ")
    direction = direction.strip().upper()
    if direction not in ("", "ASC", "DESC"):
        raise ValueError(f"bad ORDER BY direction {direction!r}")
    checked = allowed.check_field(sobject, name)
    return f"{checked} {direction}".strip()


def _render(cond: Condition, sobject: str, allowed: AllowList) -> str:
    """Return a condition tree as SOQL text."""
    if isinstance(cond, AllOf | AnyOf):
        if not cond.parts:
            raise ValueError("an AND/OR group needs at least one condition")
        joiner = " AND " if isinstance(cond, AllOf) else " OR "
        return "(" + joiner.join(_render(p, sobject, allowed) for p in cond.parts) + ")"
    name = allowed.check_field(sobject, cond.field)
    if cond.op in ("IN", "NOT IN"):
        if isinstance(cond.value, str) or not isinstance(cond.value, Sequence):
            raise TypeError("IN takes a sequence of values")
        return f"{name} {cond.op} {quote_list(cond.value)}"
    if cond.op == "LIKE":
        if not isinstance(cond.value, str):
            raise TypeError("LIKE takes a string")
        return f"{name} LIKE {quote_like(cond.value)}"
    if isinstance(cond.value, Sequence) and not isinstance(cond.value, str):
        raise TypeError(f"{cond.op} takes one value")
    return f"{name} {cond.op} {quote_value(cond.value)}"


__all__ = [
    "AllOf",
    "AllowList",
    "AnyOf",
    "Cond",
    "Condition",
    "quote_date",
    "quote_datetime",
    "quote_like",
    "quote_list",
    "quote_string",
    "quote_value",
    "select",
]
