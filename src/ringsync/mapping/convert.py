"""Convert property values to Salesforce wire values and back, per describe field type.

Every conversion returns a typed result instead of raising: ``Converted(value)`` to use,
``Skipped(reason)`` to leave this one field out of the payload, ``Failed(reason)`` to fail the
whole record. The per-field policy decides between them when Salesforce would refuse a value:

* too long for a text field: ``truncate`` cuts it (and says so in ``note``), ``skip_field`` skips
  the field, ``fail_record`` fails the record;
* any other refusal (not in a restricted picklist, bad email, wrong type, number too large,
  blank in a required field): ``fail_record`` fails the record, the other two skip the field,
  since there is nothing safe to cut.

Lengths are counted in UTF-16 code units, as Salesforce counts them, so an emoji takes two.
Reasons name the field and never quote a phone number or email address. Times, dates and
date-times follow the rule in :mod:`ringsync.mapping.timezone`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from datetime import timezone as dt_timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from ringsync.mapping import timezone as tz
from ringsync.mapping.catalog import TooLongPolicy, ValueType
from ringsync.mapping.fieldinfo import NUMBER_TYPES, FieldInfo


@dataclass(frozen=True)
class Converted:
    """A value ready to use; ``note`` says what was changed on the way (e.g. truncated)."""

    value: Any
    note: str = ""


@dataclass(frozen=True)
class Skipped:
    """Leave this field out; the rest of the record goes on."""

    reason: str


@dataclass(frozen=True)
class Failed:
    """This record cannot be written (or read) as it is."""

    reason: str


Conversion = Converted | Skipped | Failed

_EMAIL_RE = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*"
    r"\.[A-Za-z]{2,}"
)
_ID_RE = re.compile(r"[A-Za-z0-9]{15}([A-Za-z0-9]{3})?")
_WHITESPACE_RE = re.compile(r"\s")
_STRING_TYPES = frozenset({"string", "textarea", "encryptedstring", "combobox"})


def _info(field: FieldInfo | Mapping[str, Any]) -> FieldInfo:
    """Accept a FieldInfo or a raw describe field dict."""
    return field if isinstance(field, FieldInfo) else FieldInfo.from_describe(field)


def utf16_length(text: str) -> int:
    """Return the length Salesforce sees: UTF-16 code units."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def truncate_utf16(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` UTF-16 code units without splitting a character."""
    used = 0
    for index, ch in enumerate(text):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > limit:
            return text[:index]
    return text


def _refuse(policy: TooLongPolicy, reason: str) -> Skipped | Failed:
    """Fail the record under ``fail_record``; otherwise skip the field."""
    return Failed(reason) if policy is TooLongPolicy.FAIL_RECORD else Skipped(reason)


def _fit(text: str, info: FieldInfo, policy: TooLongPolicy) -> Conversion:
    """Apply the length limit of a text field under ``policy``."""
    size = utf16_length(text)
    if not info.length or size <= info.length:
        return Converted(text)
    reason = f"{info.name}: {size} characters exceed the field's length of {info.length}"
    if policy is TooLongPolicy.TRUNCATE:
        return Converted(
            truncate_utf16(text, info.length), note=f"{reason}; truncated to {info.length}"
        )
    return _refuse(policy, reason)


def _as_text(value: Any) -> str | None:
    """Return the text form written to a text field, or None when the value has none."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal) and math.isfinite(value):
        return str(int(value)) if value == int(value) else str(value)
    if isinstance(value, datetime):
        return tz.datetime_to_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return tz.time_to_text(value)
    return None


def _kind(value: Any) -> str:
    """Name a value's Python type for a reason text (never the value itself)."""
    return type(value).__name__


def _to_text_field(value: Any, info: FieldInfo, policy: TooLongPolicy) -> Conversion:
    """Write any value with a text form into string/textarea/phone/url/email-like fields."""
    try:
        text = _as_text(value)
    except ValueError as exc:
        return _refuse(policy, f"{info.name}: {exc}")
    if text is None:
        return _refuse(policy, f"{info.name}: a {_kind(value)} cannot be written as text")
    if info.type == "email":
        text = text.strip()
        if not _EMAIL_RE.fullmatch(text):
            return _refuse(policy, f"{info.name}: not a valid email address")
    elif info.type == "url" and _WHITESPACE_RE.search(text.strip()):
        return _refuse(policy, f"{info.name}: a URL cannot contain spaces")
    elif info.type == "url":
        text = text.strip()
    return _fit(text, info, policy)


def _to_picklist(value: Any, info: FieldInfo, policy: TooLongPolicy) -> Conversion:
    """Check restricted picklists; join multi-select values with ``;`` as Salesforce expects."""
    if isinstance(value, str):
        items = value.split(";") if info.type == "multipicklist" else [value]
    elif info.type == "multipicklist" and isinstance(value, Sequence):
        items = [str(item) for item in value]
    else:
        return _refuse(policy, f"{info.name}: a {_kind(value)} is not a picklist value")
    if info.restricted_picklist:
        bad = [item for item in items if item not in info.picklist_values]
        if bad:
            shown = ", ".join(repr(item) for item in bad)
            return _refuse(policy, f"{info.name}: {shown} is not in the restricted picklist")
    return _fit(";".join(items), info, policy)


def _to_boolean(value: Any, info: FieldInfo, policy: TooLongPolicy) -> Conversion:
    """Write a checkbox: only real booleans (``1`` or ``"yes"`` are refused, not guessed)."""
    if isinstance(value, bool):
        return Converted(value)
    return _refuse(policy, f"{info.name}: a checkbox needs true or false, not a {_kind(value)}")


def _to_number(value: Any, info: FieldInfo, policy: TooLongPolicy) -> Conversion:
    """Round to the field's scale and check its integer digits (precision minus scale)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return _refuse(policy, f"{info.name}: a number field needs a number, not a {_kind(value)}")
    number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite():
        return _refuse(policy, f"{info.name}: not a finite number")
    scale = 0 if info.type == "int" else info.scale
    try:
        rounded = number.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return _refuse(policy, f"{info.name}: more digits than Salesforce can hold")
    max_digits = info.digits if info.type == "int" else info.precision - info.scale
    integer_digits = len(str(abs(int(rounded)))) if int(rounded) else 0
    if max_digits > 0 and integer_digits > max_digits:
        return _refuse(policy, f"{info.name}: more than {max_digits} digits before the point")
    note = "" if rounded == number else f"{info.name}: rounded to {scale} decimal places"
    return Converted(int(rounded) if scale == 0 else float(rounded), note=note)


def _to_temporal(value: Any, info: FieldInfo, policy: TooLongPolicy) -> Conversion:
    """Write Date, DateTime and Time fields under the time-zone rule."""
    try:
        if info.type == "date" and isinstance(value, date):
            return Converted(tz.local_date(value).isoformat())
        if info.type == "datetime" and isinstance(value, datetime):
            return Converted(tz.datetime_to_salesforce(value))
        if info.type == "time" and isinstance(value, datetime | time):
            return Converted(tz.time_to_salesforce(value))
    except ValueError as exc:
        return _refuse(policy, f"{info.name}: {exc}")
    return _refuse(policy, f"{info.name}: a {info.type} field cannot take a {_kind(value)}")


def _to_reference(value: Any, info: FieldInfo, policy: TooLongPolicy) -> Conversion:
    """Write a lookup: a 15- or 18-character Salesforce id."""
    if isinstance(value, str) and _ID_RE.fullmatch(value):
        return Converted(value)
    return _refuse(policy, f"{info.name}: not a Salesforce record id")


def _as_property(value: Any, value_type: ValueType | None) -> Any:
    """Narrow an event datetime to what a time or date property means.

    A time property holds the event's aware datetime; only its wall time and offset are written.
    A date property may hold it too; only its date at the original offset is written.
    """
    if not isinstance(value, datetime) or value_type is None:
        return value
    offset = value.utcoffset()
    if value_type is ValueType.TIME and offset is not None:
        return value.timetz().replace(tzinfo=dt_timezone(offset))
    if value_type is ValueType.DATE and offset is not None:
        return tz.local_date(value)
    return value


def to_salesforce(
    value: Any,
    field: FieldInfo | Mapping[str, Any],
    policy: TooLongPolicy = TooLongPolicy.TRUNCATE,
    value_type: ValueType | None = None,
) -> Conversion:
    """Convert one property value into the wire value for ``field`` under ``policy``.

    Pass the property's ``value_type`` so that a time property's datetime is written as a time
    (``08:33:16-07:00`` to text) rather than as a full date-time.
    """
    info = _info(field)
    value = _as_property(value, None if value_type is None else ValueType(value_type))
    if value is None:
        if info.type == "boolean":
            return Converted(False, note=f"{info.name}: blank written as false (checkbox)")
        if not info.nillable:
            return _refuse(policy, f"{info.name}: the field is required and cannot be blank")
        return Converted(None)
    if info.type in _STRING_TYPES or info.type in {"phone", "email", "url"}:
        return _to_text_field(value, info, policy)
    if info.type in {"picklist", "multipicklist"}:
        return _to_picklist(value, info, policy)
    if info.type == "boolean":
        return _to_boolean(value, info, policy)
    if info.type in NUMBER_TYPES:
        return _to_number(value, info, policy)
    if info.type in {"date", "datetime", "time"}:
        return _to_temporal(value, info, policy)
    if info.type == "reference":
        return _to_reference(value, info, policy)
    return Failed(f"{info.name}: ringsync cannot write {info.type} fields")


def from_salesforce(
    raw: Any, field: FieldInfo | Mapping[str, Any], value_type: ValueType
) -> Conversion:
    """Convert one Salesforce value of ``field`` into a property value of ``value_type``.

    A value that cannot be read as the property's type gives ``Failed`` naming the field.
    """
    info = _info(field)
    if raw is None:
        return Converted(None)
    try:
        value = _read(raw, ValueType(value_type))
    except (ValueError, TypeError) as exc:
        return Failed(f"{info.name}: {exc}")
    return Converted(value)


def _read(raw: Any, value_type: ValueType) -> Any:
    """Read ``raw`` as ``value_type``; raise ValueError/TypeError when it does not fit."""
    if value_type is ValueType.BOOL:
        return _read_bool(raw)
    if value_type is ValueType.INT:
        return _read_int(raw)
    if not isinstance(raw, str):
        if value_type in {ValueType.DATE, ValueType.DATETIME, ValueType.TIME}:
            raise TypeError(f"expected text for a {value_type}, got a {_kind(raw)}")
        text = _as_text(raw)
        if text is None:
            raise TypeError(f"cannot read a {_kind(raw)} as {value_type}")
        return text
    if value_type is ValueType.DATE:
        return tz.parse_date(raw)
    if value_type is ValueType.DATETIME:
        return tz.parse_datetime(raw)
    if value_type is ValueType.TIME:
        return tz.parse_time(raw)
    return raw


def _read_bool(raw: Any) -> bool:
    """Read a checkbox (or the words true/false from a text field)."""
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in {"true", "false"}:
        return raw.strip().lower() == "true"
    raise ValueError("expected true or false")


def _read_int(raw: Any) -> int:
    """Read a whole number; Salesforce sends Number(18, 0) values as ``3.0``."""
    if isinstance(raw, bool):
        raise TypeError("expected a number, got a bool")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, str):
        text = raw.strip()
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError("expected a whole number") from None
        if number.is_finite() and number == number.to_integral_value():
            return int(number)
    raise ValueError("expected a whole number")


__all__ = [
    "Conversion",
    "Converted",
    "Failed",
    "Skipped",
    "from_salesforce",
    "to_salesforce",
    "truncate_utf16",
    "utf16_length",
]
