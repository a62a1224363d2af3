"""What the Salesforce tab shows of what happened: operations, users sync, sync log and health.

Everything here reads; the buttons beside it act through the admin API. Phone numbers in the
sync log were masked when they were written, so nothing here can show a full number.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from ringsync.operations import store as operations_store
from ringsync.operations.model import Operation, OperationKind
from ringsync.operations.users_sync import UsersSyncResult, last_result
from ringsync.store.repositories import sync_failed, sync_log
from ringsync.web.admin.chart import Bucket, bucket_size, chart_series

CHART_BUCKETS = 24
LOG_LIMIT = 100
LOG_SCAN = 5000
OPERATION_KINDS = (
    (
        OperationKind.PULL_CONTACTS,
        "Pull contacts/leads",
        "Bring Salesforce contacts and leads into ringsync now. Pulling new phone numbers "
        "may incur LRN lookup charges: preview shows the estimate.",
    ),
    (
        OperationKind.PUSH_CONTACTS,
        "Push contacts/leads",
        "Send ringsync contacts to Salesforce now (only when a direction is bi-directional).",
    ),
    (
        OperationKind.PULL_LEAD_STATUSES,
        "Pull lead statuses",
        "Import Salesforce lead statuses as contact dispositions.",
    ),
)
LOG_ACTIONS = tuple(a.value for a in sync_log.LogAction)


@dataclass(frozen=True)
class LogFilters:
    """The sync log filters the admin chose (all optional)."""

    action: str = ""
    sobject: str = ""
    direction: str = ""
    contact: str = ""
    record: str = ""
    run: str = ""

    def contact_id(self) -> int | None:
        """Return the contact filter as an id, or None when empty or not a number."""
        return int(self.contact) if self.contact.strip().isdigit() else None

    def run_id(self) -> int | None:
        """Return the run filter as an id, or None when empty or not a number."""
        return int(self.run) if self.run.strip().isdigit() else None


@dataclass(frozen=True)
class ActivityView:
    """Operations history, the last users sync, the sync log, failed records and health."""

    operations: tuple[Operation, ...]
    kinds: tuple[tuple[OperationKind, str, str], ...]
    users: UsersSyncResult | None
    filters: LogFilters
    entries: tuple[sync_log.StoredEntry, ...]
    failed: tuple[sync_failed.FailedRecord, ...]
    error_counts: tuple[tuple[str, int], ...]
    runs: tuple[sync_log.RunRow, ...]
    chart: tuple[Bucket, ...]
    chart_unit: str

    def chart_json(self) -> list[dict[str, object]]:
        """Return the chart's series as JSON-ready data for static/chart.js."""
        return [bucket.as_dict() for bucket in self.chart]


def _matches(entry: sync_log.StoredEntry, filters: LogFilters) -> bool:
    if filters.sobject and (entry.sobject or "") != filters.sobject:
        return False
    return not (filters.direction and entry.direction != filters.direction)


def activity_view(
    session: Session, account_id: int, now: datetime, filters: LogFilters | None = None
) -> ActivityView:
    """Read everything the operations, users, logs and health sections show."""
    chosen = filters or LogFilters()
    scanned = sync_log.list_entries(
        session,
        account_id,
        run_id=chosen.run_id(),
        record_id=chosen.record.strip() or None,
        contact_id=chosen.contact_id(),
        action=chosen.action if chosen.action in LOG_ACTIONS else None,
        limit=LOG_SCAN,
    )
    entries = [e for e in reversed(scanned) if _matches(e, chosen)][:LOG_LIMIT]
    failed = sync_failed.list_failed(session, account_id)
    errors = Counter(record.error_code or "unknown" for record in failed)
    all_events = [
        (e.at, e.action) for e in sync_log.list_entries(session, account_id, limit=LOG_SCAN)
    ]
    size = bucket_size(all_events, now)
    return ActivityView(
        operations=tuple(operations_store.recent(session, account_id, limit=10)),
        kinds=OPERATION_KINDS,
        users=last_result(session, account_id),
        filters=chosen,
        entries=tuple(entries),
        failed=tuple(failed),
        error_counts=tuple(errors.most_common()),
        runs=tuple(sync_log.list_runs(session, account_id, limit=10)),
        chart=tuple(chart_series(all_events, now, size, CHART_BUCKETS)),
        chart_unit="hour" if size.total_seconds() == 3600 else "day",
    )


__all__ = ["LOG_ACTIONS", "OPERATION_KINDS", "ActivityView", "LogFilters", "activity_view"]
