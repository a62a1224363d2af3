"""Bulk API 2.0 (/jobs/query and /jobs/ingest): job lifecycle, CSV results with locators."""

from __future__ import annotations

import base64
import binascii
import csv
from collections.abc import Iterator

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from sfemu.bulk2_ingest import (
    IngestOutcome,
    IngestSpec,
    InvalidBatchError,
    apply_upload,
    cell,
    csv_text,
    read_rows,
)
from sfemu.bulk2_jobs import (
    CSV_CONTENT_TYPE,
    INGEST_OPERATIONS,
    QUERY_OPERATIONS,
    RESULT_KINDS,
    TERMINAL_STATES,
    Job,
    body_object,
    find_job,
    job_error,
    job_info,
    jobs_of,
    new_job,
)
from sfemu.errors import SalesforceError
from sfemu.http import json_response
from sfemu.query import eval_context, run_query
from sfemu.soql import compile_query
from sfemu.state import EmulatorState, emulator_state

JOB_FAILED_MESSAGE = "InternalServerError : the job failed while processing (sfemu fault)"
"""The errorMessage of a job failed by a ``bulk_job_failure`` fault."""

# --- query jobs ----------------------------------------------------------------------------


async def create_query_job(request: Request) -> Response:
    """Answer POST /jobs/query: validate the SOQL and create the job (UploadComplete)."""
    body = await body_object(request)
    operation = body.get("operation")
    if operation not in QUERY_OPERATIONS:
        raise job_error("INVALIDJOB", f"Invalid operation: {operation}")
    text = body.get("query")
    if not isinstance(text, str) or not text.strip():
        raise job_error("INVALIDJOB", "Query is required for query jobs")
    compiled = compile_query(text, emulator_state(request).org, all_rows=operation == "queryAll")
    if compiled.is_count or compiled.offset is not None:
        raise job_error(
            "API_ERROR", "Aggregate queries and OFFSET are not supported by Bulk API 2.0 query"
        )
    job = new_job(request, "query", body, compiled.sobject.name)
    job.query_text = text
    return json_response(job_info(job, detail=False))


def _advance_query(state: EmulatorState, job: Job) -> None:
    """Run a query job the first time it is polled (UploadComplete -> JobComplete)."""
    if job.state != "UploadComplete":
        return
    if state.faults.job_failure_for("jobs/query"):
        job.state = "Failed"
        job.error_message = JOB_FAILED_MESSAGE
        job.modstamp = state.org.now()
        return
    try:
        job.compiled, job.rows = run_query(
            state.org,
            job.query_text,
            all_rows=job.operation == "queryAll",
            api_version=job.api_version,
        )
        job.state = "JobComplete"
    except SalesforceError as exc:
        job.state = "Failed"
        job.error_message = f"{exc.error_code}: {exc.message}"
    job.modstamp = state.org.now()


async def get_query_job(request: Request) -> Response:
    """Answer GET /jobs/query/{id}: job info; the first poll completes the job."""
    job = find_job(request, "query")
    _advance_query(emulator_state(request), job)
    return json_response(job_info(job, detail=True))


def encode_locator(offset: int) -> str:
    """Return the opaque Sforce-Locator for a row offset (base64 of the number)."""
    return base64.b64encode(str(offset).encode()).decode().rstrip("=")


def decode_locator(locator: str) -> int:
    """Return the row offset of a locator, or raise INVALID_QUERY_LOCATOR."""
    try:
        padded = locator + "=" * (-len(locator) % 4)
        return int(base64.b64decode(padded, validate=True).decode())
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise job_error("INVALID_QUERY_LOCATOR", f"Invalid locator: {locator}") from exc


async def query_results(request: Request) -> Response:
    """Answer GET /jobs/query/{id}/results: one CSV page, Sforce-Locator "null" on the last."""
    job = find_job(request, "query")
    state = emulator_state(request)
    if job.state != "JobComplete" or job.compiled is None:
        raise job_error("JOB_NOT_COMPLETE", "Job has not been completed", status=412)
    locator = request.query_params.get("locator")
    offset = decode_locator(locator) if locator else 0
    if offset < 0 or offset > len(job.rows):
        raise job_error("INVALID_QUERY_LOCATOR", f"Invalid locator: {locator}")
    raw_max = request.query_params.get("maxRecords")
    try:
        max_records = int(raw_max) if raw_max else len(job.rows) - offset
    except ValueError as exc:
        raise job_error("INVALIDREQUEST", f"Invalid maxRecords: {raw_max}") from exc
    if raw_max and max_records < 1:
        raise job_error("INVALIDREQUEST", f"Invalid maxRecords: {raw_max}")
    end = min(len(job.rows), offset + max_records)
    next_locator = encode_locator(end) if end < len(job.rows) else "null"
    state.stats.count_records(read=end - offset)
    compiled = job.compiled
    ctx = eval_context(state.org, job.api_version)

    def rows() -> Iterator[list[str]]:
        yield list(compiled.columns)
        for index in range(offset, end):
            yield [cell(v) for v in compiled.flat_row(job.rows[index], ctx)]

    return StreamingResponse(
        csv_text(rows(), job.column_delimiter, job.line_ending),
        media_type=CSV_CONTENT_TYPE,
        headers={"Sforce-NumberOfRecords": str(end - offset), "Sforce-Locator": next_locator},
    )


# --- ingest jobs ---------------------------------------------------------------------------


async def create_ingest_job(request: Request) -> Response:
    """Answer POST /jobs/ingest: create an Open job awaiting its CSV."""
    body = await body_object(request)
    operation = body.get("operation")
    if operation not in INGEST_OPERATIONS:
        raise job_error("INVALIDJOB", f"Invalid operation: {operation}")
    name = body.get("object")
    if not isinstance(name, str) or not name:
        raise job_error("INVALIDJOB", "Object is required for ingest jobs")
    obj = emulator_state(request).org.find_sobject(name)
    if obj is None:
        raise job_error("INVALIDJOB", f"Entity '{name}' is not supported by the Bulk API.")
    ext_name = body.get("externalIdFieldName")
    if operation == "upsert":
        if not isinstance(ext_name, str) or not ext_name:
            raise job_error("INVALIDJOB", "External ID was blank for upsert operation")
        ext = obj.field(ext_name)
        if ext is None or not (ext.external_id or ext.id_lookup or ext.name == "Id"):
            raise job_error(
                "INVALIDJOB", f"Field {ext_name} is not an external ID field on {obj.name}"
            )
        ext_name = ext.name
    job = new_job(request, "ingest", body, obj.name)
    job.external_id_field = ext_name if operation == "upsert" else None
    return json_response(job_info(job, detail=False))


async def upload_batch(request: Request) -> Response:
    """Answer PUT /jobs/ingest/{id}/batches: keep the CSV for processing, 201."""
    job = find_job(request, "ingest")
    if job.state != "Open":
        raise job_error("INVALIDJOBSTATE", f"Job is not in Open state: {job.state}", status=409)
    data = await request.body()
    if not data.strip():
        raise job_error("INVALIDREQUEST", "The CSV data is empty")
    job.uploads.append(data)
    return Response(status_code=201)


def _complete_ingest(state: EmulatorState, job: Job) -> None:
    spec = IngestSpec(
        sobject=job.sobject,
        operation=job.operation,
        external_id_field=job.external_id_field,
        user_id=job.created_by,
        delimiter=job.column_delimiter,
    )
    fail = state.faults.job_failure_for("jobs/ingest")
    try:
        job.outcome = apply_upload(
            state.org, state.stats, spec, job.uploads, faults=state.faults, fail_halfway=fail
        )
        job.state = "JobComplete"
        if fail:
            job.state = "Failed"
            job.error_message = JOB_FAILED_MESSAGE
    except InvalidBatchError as exc:
        job.outcome = IngestOutcome()
        job.state = "Failed"
        job.error_message = str(exc)
    except (UnicodeDecodeError, csv.Error) as exc:
        job.outcome = IngestOutcome()
        job.state = "Failed"
        job.error_message = f"InvalidBatch : Failed to parse CSV: {exc}"
    job.uploads = []


def _abort(job: Job) -> None:
    if job.kind == "ingest" and job.outcome is None:
        rows = read_rows(job.uploads, job.column_delimiter)
        try:
            header = next(rows, None) or []
            job.outcome = IngestOutcome(header=header, unprocessed=list(rows))
        except (UnicodeDecodeError, csv.Error):
            job.outcome = IngestOutcome()
        job.uploads = []
    job.state = "Aborted"


async def _patch_state(request: Request, kind: str) -> Response:
    job = find_job(request, kind)
    state = emulator_state(request)
    body = await body_object(request)
    wanted = body.get("state")
    if wanted == "Aborted" and job.state not in TERMINAL_STATES:
        _abort(job)
    elif wanted == "UploadComplete" and kind == "ingest" and job.state == "Open":
        if not job.uploads:
            raise job_error("INVALIDJOBSTATE", "No data was uploaded for this job", status=409)
        job.state = "UploadComplete"
        reply = job_info(job, detail=False)
        _complete_ingest(state, job)
        job.modstamp = state.org.now()
        return json_response(reply)
    else:
        raise job_error(
            "INVALIDJOBSTATE", f"Cannot change the state of a {job.state} job to {wanted}"
        )
    job.modstamp = state.org.now()
    return json_response(job_info(job, detail=False))


async def patch_query_job(request: Request) -> Response:
    """Answer PATCH /jobs/query/{id} {"state": "Aborted"}."""
    return await _patch_state(request, "query")


async def patch_ingest_job(request: Request) -> Response:
    """Answer PATCH /jobs/ingest/{id} with UploadComplete (process now) or Aborted."""
    return await _patch_state(request, "ingest")


async def get_ingest_job(request: Request) -> Response:
    """Answer GET /jobs/ingest/{id}: job info with processed and failed counts."""
    return json_response(job_info(find_job(request, "ingest"), detail=True))


async def ingest_results(request: Request) -> Response:
    """Answer GET /jobs/ingest/{id}/{successfulResults|failedResults|unprocessedrecords}."""
    kind = RESULT_KINDS.get(str(request.path_params["result_kind"]).lower())
    if kind is None:
        raise job_error("NOT_FOUND", "The requested resource does not exist", status=404)
    job = find_job(request, "ingest")
    outcome = job.outcome or IngestOutcome()
    header = list(outcome.header)
    if kind == "successful":
        rows, header = outcome.successful, ["sf__Id", "sf__Created", *header]
    elif kind == "failed":
        rows, header = outcome.failed, ["sf__Id", "sf__Error", *header]
    else:
        rows = outcome.unprocessed
    if not outcome.header and kind != "unprocessed":
        header = header[:2]

    def all_rows() -> Iterator[list[str]]:
        if header:
            yield header
        yield from rows

    return StreamingResponse(
        csv_text(all_rows(), job.column_delimiter, job.line_ending), media_type=CSV_CONTENT_TYPE
    )


# --- shared --------------------------------------------------------------------------------


def _list(request: Request, kind: str) -> Response:
    state = emulator_state(request)
    for job in jobs_of(state).values():
        if job.kind == "query":
            _advance_query(state, job)
    records = [job_info(j, detail=True) for j in jobs_of(state).values() if j.kind == kind]
    return json_response({"done": True, "records": records, "nextRecordsUrl": None})


async def list_query_jobs(request: Request) -> Response:
    """Answer GET /jobs/query: every query job."""
    return _list(request, "query")


async def list_ingest_jobs(request: Request) -> Response:
    """Answer GET /jobs/ingest: every ingest job."""
    return _list(request, "ingest")


def _delete(request: Request, kind: str) -> Response:
    job = find_job(request, kind)
    if kind == "ingest" and job.state not in TERMINAL_STATES | {"Open"}:
        raise job_error("INVALIDJOBSTATE", f"Cannot delete a job in state {job.state}")
    del jobs_of(emulator_state(request))[job.id]
    return Response(status_code=204)


async def delete_query_job(request: Request) -> Response:
    """Answer DELETE /jobs/query/{id}."""
    return _delete(request, "query")


async def delete_ingest_job(request: Request) -> Response:
    """Answer DELETE /jobs/ingest/{id}."""
    return _delete(request, "ingest")


def bulk_routes() -> list[BaseRoute]:
    """Return the Bulk API 2.0 routes, relative to /services/data/{version}."""
    return [
        Route("/jobs/query", create_query_job, methods=["POST"]),
        Route("/jobs/query", list_query_jobs, methods=["GET"]),
        Route("/jobs/query/{job_id}", get_query_job, methods=["GET"]),
        Route("/jobs/query/{job_id}", patch_query_job, methods=["PATCH"]),
        Route("/jobs/query/{job_id}", delete_query_job, methods=["DELETE"]),
        Route("/jobs/query/{job_id}/results", query_results, methods=["GET"]),
        Route("/jobs/ingest", create_ingest_job, methods=["POST"]),
        Route("/jobs/ingest", list_ingest_jobs, methods=["GET"]),
        Route("/jobs/ingest/{job_id}", get_ingest_job, methods=["GET"]),
        Route("/jobs/ingest/{job_id}", patch_ingest_job, methods=["PATCH"]),
        Route("/jobs/ingest/{job_id}", delete_ingest_job, methods=["DELETE"]),
        Route("/jobs/ingest/{job_id}/batches", upload_batch, methods=["PUT"]),
        Route("/jobs/ingest/{job_id}/{result_kind}", ingest_results, methods=["GET"]),
        Route("/jobs/ingest/{job_id}/{result_kind}/", ingest_results, methods=["GET"]),
    ]
