"""Bulk API 2.0: query jobs streamed page by page, and ingest jobs with per-row outcomes.

Both go through the client's one request path. A query's result pages are fetched one at a
time (``Sforce-Locator`` until the literal ``null``) and parsed as CSV into dict rows, so only
one page is ever held in memory. Empty CSV cells mean null in Bulk API 2.0 and are yielded
as None; other values stay strings (the caller converts by the describe).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson

from ringsync.clock import Clock
from ringsync.errors import FatalSyncError, UnavailableError, UnexpectedResponseError
from ringsync.salesforce.models import BulkIngestResult, BulkRowOutcome
from ringsync.salesforce.request_path import RequestFn

TERMINAL_STATES = frozenset({"JobComplete", "Failed", "Aborted"})
INGEST_OPERATIONS = frozenset({"insert", "update", "upsert", "delete", "hardDelete"})
NULL_CELL = "#N/A"  # Bulk API 2.0's way to set a field to null


class BulkApi:
    """Run Bulk API 2.0 jobs and poll them with a growing, capped interval."""

    def __init__(
        self,
        request: RequestFn,
        *,
        clock: Clock,
        sleep: Callable[[float], None],
        poll_first: float = 0.5,
        poll_max: float = 10.0,
        timeout: timedelta = timedelta(minutes=30),
    ) -> None:
        """Send through ``request``; poll from ``poll_first`` s doubling up to ``poll_max`` s."""
        self._request = request
        self._clock = clock
        self._sleep = sleep
        self._poll_first = poll_first
        self._poll_max = poll_max
        self._timeout = timeout

    # --- query ---------------------------------------------------------------------------
    def query_iter(
        self, soql: str, *, include_deleted: bool = False, page_size: int = 25_000
    ) -> Iterator[dict[str, str | None]]:
        """Create a query job, wait for it, then yield its rows page by page."""
        job = self._json(
            "POST",
            "jobs/query",
            endpoint="jobs/query",
            json={
                "operation": "queryAll" if include_deleted else "query",
                "query": soql,
                "contentType": "CSV",
                "columnDelimiter": "COMMA",
                "lineEnding": "LF",
            },
        )
        job_id = _job_id(job)
        self._wait("jobs/query", job_id)
        return self._pages(job_id, page_size)

    def _pages(self, job_id: str, page_size: int) -> Iterator[dict[str, str | None]]:
        """Yield rows of every result page, following the locator until ``null``."""
        locator: str | None = None
        while True:
            params = {"maxRecords": str(page_size)}
            if locator:
                params["locator"] = locator
            response = self._request(
                "GET",
                f"jobs/query/{job_id}/results",
                endpoint="jobs/query/{id}/results",
                params=params,
                headers={"Accept": "text/csv"},
            )
            locator = response.headers.get("Sforce-Locator")
            # Decode while reading: a page of 50,000 rows is tens of MB as bytes, and a str
            # copy plus a StringIO buffer of it would more than double that.
            text = io.TextIOWrapper(io.BytesIO(response.content), encoding="utf-8", newline="")
            del response
            for row in csv.DictReader(text):
                yield {k: (v if v != "" else None) for k, v in row.items()}
            if not locator or locator == "null":
                return

    # --- ingest --------------------------------------------------------------------------
    def ingest(
        self,
        sobject: str,
        operation: str,
        rows: Sequence[Mapping[str, Any]],
        *,
        external_id_field: str | None = None,
    ) -> BulkIngestResult:
        """Create an ingest job, upload rows as CSV, close it, wait, and collect every row."""
        if operation not in INGEST_OPERATIONS:
            raise ValueError(f"unknown Bulk API 2.0 operation {operation!r}")
        if operation == "upsert" and not external_id_field:
            raise ValueError("an upsert job needs external_id_field")
        if not rows:
            return BulkIngestResult(job_id="", state="JobComplete", rows=())
        spec: dict[str, Any] = {
            "object": sobject,
            "operation": operation,
            "contentType": "CSV",
            "columnDelimiter": "COMMA",
            "lineEnding": "LF",
        }
        if external_id_field:
            spec["externalIdFieldName"] = external_id_field
        job_id = _job_id(self._json("POST", "jobs/ingest", endpoint="jobs/ingest", json=spec))
        self._request(
            "PUT",
            f"jobs/ingest/{job_id}/batches",
            endpoint="jobs/ingest/{id}/batches",
            content=to_csv(rows),
            headers={"Content-Type": "text/csv"},
            sobject=sobject,
            idempotent=False,
        )
        self._request(
            "PATCH",
            f"jobs/ingest/{job_id}",
            endpoint="jobs/ingest/{id}",
            json={"state": "UploadComplete"},
            sobject=sobject,
        )
        info = self._wait("jobs/ingest", job_id, allow_failed=True)
        outcomes: list[BulkRowOutcome] = []
        for kind, suffix in (
            ("success", "successfulResults"),
            ("failed", "failedResults"),
            ("unprocessed", "unprocessedrecords"),
        ):
            response = self._request(
                "GET",
                f"jobs/ingest/{job_id}/{suffix}/",
                endpoint=f"jobs/ingest/{{id}}/{suffix}",
                headers={"Accept": "text/csv"},
                sobject=sobject,
            )
            outcomes.extend(_outcomes(kind, response.content))
        error_message = info.get("errorMessage")
        return BulkIngestResult(
            job_id=job_id,
            state=str(info.get("state")),
            rows=tuple(outcomes),
            error_message=str(error_message) if error_message else None,
        )

    # --- internals -----------------------------------------------------------------------
    def _json(self, method: str, path: str, *, endpoint: str, json: Any = None) -> Any:
        """Send a JSON call and parse the answer."""
        response = self._request(method, path, endpoint=endpoint, json=json)
        try:
            return orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            raise UnexpectedResponseError(
                f"Salesforce returned a body that is not JSON for {endpoint}", endpoint=endpoint
            ) from exc

    def _wait(self, kind: str, job_id: str, *, allow_failed: bool = False) -> dict[str, Any]:
        """Poll a job until it reaches a terminal state; return its final info."""
        deadline = self._clock.now() + self._timeout
        delay = self._poll_first
        while True:
            info = self._json("GET", f"{kind}/{job_id}", endpoint=f"{kind}/{{id}}")
            if not isinstance(info, dict):
                raise UnexpectedResponseError("Salesforce returned a malformed job status")
            state = info.get("state")
            if state == "JobComplete":
                return info
            if state in ("Failed", "Aborted"):
                if allow_failed:
                    return info
                raise FatalSyncError(
                    f"Bulk job {job_id} ended {state}: {info.get('errorMessage') or 'no reason'}",
                    job_id=job_id,
                    state=state,
                )
            if self._clock.now() + timedelta(seconds=delay) > deadline:
                raise UnavailableError(
                    f"Bulk job {job_id} did not finish in time (state {state})",
                    job_id=job_id,
                    state=state,
                )
            self._sleep(delay)
            delay = min(self._poll_max, delay * 2)


def _job_id(job: Any) -> str:
    """Return the id of a job-info body."""
    if not isinstance(job, dict) or not isinstance(job.get("id"), str):
        raise UnexpectedResponseError("Salesforce returned a job without an id")
    job_id: str = job["id"]
    if not job_id.isalnum():
        raise UnexpectedResponseError("Salesforce returned a malformed job id")
    return job_id


def to_csv(rows: Sequence[Mapping[str, Any]]) -> bytes:
    """Render rows as Bulk API 2.0 CSV (columns = union of keys, in first-seen order)."""
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row[c]) if c in row else "" for c in columns])
    return out.getvalue().encode("utf-8")


def _cell(value: Any) -> str:
    """Return one value as Bulk API 2.0 writes it in CSV."""
    if value is None:
        return NULL_CELL
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("Bulk datetimes must be timezone-aware")
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _outcomes(kind: str, content: bytes) -> Iterator[BulkRowOutcome]:
    """Parse one results CSV (successful, failed or unprocessed) into row outcomes."""
    text = content.decode("utf-8")
    if not text.strip():
        return
    for row in csv.DictReader(io.StringIO(text)):
        record_id = row.pop("sf__Id", None) or None
        created = row.pop("sf__Created", "").lower() == "true"
        error = row.pop("sf__Error", None) or None
        yield BulkRowOutcome(status=kind, id=record_id, created=created, error=error, row=row)


__all__ = ["INGEST_OPERATIONS", "BulkApi", "to_csv"]
