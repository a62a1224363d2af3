"""Bulk API 2.0 jobs: the job record, its JSON rendering, lookup and creation."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from starlette.requests import Request

from sfemu.bulk2_ingest import DELIMITERS, LINE_ENDINGS, IngestOutcome
from sfemu.errors import SalesforceError
from sfemu.http import read_json
from sfemu.ids import BASE62, to18
from sfemu.records import request_version
from sfemu.soql import CompiledQuery
from sfemu.state import EmulatorState, current_user_id, emulator_state

CSV_CONTENT_TYPE = "text/csv"
JOB_RETENTION = timedelta(days=7)
INGEST_OPERATIONS = frozenset({"insert", "update", "upsert", "delete", "hardDelete"})
QUERY_OPERATIONS = frozenset({"query", "queryAll"})
TERMINAL_STATES = frozenset({"JobComplete", "Failed", "Aborted"})
RESULT_KINDS = {
    "successfulresults": "successful",
    "failedresults": "failed",
    "unprocessedrecords": "unprocessed",
}


@dataclass
class Job:
    """One Bulk API 2.0 job, query or ingest."""

    kind: str
    id: str
    operation: str
    sobject: str
    created_by: str
    created_at: datetime
    modstamp: datetime
    state: str
    api_version: str
    line_ending: str
    column_delimiter: str
    external_id_field: str | None = None
    query_text: str = ""
    compiled: CompiledQuery | None = None
    rows: Sequence[Mapping[str, Any]] = ()
    uploads: list[bytes] = field(default_factory=list)
    outcome: IngestOutcome | None = None
    error_message: str | None = None


def _wire_time(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def job_error(code: str, message: str, status: int = 400) -> SalesforceError:
    """Return a Bulk API job error (no fields key, like Salesforce)."""
    return SalesforceError(code, message, status=status, include_fields=False)


def job_info(job: Job, *, detail: bool) -> dict[str, Any]:
    """Return the job's JSON as Salesforce renders it (detail adds counters)."""
    info: dict[str, Any] = {
        "id": job.id,
        "operation": job.operation,
        "object": job.sobject,
        "createdById": job.created_by,
        "createdDate": _wire_time(job.created_at),
        "systemModstamp": _wire_time(job.modstamp),
        "state": job.state,
        "concurrencyMode": "Parallel",
        "contentType": "CSV",
        "apiVersion": float(job.api_version),
    }
    if job.kind == "ingest":
        if job.external_id_field:
            info["externalIdFieldName"] = job.external_id_field
        info["contentUrl"] = f"services/data/v{job.api_version}/jobs/ingest/{job.id}/batches"
    info["lineEnding"] = job.line_ending
    info["columnDelimiter"] = job.column_delimiter
    if detail:
        info["jobType"] = "V2Query" if job.kind == "query" else "V2Ingest"
        if job.kind == "query":
            info["numberRecordsProcessed"] = len(job.rows)
        else:
            outcome = job.outcome
            failed = len(outcome.failed) if outcome else 0
            info["numberRecordsProcessed"] = (len(outcome.successful) + failed) if outcome else 0
            info["numberRecordsFailed"] = failed
            info["apiActiveProcessingTime"] = 0
            info["apexProcessingTime"] = 0
        info["retries"] = 0
        info["totalProcessingTime"] = 0
        if job.error_message:
            info["errorMessage"] = job.error_message
    return info


def _new_job_id() -> str:
    return to18("750" + "Dn0" + "".join(secrets.choice(BASE62) for _ in range(9)))


def _forget_old_jobs(jobs: dict[str, Job], now: datetime) -> None:
    """Drop finished jobs older than seven days, as Salesforce deletes them."""
    for job_id in [
        j.id
        for j in jobs.values()
        if j.state in TERMINAL_STATES and now - j.modstamp > JOB_RETENTION
    ]:
        del jobs[job_id]


def jobs_of(state: EmulatorState) -> dict[str, Job]:
    """Return the jobs of one emulator, by id."""
    jobs: dict[str, Job] = state.jobs
    return jobs


def find_job(request: Request, kind: str) -> Job:
    """Return the job the path names (15- or 18-char id), or raise 404 NOT_FOUND."""
    raw_id = request.path_params["job_id"]
    jobs = jobs_of(emulator_state(request))
    job = jobs.get(raw_id) or next(
        (j for j in jobs.values() if j.id[:15] == raw_id[:15] and len(raw_id) in (15, 18)), None
    )
    if job is None or job.kind != kind:
        raise job_error("NOT_FOUND", "The requested resource does not exist", status=404)
    return job


def dialect(body: dict[str, Any]) -> tuple[str, str]:
    """Return (columnDelimiter, lineEnding) of a job request, or raise INVALIDJOB."""
    delimiter = str(body.get("columnDelimiter") or "COMMA").upper()
    line_ending = str(body.get("lineEnding") or "LF").upper()
    if delimiter not in DELIMITERS:
        raise job_error("INVALIDJOB", f"Invalid column delimiter: {delimiter}")
    if line_ending not in LINE_ENDINGS:
        raise job_error("INVALIDJOB", f"Invalid line ending: {line_ending}")
    content_type = str(body.get("contentType") or "CSV").upper()
    if content_type != "CSV":
        raise job_error("INVALIDJOB", f"Invalid content type: {content_type}")
    return delimiter, line_ending


async def body_object(request: Request) -> dict[str, Any]:
    """Return the JSON object body of a job request, or raise JSON_PARSER_ERROR."""
    body = await read_json(request)
    if not isinstance(body, dict):
        raise SalesforceError("JSON_PARSER_ERROR", "The request body must be a JSON object.")
    return body


def new_job(request: Request, kind: str, body: dict[str, Any], sobject: str) -> Job:
    """Create and register a query job (UploadComplete) or ingest job (Open)."""
    state = emulator_state(request)
    delimiter, line_ending = dialect(body)
    now = state.org.now()
    job = Job(
        kind=kind,
        id=_new_job_id(),
        operation=str(body.get("operation")),
        sobject=sobject,
        created_by=current_user_id(request),
        created_at=now,
        modstamp=now,
        state="UploadComplete" if kind == "query" else "Open",
        api_version=request_version(request),
        line_ending=line_ending,
        column_delimiter=delimiter,
    )
    _forget_old_jobs(jobs_of(state), now)
    jobs_of(state)[job.id] = job
    return job
