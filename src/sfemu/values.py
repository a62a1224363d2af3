"""Coerce API input values to sfemu's stored wire format, per Salesforce field type.

Wire formats: text as ``str``; checkboxes ``bool``; numbers ``int``/``float``; dates
``YYYY-MM-DD``; times ``HH:MM:SS.sssZ``; datetimes ``YYYY-MM-DDTHH:MM:SS.000+0000`` in UTC,
truncated to whole seconds. ``None`` (or an empty string) means null.

Input is lenient in the ways Salesforce is: numbers and booleans may arrive as strings (Bulk CSV
sends nothing else), datetimes with ``Z``, ``±HH:MM`` or ``±HHMM`` and optional milliseconds.
A value of the wrong JSON shape fails with JSON_PARSER_ERROR, worded like Salesforce's parser.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sfemu.errors import SalesforceError
from sfemu.schema import FieldDef

_DATETIME_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?"
    r"(Z|[+-]\d{2}:?\d{2})?"
)
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME_RE = re.compile(r"(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?")
_EMAIL_RE = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+"
)
_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0"})

Coercer = Callable[[FieldDef, Any], Any]


def format_datetime(value: datetime) -> str:
    """Return an aware datetime as the UTC wire string, truncated to whole seconds."""
    if value.tzinfo is None:
        raise ValueError("naive datetime")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def parse_wire_datetime(value: str) -> datetime:
    """Return the aware UTC datetime of a stored wire string."""
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.000+0000").replace(tzinfo=UTC)


def _token(value: Any) -> str:
    """Return the JSON token name Salesforce's parser reports for a value."""
    if isinstance(value, bool):
        return "VALUE_TRUE" if value else "VALUE_FALSE"
    if isinstance(value, int):
        return "VALUE_NUMBER_INT"
    if isinstance(value, float):
        return "VALUE_NUMBER_FLOAT"
    if isinstance(value, dict):
        return "START_OBJECT"
    if isinstance(value, list):
        return "START_ARRAY"
    return "VALUE_STRING"


def json_type_error(type_name: str, value: Any) -> SalesforceError:
    """Return JSON_PARSER_ERROR for a value the field's type cannot take."""
    shown = "" if isinstance(value, dict | list) else f" value {value}"
    return SalesforceError(
        "JSON_PARSER_ERROR",
        f"Cannot deserialize instance of {type_name} from {_token(value)}{shown} "
        "or request may be missing a required field",
    )


def string_too_long(f: FieldDef, value: str) -> SalesforceError:
    """Return STRING_TOO_LONG worded as Salesforce words it."""
    return SalesforceError(
        "STRING_TOO_LONG",
        f"{f.label}: data value too large: {value} (max length={f.length})",
        fields=[f.name],
    )


def _text(f: FieldDef, value: Any) -> str | None:
    """Coerce any scalar to text and enforce the length."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int | float):
        text = str(value)
    else:
        raise json_type_error("string", value)
    if text == "":
        return None
    if f.length and len(text) > f.length:
        raise string_too_long(f, text)
    return text


def _email(f: FieldDef, value: Any) -> str | None:
    """Coerce an email address and check its syntax."""
    text = _text(f, value)
    if text is not None and not _EMAIL_RE.fullmatch(text):
        raise SalesforceError(
            "INVALID_EMAIL_ADDRESS", f"{f.label}: invalid email address: {text}", fields=[f.name]
        )
    return text


def _picklist_value(f: FieldDef, item: str) -> str:
    """Return the canonical picklist value, rejecting unknown values of restricted picklists."""
    wanted = item.lower()
    for entry in f.picklist_values:
        if entry.value.lower() == wanted:
            return entry.value
    if f.restricted_picklist:
        raise SalesforceError(
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            f"{f.label}: bad value for restricted picklist field: {item}",
            fields=[f.name],
        )
    return item


def _picklist(f: FieldDef, value: Any) -> str | None:
    """Coerce a picklist value."""
    text = _text(f, value)
    return None if text is None else _picklist_value(f, text)


def _multipicklist(f: FieldDef, value: Any) -> str | None:
    """Coerce a semicolon-separated multi-select picklist value."""
    text = _text(f, value)
    if text is None:
        return None
    return ";".join(_picklist_value(f, part) for part in text.split(";") if part)


def _boolean(_f: FieldDef, value: Any) -> bool:
    """Coerce a checkbox; null becomes false, as checkboxes are never null."""
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE or lowered == "":
            return False
    raise json_type_error("boolean", value)


def _number_text(type_name: str, value: Any) -> float:
    """Return a JSON number or numeric string as a float."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise json_type_error(type_name, value)
    try:
        number = float(value)
    except ValueError:
        raise json_type_error(type_name, value) from None
    if math.isnan(number) or math.isinf(number):
        raise json_type_error(type_name, value)
    return number


def _out_of_range(f: FieldDef, value: Any) -> SalesforceError:
    """Return NUMBER_OUTSIDE_VALID_RANGE for a number too large for its field."""
    return SalesforceError(
        "NUMBER_OUTSIDE_VALID_RANGE",
        f"{f.label}: value outside of valid range on numeric field: {value}",
        fields=[f.name],
    )


def _int(f: FieldDef, value: Any) -> int | None:
    """Coerce a whole number and check its digits."""
    if value is None or value == "":
        return None
    number = _number_text("int", value)
    if number != int(number):
        raise json_type_error("int", value)
    result = int(number)
    if f.digits and abs(result) >= 10**f.digits:
        raise _out_of_range(f, value)
    return result


def _double(f: FieldDef, value: Any) -> float | None:
    """Coerce a number, round it to the field's scale and check its integer digits."""
    if value is None or value == "":
        return None
    number = _number_text("double", value)
    if f.precision and abs(number) >= 10 ** (f.precision - f.scale):
        raise _out_of_range(f, value)
    return float(round(number, f.scale))


def _offset(text: str | None) -> timedelta:
    """Return the UTC offset of ``Z``, ``±HH:MM`` or ``±HHMM`` (none means UTC)."""
    if not text or text == "Z":
        return timedelta(0)
    digits = text[1:].replace(":", "")
    delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return -delta if text[0] == "-" else delta


def parse_datetime(value: Any) -> datetime:
    """Return an aware UTC datetime from an API value, or raise JSON_PARSER_ERROR."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise json_type_error("datetime", value)
        return value.astimezone(UTC)
    if not isinstance(value, str):
        raise json_type_error("datetime", value)
    m = _DATETIME_RE.fullmatch(value.strip())
    if m is None:
        raise json_type_error("datetime", value)
    year, month, day, hour, minute, second = (int(g or 0) for g in m.groups()[:6])
    try:
        naive = datetime(year, month, day, hour, minute, second)  # noqa: DTZ001 - offset applied below
    except ValueError:
        raise json_type_error("datetime", value) from None
    return (naive - _offset(m.group(8))).replace(tzinfo=UTC)


def _datetime(_f: FieldDef, value: Any) -> str | None:
    """Coerce a datetime to the UTC wire string."""
    if value is None or value == "":
        return None
    return format_datetime(parse_datetime(value))


def _date(_f: FieldDef, value: Any) -> str | None:
    """Coerce a date to ``YYYY-MM-DD``."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        raise json_type_error("date", value)
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str) or not _DATE_RE.fullmatch(value):
        raise json_type_error("date", value)
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise json_type_error("date", value) from None


def _time(_f: FieldDef, value: Any) -> str | None:
    """Coerce a time of day to ``HH:MM:SS.sssZ`` in UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, time):
        value = value.isoformat()
    if not isinstance(value, str):
        raise json_type_error("time", value)
    m = _TIME_RE.fullmatch(value.strip())
    if m is None:
        raise json_type_error("time", value)
    hour, minute, second = (int(g or 0) for g in m.groups()[:3])
    millis = int((m.group(4) or "0").ljust(3, "0")[:3])
    if hour > 23 or minute > 59 or second > 59:
        raise json_type_error("time", value)
    total = (hour * 3600 + minute * 60 + second) - int(_offset(m.group(5)).total_seconds())
    total %= 86400
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}.{millis:03d}Z"


def _reference(_f: FieldDef, value: Any) -> str | None:
    """Coerce an id string; the org checks its form, target type and existence."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise json_type_error("id", value)
    return value


def _read_only(f: FieldDef, _value: Any) -> Any:
    """Refuse compound fields, which are never written directly."""
    raise SalesforceError(
        "INVALID_FIELD_FOR_INSERT_UPDATE",
        f"Unable to create/update fields: {f.name}. Please check the security settings of this "
        "field and verify that it is read/write for your profile or permission set.",
        fields=[f.name],
    )


COERCERS: dict[str, Coercer] = {
    "id": _reference,
    "reference": _reference,
    "string": _text,
    "textarea": _text,
    "phone": _text,
    "url": _text,
    "combobox": _text,
    "email": _email,
    "picklist": _picklist,
    "multipicklist": _multipicklist,
    "boolean": _boolean,
    "int": _int,
    "double": _double,
    "currency": _double,
    "percent": _double,
    "date": _date,
    "datetime": _datetime,
    "time": _time,
    "address": _read_only,
}


def coerce(f: FieldDef, value: Any) -> Any:
    """Return ``value`` in wire format for field ``f`` or raise the Salesforce error."""
    if value is None and f.type != "boolean":
        return None
    return COERCERS[f.type](f, value)
