"""Canonical values and fingerprints, so that equal meaning compares equal on both sides.

The rules, applied per property before any comparison:

* text is trimmed, and an empty string is blank (the same as ``None``);
* phone properties compare by E.164 through a normalizer the caller passes in (ringsync's
  ``domain.phones``); a value the normalizer cannot read is compared as trimmed text;
* numbers compare by value: ``3 == 3.0 == Decimal("3.00")``; booleans stay booleans;
* date-times compare as the same instant at one-second precision in UTC; a naive date-time is
  refused, since it names no instant;
* times of day with an offset compare in UTC at one-second precision; dates compare as dates.

A fingerprint is the BLAKE2b-128 hex digest of the sorted-key canonical JSON of the non-blank
canonical values. Storing the fingerprint of what we last wrote lets the engine drop its own echo
without comparing field by field.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal

from ringsync.domain.phones import try_normalize
from ringsync.mapping.catalog import PROPERTIES, ValueType

PhoneNormalizer = Callable[[str], str | None]
"""Turn a raw phone number into E.164, or None when it is not a phone number."""

Canonical = None | bool | int | float | str | date | time | datetime
"""The shape of a value after :meth:`ValueNormalizer.canonical`."""

_ANCHOR_DAY = date(2000, 1, 3)


def _default_phone_properties() -> frozenset[str]:
    """Return the catalog's phone-typed properties."""
    return frozenset(name for name, d in PROPERTIES.items() if d.value_type is ValueType.PHONE)


@dataclass(frozen=True)
class ValueNormalizer:
    """Bring property values to one canonical form for comparisons and fingerprints."""

    phone: PhoneNormalizer | None = None
    phone_properties: frozenset[str] = field(default_factory=_default_phone_properties)

    def canonical(self, prop: str, value: object) -> Canonical:
        """Return the canonical form of ``value`` for property ``prop``."""
        if value is None:
            return None
        if isinstance(value, str):
            return self._text(prop, value)
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return value
        if isinstance(value, float | Decimal):
            return _number(value)
        if isinstance(value, datetime):
            return _instant(prop, value)
        if isinstance(value, date):
            return value
        if isinstance(value, time):
            return _time_of_day(value)
        return self._text(prop, str(value))

    def equal(self, prop: str, left: object, right: object) -> bool:
        """Tell whether two values of ``prop`` mean the same thing."""
        return self.canonical(prop, left) == self.canonical(prop, right)

    def is_blank(self, prop: str, value: object) -> bool:
        """Tell whether ``value`` is blank (None or only whitespace)."""
        return self.canonical(prop, value) is None

    def _text(self, prop: str, value: str) -> str | None:
        text = value.strip()
        if not text:
            return None
        if self.phone is not None and prop in self.phone_properties:
            e164 = self.phone(text)
            if e164:
                return e164
        return text


def _number(value: float | Decimal) -> int | float:
    """Return an integral number as int, any other as float."""
    if isinstance(value, float) and not value.is_integer():
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            return float(value)
        if value != value.to_integral_value():
            return float(value)
    return int(value)


def _instant(prop: str, value: datetime) -> datetime:
    """Return the UTC instant at one-second precision; refuse a naive value."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{prop}: a date-time must carry a time zone")
    return value.astimezone(UTC).replace(microsecond=0)


def _time_of_day(value: time) -> time:
    """Return the time of day at one-second precision, moved to UTC when it has an offset."""
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(microsecond=0)
    moment = datetime.combine(_ANCHOR_DAY, value)
    return moment.astimezone(UTC).timetz().replace(microsecond=0)


def _json_ready(value: Canonical) -> object:
    """Return a JSON value that keeps types apart (a date never equals its ISO string)."""
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if isinstance(value, time):
        return {"time": value.isoformat()}
    return value


def e164_normalizer(region: str = "US") -> PhoneNormalizer:
    """Return a phone normalizer for ``region`` built on ringsync's phone identity."""

    def to_e164(raw: str) -> str | None:
        found = try_normalize(raw, region)
        return found.e164 if found is not None else None

    return to_e164


def default_normalizer(region: str = "US") -> ValueNormalizer:
    """Return the normalizer for an account whose phones default to ``region``."""
    return ValueNormalizer(phone=e164_normalizer(region))


def canonical_values(
    values: Mapping[str, object], normalizer: ValueNormalizer
) -> dict[str, object]:
    """Return the non-blank canonical values, ready for JSON (see :func:`digest`)."""
    ready: dict[str, object] = {}
    for prop, value in values.items():
        canonical = normalizer.canonical(prop, value)
        if canonical is not None:
            ready[prop] = _json_ready(canonical)
    return ready


def canonical_json(values: Mapping[str, object], normalizer: ValueNormalizer) -> str:
    """Return the sorted-key canonical JSON of the non-blank canonical values."""
    return _dumps(canonical_values(values, normalizer))


def _dumps(ready: Mapping[str, object]) -> str:
    return json.dumps(ready, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(ready: Mapping[str, object]) -> str:
    """Return the fingerprint of values already made canonical by :func:`canonical_values`.

    Lets a caller that needs the fingerprints of a record and of the record plus a few extra
    keys canonicalize (and parse its phone numbers) once.
    """
    return hashlib.blake2b(_dumps(ready).encode("utf-8"), digest_size=16).hexdigest()


def fingerprint(values: Mapping[str, object], normalizer: ValueNormalizer) -> str:
    """Return the BLAKE2b-128 hex digest that identifies ``values`` up to normalization."""
    return digest(canonical_values(values, normalizer))


__all__ = [
    "Canonical",
    "PhoneNormalizer",
    "ValueNormalizer",
    "canonical_json",
    "canonical_values",
    "default_normalizer",
    "digest",
    "e164_normalizer",
    "fingerprint",
]
