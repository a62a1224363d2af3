"""Data replication calls: getUpdated and getDeleted over a time window.

Salesforce truncates the window's seconds to the minute, refuses windows that start too far
back (30 days for updated, 15 for deleted) and answers with ``latestDateCovered``: the safe start
of the next window, never later than the current minute.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sfemu.errors import SalesforceError
from sfemu.schema import ObjectDef
from sfemu.values import format_datetime

if TYPE_CHECKING:
    from sfemu.org import Org

MAX_IDS = 600_000
UPDATED_DAYS = 30
DELETED_DAYS = 15


def _minute(value: datetime) -> datetime:
    """Return an aware UTC datetime truncated to the minute (naive input counts as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(second=0, microsecond=0)


def _invalid(message: str) -> SalesforceError:
    """Return INVALID_REPLICATION_DATE with ``message``."""
    return SalesforceError("INVALID_REPLICATION_DATE", message, fields=[])


def _window(org: Org, obj: ObjectDef, start: datetime, end: datetime, days: int) -> tuple[str, str]:
    """Return the checked window as wire strings: (start, latestDateCovered)."""
    if not obj.replicateable:
        raise SalesforceError(
            "INVALID_TYPE_FOR_OPERATION", f"entity type {obj.name} does not support replication"
        )
    first, last = _minute(start), _minute(end)
    now = _minute(org.now())
    if first >= last:
        raise _invalid("startDate must chronologically precede endDate by more than one minute")
    if first < now - timedelta(days=days):
        raise _invalid(f"startDate cannot be more than {days} days ago")
    if first > now:
        raise _invalid("startDate cannot be in the future")
    return format_datetime(first), format_datetime(min(last, now))


def _too_many() -> SalesforceError:
    """Return EXCEEDED_ID_LIMIT for a window holding more ids than one call may return."""
    return SalesforceError(
        "EXCEEDED_ID_LIMIT",
        f"record limit reached. cannot submit more than {MAX_IDS:,} records into this call",
        fields=[],
    )


def get_updated(org: Org, obj: ObjectDef, start: datetime, end: datetime) -> dict[str, Any]:
    """Return ``{"ids", "latestDateCovered"}`` for live records changed in the window."""
    low, high = _window(org, obj, start, end, UPDATED_DAYS)
    rows = org.modstamp_window(
        obj.name,
        (low, high),
        lambda record: not record.get("IsDeleted") and record["SystemModstamp"] < high,
    )
    ids = [record["Id"] for record in rows]
    if len(ids) > MAX_IDS:
        raise _too_many()
    return {"ids": ids, "latestDateCovered": high}


def get_deleted(org: Org, obj: ObjectDef, start: datetime, end: datetime) -> dict[str, Any]:
    """Return deletedRecords, earliestDateAvailable and latestDateCovered for the window."""
    low, high = _window(org, obj, start, end, DELETED_DAYS)
    prefix = obj.key_prefix
    rows = [
        {"id": record_id, "deletedDate": stamp}
        for record_id, stamp in org.deleted_stamps().items()
        if record_id.startswith(prefix) and low <= stamp < high
    ]
    if len(rows) > MAX_IDS:
        raise _too_many()
    rows.sort(key=lambda row: (row["deletedDate"], row["id"]))
    return {
        "deletedRecords": rows,
        "earliestDateAvailable": format_datetime(_minute(org.created_at)),
        "latestDateCovered": high,
    }
