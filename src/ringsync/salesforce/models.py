"""Typed results the Salesforce client returns, parsed from JSON at the edge."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ringsync.errors import UnexpectedResponseError
from ringsync.salesforce.responses import ApiErrorDetail, mask_phone_numbers, parse_error_items

Record = dict[str, Any]


@dataclass(frozen=True)
class RecordResult:
    """The outcome for one record of a write: its id, success, whether created, errors."""

    id: str | None
    success: bool
    created: bool = False
    errors: tuple[ApiErrorDetail, ...] = ()

    @property
    def error_codes(self) -> tuple[str, ...]:
        """Return the Salesforce codes of this record's errors."""
        return tuple(e.code for e in self.errors)

    @classmethod
    def from_json(cls, item: Any, *, default_created: bool = False) -> RecordResult:
        """Parse one Collections (or single-write) result object."""
        if not isinstance(item, dict):
            raise UnexpectedResponseError("Salesforce returned a malformed record result")
        raw_id = item.get("id")
        success = bool(item.get("success"))
        return cls(
            id=str(raw_id) if raw_id else None,
            success=success,
            created=success and bool(item.get("created", default_created)),
            errors=tuple(parse_error_items(item.get("errors") or [])),
        )


@dataclass(frozen=True)
class UpdatedIds:
    """Ids changed in a getUpdated window, and the safe next start."""

    ids: tuple[str, ...]
    latest_date_covered: datetime


@dataclass(frozen=True)
class DeletedRecord:
    """One record in a getDeleted window."""

    id: str
    deleted_at: datetime


@dataclass(frozen=True)
class DeletedRecords:
    """Deletions in a getDeleted window, with the window's bounds."""

    records: tuple[DeletedRecord, ...]
    earliest_date_available: datetime | None
    latest_date_covered: datetime


@dataclass(frozen=True)
class LimitValue:
    """One entry of /limits: the maximum and what remains."""

    max: int
    remaining: int

    @property
    def used(self) -> int:
        """Return how much is used."""
        return self.max - self.remaining


@dataclass(frozen=True)
class OrgLimits:
    """The org's limits from /limits, keyed by Salesforce's names."""

    values: dict[str, LimitValue] = field(default_factory=dict)

    @property
    def daily_api_requests(self) -> LimitValue | None:
        """Return the daily API request allocation, when reported."""
        return self.values.get("DailyApiRequests")

    @classmethod
    def from_json(cls, body: Any) -> OrgLimits:
        """Parse the /limits body, keeping entries that carry Max and Remaining."""
        if not isinstance(body, dict):
            raise UnexpectedResponseError("Salesforce returned a malformed /limits body")
        values: dict[str, LimitValue] = {}
        for name, entry in body.items():
            if isinstance(entry, dict) and "Max" in entry and "Remaining" in entry:
                values[name] = LimitValue(max=int(entry["Max"]), remaining=int(entry["Remaining"]))
        return cls(values=values)


@dataclass(frozen=True)
class BulkRowOutcome:
    """One row's outcome in a Bulk API 2.0 ingest job."""

    status: str  # "success", "failed" or "unprocessed"
    id: str | None
    created: bool
    error: str | None
    row: dict[str, str]

    @property
    def error_code(self) -> str | None:
        """Return the Salesforce code at the start of ``sf__Error`` (``CODE:message:fields --``)."""
        if not self.error:
            return None
        return self.error.split(":", 1)[0]


@dataclass(frozen=True)
class BulkIngestResult:
    """The outcome of a Bulk API 2.0 ingest job: its id, final state, every row."""

    job_id: str
    state: str
    rows: tuple[BulkRowOutcome, ...]
    error_message: str | None = None

    @property
    def failed(self) -> tuple[BulkRowOutcome, ...]:
        """Return rows that failed or were never processed."""
        return tuple(r for r in self.rows if r.status != "success")


def parse_sf_datetime(value: Any) -> datetime:
    """Parse Salesforce's ``2013-05-08T21:20:00.000+0000`` (or ``Z``) into an aware UTC datetime."""
    if not isinstance(value, str):
        raise UnexpectedResponseError("Salesforce returned a malformed date-time")
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    elif len(text) >= 5 and text[-5] in "+-" and text[-4:].isdigit():
        text = text[:-2] + ":" + text[-2:]
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise UnexpectedResponseError(
            f"Salesforce returned an unreadable date-time: {mask_phone_numbers(value)}"
        ) from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_sf_datetime(when: datetime) -> str:
    """Return an aware datetime in the form Salesforce's replication endpoints take."""
    if when.tzinfo is None:
        raise ValueError("Salesforce datetimes must be timezone-aware")
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


__all__ = [
    "BulkIngestResult",
    "BulkRowOutcome",
    "DeletedRecord",
    "DeletedRecords",
    "LimitValue",
    "OrgLimits",
    "Record",
    "RecordResult",
    "UpdatedIds",
    "format_sf_datetime",
    "parse_sf_datetime",
]
