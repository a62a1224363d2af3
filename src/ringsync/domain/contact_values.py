"""Check and clean contact property values before they are stored (every problem at once).

Properties are the names in the shared field table. ``phone`` is the identity: it must be a
valid number and is stored as E.164 with its extension apart. ``mobile_phone``, ``fax`` and
``incoming_number`` are stored as E.164 when they parse, and as trimmed text otherwise (data
pulled from Salesforce often holds "N/A" there; refusing the whole record for it helps nobody).
``owner`` holds one of the account's user ids. Custom properties live beside the standard ones
under their own names.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from ringsync.domain.phones import PhoneIdentity, mask, mask_raw, normalize, try_normalize
from ringsync.domain.tracking import TRACKING_FIELDS
from ringsync.errors import Problem, ValidationError
from ringsync.store.tables import Contact, table_of


class Origin(StrEnum):
    """Which side wrote a value; Salesforce-origin changes are never echoed back."""

    RINGSYNC = "ringsync"
    SALESFORCE = "salesforce"


class CustomType(StrEnum):
    """Value types an admin can give a custom property."""

    TEXT = "text"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"


TEXT_PROPERTIES: tuple[str, ...] = (
    "first_name",
    "last_name",
    "company",
    "lead_source",
    "city",
    "state",
    "country",
    "zipcode",
    "website",
    "email",
    "custom_field_1",
    "custom_field_2",
)
SECONDARY_PHONES: tuple[str, ...] = ("mobile_phone", "fax", "incoming_number")
BOOL_PROPERTIES: tuple[str, ...] = ("dnc", "tcpa_approved")
REFERENCE_PROPERTIES: dict[str, str] = {
    "owner": "owner_user_id",
    "disposition_id": "disposition_id",
}
STANDARD_PROPERTIES: tuple[str, ...] = (
    "phone",
    "extension",
    *TEXT_PROPERTIES,
    *SECONDARY_PHONES,
    *BOOL_PROPERTIES,
    *REFERENCE_PROPERTIES,
)
PHONE_PROPERTIES = frozenset({"phone", *SECONDARY_PHONES})
READ_ONLY = frozenset({"contact_id", "contact_link", *TRACKING_FIELDS})
MAX_CUSTOM_TEXT = 1000
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TRUE = frozenset({"true", "1", "yes", "y", "on"})
_FALSE = frozenset({"false", "0", "no", "n", "off", ""})
_CONTACTS = table_of(Contact)


def column_of(prop: str) -> str:
    """Return the contacts column holding a standard property."""
    return REFERENCE_PROPERTIES.get(prop, prop)


def _column_length(prop: str) -> int:
    length = getattr(_CONTACTS.c[column_of(prop)].type, "length", None)
    return int(length) if length else 255


_LIMITS: dict[str, int] = {p: _column_length(p) for p in (*TEXT_PROPERTIES, *SECONDARY_PHONES)}


@dataclass(frozen=True)
class Known:
    """What a value may refer to in this account (loaded once per call or batch)."""

    region: str
    user_ids: Collection[int] | None = None
    disposition_ids: Collection[int] | None = None
    custom_types: Mapping[str, str] | None = None


def masked_previous(prop: str, value: Any) -> str | None:
    """Render a value for the provenance's "previous" slot; phone numbers are masked."""
    if value is None:
        return None
    if prop in PHONE_PROPERTIES:
        text = str(value)
        return mask(text) if text.startswith("+") else mask_raw(text)
    return str(value)[:255]


def _text(prop: str, value: Any, problems: list[Problem]) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    limit = _LIMITS[prop]
    if len(text) > limit:
        problems.append(Problem(prop, f"{prop} is longer than {limit} characters", "too_long"))
    elif prop == "email" and not _EMAIL.match(text):
        problems.append(Problem(prop, "email must look like name@example.com", "bad_email"))
    return text


def _boolean(prop: str, value: Any, problems: list[Problem]) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text not in _FALSE:
        problems.append(Problem(prop, f"{prop} must be true or false", "bad_boolean"))
    return False


def _reference(prop: str, value: Any, allowed: Collection[int] | None, out: list[Problem]) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        out.append(Problem(prop, f"{prop} must be an id", "bad_reference"))
        return None
    number = int(value)
    if allowed is not None and number not in allowed:
        noun = "user" if prop == "owner" else "disposition"
        out.append(Problem(prop, f"no {noun} {number} in this account", "unknown_reference"))
    return number


def _secondary_phone(prop: str, value: Any, region: str, problems: list[Problem]) -> str | None:
    text = _text(prop, value, problems)
    if text is None:
        return None
    identity = try_normalize(text, region)
    return identity.e164 if identity is not None else text


def _custom(name: str, kind: str, value: Any, problems: list[Problem]) -> Any:
    if value is None or value == "":
        return None
    if kind == CustomType.BOOLEAN:
        return _boolean(name, value, problems)
    if kind == CustomType.NUMBER:
        if isinstance(value, bool):
            problems.append(Problem(name, f"{name} must be a number", "bad_number"))
            return None
        try:
            number = float(value)
        except (TypeError, ValueError):
            problems.append(Problem(name, f"{name} must be a number", "bad_number"))
            return None
        return int(number) if number.is_integer() else number
    if kind == CustomType.DATE:
        try:
            return (
                value if isinstance(value, date) else date.fromisoformat(str(value))
            ).isoformat()
        except ValueError:
            problems.append(Problem(name, f"{name} must be a date (YYYY-MM-DD)", "bad_date"))
            return None
    text = str(value).strip()
    if len(text) > MAX_CUSTOM_TEXT:
        problems.append(
            Problem(name, f"{name} is longer than {MAX_CUSTOM_TEXT} characters", "too_long")
        )
    return text or None


def _phone(value: Any, region: str, problems: list[Problem]) -> PhoneIdentity | None:
    try:
        return normalize(value, region)
    except ValidationError as exc:
        problems.extend(exc.problems)
        return None


def clean_values(values: Mapping[str, Any], known: Known) -> tuple[dict[str, Any], list[Problem]]:
    """Return the cleaned values by property name (custom ones included) and every problem."""
    clean: dict[str, Any] = {}
    problems: list[Problem] = []
    custom_types = known.custom_types or {}
    for prop, value in values.items():
        if prop == "phone":
            identity = _phone(value, known.region, problems)
            if identity is not None:
                clean["phone"] = identity.e164
                clean.setdefault("extension", identity.extension)
        elif prop == "extension":
            text = "" if value is None else str(value).strip()
            if text and (not text.isdigit() or len(text) > 10):
                problems.append(Problem(prop, "extension must be 1 to 10 digits", "bad_extension"))
            clean["extension"] = text
        elif prop in TEXT_PROPERTIES:
            clean[prop] = _text(prop, value, problems)
        elif prop in SECONDARY_PHONES:
            clean[prop] = _secondary_phone(prop, value, known.region, problems)
        elif prop in BOOL_PROPERTIES:
            clean[prop] = _boolean(prop, value, problems)
        elif prop in REFERENCE_PROPERTIES:
            allowed = known.user_ids if prop == "owner" else known.disposition_ids
            clean[prop] = _reference(prop, value, allowed, problems)
        elif prop in custom_types:
            clean[prop] = _custom(prop, custom_types[prop], value, problems)
        elif prop in READ_ONLY:
            problems.append(
                Problem(prop, f"{prop} is read-only (computed by ringsync)", "read_only")
            )
        else:
            problems.append(Problem(prop, f"unknown contact property {prop!r}", "unknown"))
    return clean, problems
