"""SOQL date and dateTime literals: fixed values and relative ranges (``TODAY``, ``LAST_N_DAYS:n``).

Relative ranges are computed in UTC, standing in for the querying user's time zone, and weeks
start on Sunday (the en_US locale). Every range is half-open: ``start <= value < end``.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

_FIXED = frozenset(
    {
        "YESTERDAY",
        "TODAY",
        "TOMORROW",
        "LAST_WEEK",
        "THIS_WEEK",
        "NEXT_WEEK",
        "LAST_MONTH",
        "THIS_MONTH",
        "NEXT_MONTH",
        "LAST_90_DAYS",
        "NEXT_90_DAYS",
        "LAST_YEAR",
        "THIS_YEAR",
        "NEXT_YEAR",
    }
)
_WITH_N = frozenset(
    {
        "LAST_N_DAYS",
        "NEXT_N_DAYS",
        "LAST_N_WEEKS",
        "NEXT_N_WEEKS",
        "LAST_N_MONTHS",
        "NEXT_N_MONTHS",
        "LAST_N_YEARS",
        "NEXT_N_YEARS",
    }
)

_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"(?:(Z)|([+-])(\d{2}):?(\d{2}))",
    re.IGNORECASE,
)
_TIME = re.compile(r"(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?Z", re.IGNORECASE)


def is_date_literal(name: str, *, with_n: bool) -> bool:
    """Tell whether ``name`` (upper case) is a relative date literal of that form."""
    return name in (_WITH_N if with_n else _FIXED)


def _add_months(day: date, months: int) -> date:
    """Return the first day of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + (day.month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def _week_start(day: date) -> date:
    """Return the Sunday that starts ``day``'s week."""
    return day - timedelta(days=(day.weekday() + 1) % 7)


def date_range(name: str, n: int | None, now: datetime) -> tuple[date, date]:
    """Return the half-open ``[start, end)`` day range a date literal stands for at ``now``."""
    today = now.astimezone(UTC).date()
    day = timedelta(days=1)
    week = _week_start(today)
    month = today.replace(day=1)
    year = date(today.year, 1, 1)
    count = n or 0
    ranges: dict[str, tuple[date, date]] = {
        "YESTERDAY": (today - day, today),
        "TODAY": (today, today + day),
        "TOMORROW": (today + day, today + 2 * day),
        "LAST_WEEK": (week - 7 * day, week),
        "THIS_WEEK": (week, week + 7 * day),
        "NEXT_WEEK": (week + 7 * day, week + 14 * day),
        "LAST_MONTH": (_add_months(month, -1), month),
        "THIS_MONTH": (month, _add_months(month, 1)),
        "NEXT_MONTH": (_add_months(month, 1), _add_months(month, 2)),
        # LAST_n ranges include today; NEXT_n ranges start tomorrow (Salesforce's definitions).
        "LAST_90_DAYS": (today - 90 * day, today + day),
        "NEXT_90_DAYS": (today + day, today + 91 * day),
        "LAST_YEAR": (date(today.year - 1, 1, 1), year),
        "THIS_YEAR": (year, date(today.year + 1, 1, 1)),
        "NEXT_YEAR": (date(today.year + 1, 1, 1), date(today.year + 2, 1, 1)),
        "LAST_N_DAYS": (today - count * day, today + day),
        "NEXT_N_DAYS": (today + day, today + (count + 1) * day),
        "LAST_N_WEEKS": (week - 7 * count * day, week),
        "NEXT_N_WEEKS": (week + 7 * day, week + 7 * (count + 1) * day),
        "LAST_N_MONTHS": (_add_months(month, -count), month),
        "NEXT_N_MONTHS": (_add_months(month, 1), _add_months(month, count + 1)),
        "LAST_N_YEARS": (date(today.year - count, 1, 1), year),
        "NEXT_N_YEARS": (date(today.year + 1, 1, 1), date(today.year + count + 1, 1, 1)),
    }
    return ranges[name]


def datetime_wire(moment: datetime) -> str:
    """Return a UTC datetime in Salesforce's wire format, keeping milliseconds."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+0000"


def day_start_wire(day: date) -> str:
    """Return midnight UTC of ``day`` in wire format."""
    return f"{day.isoformat()}T00:00:00.000+0000"


def parse_datetime_literal(text: str) -> str:
    """Return the UTC wire form of an unquoted dateTime literal, or raise ValueError."""
    m = _DATETIME.fullmatch(text)
    if m is None:
        raise ValueError(text)
    year, month, dd, hh, mi, ss = (int(g) for g in m.groups()[:6])
    fraction = m.group(7) or ""
    micro = int((fraction + "000000")[:6]) if fraction else 0
    try:
        moment = datetime(year, month, dd, hh, mi, ss, micro, tzinfo=UTC)
    except ValueError:
        raise ValueError(text) from None
    if m.group(8) is None:
        sign = 1 if m.group(9) == "+" else -1
        offset = timedelta(hours=int(m.group(10)), minutes=int(m.group(11)))
        if offset >= timedelta(hours=24):
            raise ValueError(text)
        moment -= sign * offset
    return datetime_wire(moment)


def parse_date_literal(text: str) -> str:
    """Return the ``YYYY-MM-DD`` form of an unquoted date literal, or raise ValueError."""
    return date.fromisoformat(text).isoformat()


def parse_time_literal(text: str) -> str:
    """Return the ``HH:MM:SS.sssZ`` wire form of an unquoted time literal, or raise ValueError."""
    m = _TIME.fullmatch(text)
    if m is None:
        raise ValueError(text)
    hh, mi, ss = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if hh > 23 or mi > 59 or ss > 59:
        raise ValueError(text)
    millis = (m.group(4) or "").ljust(3, "0")
    return f"{hh:02d}:{mi:02d}:{ss:02d}.{millis}Z"
