"""Send planned writes to Salesforce and say, per contact, how each one ended.

Updates go through sObject Collections (200 records a call) or, above a threshold, a Bulk API
2.0 ingest job (results matched back by record Id). Creates always go through Collections,
whose results come back in request order. A call that fails as a whole fails every record in
it with the same error; the caller decides between a retry and the failed list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ringsync.errors import AuthError, RingsyncError, TransientError
from ringsync.salesforce.client import SalesforceClient
from ringsync.salesforce.models import BulkRowOutcome
from ringsync.sync.plan_outbound import SalesforceWrite, WriteOp

RETRYABLE_CODES = frozenset(
    {"UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE", "REQUEST_RUNNING_TOO_LONG"}
)


@dataclass(frozen=True)
class SendResult:
    """How one write ended: the record id on success, or the Salesforce error."""

    write: SalesforceWrite
    success: bool
    record_id: str | None = None
    error_code: str | None = None
    message: str = ""
    retryable: bool = False
    auth_failed: bool = False
    """The session was refused even after the one refresh: the run fails, the rows wait."""
    unknown_outcome: bool = False
    """The call failed as a whole (a lost response, a timeout): Salesforce may have applied it."""


def _call_failed(writes: Sequence[SalesforceWrite], exc: RingsyncError) -> list[SendResult]:
    code = exc.context.get("error_code") or exc.code
    retry = isinstance(exc, TransientError)
    auth = isinstance(exc, AuthError)
    return [
        SendResult(
            w,
            False,
            w.record_id,
            str(code),
            exc.message,
            retry,
            auth_failed=auth,
            unknown_outcome=not auth,
        )
        for w in writes
    ]


def send_updates(
    client: SalesforceClient,
    sobject: str,
    writes: Sequence[SalesforceWrite],
    *,
    ingest_threshold: int,
) -> list[SendResult]:
    """Update records; Bulk ingest above ``ingest_threshold`` records, Collections below."""
    if not writes:
        return []
    rows = [{"Id": w.record_id, **w.payload} for w in writes]
    try:
        if len(writes) > ingest_threshold:
            return _bulk_update(client, sobject, writes, rows)
        results = client.collections_update(sobject, rows)
    except RingsyncError as exc:
        return _call_failed(writes, exc)
    out: list[SendResult] = []
    for write, result in zip(writes, results, strict=True):
        if result.success:
            out.append(SendResult(write, True, write.record_id))
            continue
        first = result.errors[0] if result.errors else None
        code = first.code if first else "UNKNOWN"
        message = first.message if first else "Salesforce refused the record"
        out.append(
            SendResult(write, False, write.record_id, code, message, code in RETRYABLE_CODES)
        )
    return out


def _bulk_update(
    client: SalesforceClient,
    sobject: str,
    writes: Sequence[SalesforceWrite],
    rows: list[dict[str, object]],
) -> list[SendResult]:
    job = client.bulk_ingest(sobject, "update", rows)
    by_id: dict[str, BulkRowOutcome] = {}
    for outcome in job.rows:
        record_id = outcome.id or outcome.row.get("Id") or outcome.row.get("sf__Id")
        if record_id:
            by_id[str(record_id)[:15]] = outcome
    out: list[SendResult] = []
    for write in writes:
        found = by_id.get(str(write.record_id)[:15])
        if found is None:
            message = job.error_message or "the Bulk job did not process this record"
            out.append(
                SendResult(
                    write,
                    False,
                    write.record_id,
                    "UNPROCESSED",
                    message,
                    True,
                    unknown_outcome=True,
                )
            )
        elif found.status == "success":
            out.append(SendResult(write, True, write.record_id))
        elif found.status == "unprocessed":
            # The job stopped (failed or aborted) before this row: Salesforce did not touch
            # it, so it is simply sent again, never parked as a failure.
            message = job.error_message or "the Bulk job stopped before this record"
            out.append(SendResult(write, False, write.record_id, "UNPROCESSED", message, True))
        else:
            code = found.error_code or "UNKNOWN"
            message = found.error or "Salesforce refused the record"
            retry = code in RETRYABLE_CODES
            out.append(SendResult(write, False, write.record_id, code, message, retry))
    return out


def send_creates(
    client: SalesforceClient, sobject: str, writes: Sequence[SalesforceWrite]
) -> list[SendResult]:
    """Create records through Collections (results in request order)."""
    if not writes:
        return []
    try:
        results = client.collections_create(sobject, [dict(w.payload) for w in writes])
    except RingsyncError as exc:
        return _call_failed(writes, exc)
    out: list[SendResult] = []
    for write, result in zip(writes, results, strict=True):
        if result.success and result.id:
            out.append(SendResult(write, True, result.id))
            continue
        first = result.errors[0] if result.errors else None
        code = first.code if first else "UNKNOWN"
        message = first.message if first else "Salesforce refused the record"
        out.append(SendResult(write, False, None, code, message, code in RETRYABLE_CODES))
    return out


__all__ = ["RETRYABLE_CODES", "SendResult", "WriteOp", "send_creates", "send_updates"]
