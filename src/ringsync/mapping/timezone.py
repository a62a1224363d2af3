"""The time-zone rule for times, dates and date-times written to and read from Salesforce.

Every event ringsync records keeps the UTC offset it happened at (an aware ``datetime``). The rule:

* **Time -> Text field** (``Text(40)``, the seed's recommendation): the local wall time with its
  original offset, to the second: ``08:33:16-07:00``. Nothing is converted, so the value reads as
  the caller saw it.
* **Time -> Salesforce Time field**: the same instant's time of day in UTC, with milliseconds:
  ``08:33:16-07:00`` becomes ``15:33:16.000Z`` (Salesforce stores Time fields without a zone).
* **DateTime field**: the UTC instant, ``2026-03-01T15:33:16.000Z``. Salesforce shows it in each
  viewer's own zone, which is right for an instant.
* **Date field**: the calendar date of the event *at its own original offset*, i.e. the date the
  caller saw. A call at ``2026-03-01T23:30-07:00`` is dated 2026-03-01, although it is already
  2026-03-02 in UTC.
* **DateTime/Time -> Text field**: ISO 8601 local time with its original offset, to the second.

Reading back: Salesforce DateTime values (``...000+0000`` or ``...Z``) become aware UTC datetimes;
Time values become aware ``datetime.time`` in UTC; text times keep the offset they carry. A value
with no offset (naive) is refused rather than guessed: ringsync never assumes a zone.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone

_ANCHOR = date(2000, 1, 1)  # any fixed day: times are moved to UTC through a full datetime

_OFFSET = r"(?P<zone>Z|[+-]\d{2}:?\d{2})"
_TIME_RE = re.compile(
    r"(?P<h>\d{2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:\.(?P<frac>\d{1,6}))?)?" + _OFFSET
)
_DATETIME_RE = re.compile(r"(?P<d>\d{4}-\d{2}-\d{2})T(?P<t>.+)")


def _offset(value: datetime | time) -> timedelta:
    """Return the value's UTC offset; refuse naive values and offsets with seconds."""
    offset = value.utcoffset()
    if offset is None:
        raise ValueError("the value has no UTC offset; ringsync never guesses a time zone")
    if offset.seconds % 60 or offset.microseconds:
        raise ValueError("a UTC offset must be whole minutes")
    return offset


def format_offset(offset: timedelta) -> str:
    """Return ``-07:00`` style text for an offset of whole minutes."""
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}"


def time_to_text(value: datetime | time) -> str:
    """Return the local time with its original offset, e.g. ``08:33:16-07:00``."""
    offset = _offset(value)
    return f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}{format_offset(offset)}"


def _as_utc_datetime(value: datetime | time) -> datetime:
    """Return the instant of ``value`` in UTC (a bare time is placed on a fixed day)."""
    offset = _offset(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    local = datetime.combine(_ANCHOR, value.replace(tzinfo=None))
    return (local - offset).replace(tzinfo=UTC)


def _millis(value: datetime) -> str:
    """Return ``.mmm``: Salesforce keeps milliseconds, so finer digits are dropped."""
    return f".{value.microsecond // 1000:03d}"


def time_to_salesforce(value: datetime | time) -> str:
    """Return the time of day in UTC for a Salesforce Time field, e.g. ``15:33:16.000Z``."""
    utc = _as_utc_datetime(value)
    return f"{utc:%H:%M:%S}{_millis(utc)}Z"


def datetime_to_salesforce(value: datetime) -> str:
    """Return the UTC instant for a Salesforce DateTime field, e.g. ``2026-03-01T15:33:16.000Z``."""
    utc = _as_utc_datetime(value)
    return f"{utc.date().isoformat()}T{utc:%H:%M:%S}{_millis(utc)}Z"


def datetime_to_text(value: datetime) -> str:
    """Return ISO 8601 local time with the original offset, e.g. ``2026-03-01T08:33:16-07:00``."""
    offset = _offset(value)
    return f"{value.date().isoformat()}T{value:%H:%M:%S}{format_offset(offset)}"


def local_date(value: date | datetime) -> date:
    """Return the calendar date the event had at its own original offset."""
    if isinstance(value, datetime):
        _offset(value)
        return value.date()
    return value


def _parse_zone(text: str) -> timezone:
    """Return the fixed zone for ``Z``, ``+0000`` or ``-07:00``."""
    if text == "Z":
        return UTC
    digits = text[1:].replace(":", "")
    minutes = int(digits[:2]) * 60 + int(digits[2:])
    if minutes >= 24 * 60:
        raise ValueError(f"offset out of range: {text}")
    delta = timedelta(minutes=minutes if text[0] == "+" else -minutes)
    return UTC if not delta else timezone(delta)


def parse_time(text: str) -> time:
    """Parse ``15:33:16.000Z`` or ``08:33:16-07:00`` into an aware ``time`` keeping its offset."""
    match = _TIME_RE.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"not a time with an offset: {text!r}")
    frac = (match["frac"] or "").ljust(6, "0")
    return time(
        int(match["h"]),
        int(match["m"]),
        int(match["s"] or 0),
        int(frac or 0),
        tzinfo=_parse_zone(match["zone"]),
    )


def parse_datetime(text: str) -> datetime:
    """Parse a Salesforce DateTime (``2026-03-01T15:33:16.000+0000``) into an aware datetime."""
    match = _DATETIME_RE.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"not a date-time with an offset: {text!r}")
    day = date.fromisoformat(match["d"])
    clock = parse_time(match["t"])
    return datetime.combine(day, clock)


def parse_date(text: str) -> date:
    """Parse a Salesforce Date (``2026-03-01``)."""
    cleaned = text.strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", cleaned):
        raise ValueError(f"not a date: {text!r}")
    return date.fromisoformat(cleaned)


__all__ = [
    "datetime_to_salesforce",
    "datetime_to_text",
    "format_offset",
    "local_date",
    "parse_date",
    "parse_datetime",
    "parse_time",
    "time_to_salesforce",
    "time_to_text",
]
