"""sObject Collections (/composite/sobjects): up to 200 records per call, allOrNone, in order."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sfemu.errors import SalesforceError
from sfemu.http import json_response, read_json
from sfemu.journal import JournalScope
from sfemu.records import (
    create_record,
    delete_record,
    external_id_field,
    org_of,
    parse_fields_param,
    record_values,
    request_version,
    update_record,
    upsert_record,
)
from sfemu.state import emulator_state

MAX_RECORDS = 200
MAX_RETRIEVE_IDS = 2000
# Records of mixed types are processed in chunks of consecutive same-type records.
MAX_CHUNKS = 10
ROLLED_BACK = SalesforceError(
    "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "Record rolled back because not all records were valid and the request was using "
    "AllOrNone header",
)
LOCKED_MESSAGE = "unable to obtain exclusive access to this record"


def too_many_records(limit: int = MAX_RECORDS) -> SalesforceError:
    """Return the whole-request error for more records than one call takes."""
    return SalesforceError(
        "EXCEEDED_ID_LIMIT",
        f"record limit reached. cannot submit more than {limit} records into this call",
        include_fields=False,
    )


def lock_error() -> SalesforceError:
    """Return the per-record row-lock error (retryable)."""
    return SalesforceError("UNABLE_TO_LOCK_ROW", LOCKED_MESSAGE)


def _check_lock(request: Request, record_id: str) -> None:
    if emulator_state(request).faults.lock_error_for(record_id):
        raise lock_error()


def _parse_records(body: Any) -> tuple[list[Any], bool]:
    if not isinstance(body, dict) or not isinstance(body.get("records"), list):
        raise SalesforceError(
            "JSON_PARSER_ERROR", "The request body must be an object with a records array."
        )
    records: list[Any] = body["records"]
    if len(records) > MAX_RECORDS:
        raise too_many_records()
    return records, _truthy(body.get("allOrNone", False))


def check_chunks(records: list[Any]) -> None:
    """Refuse a create or update whose types change more often than ``MAX_CHUNKS`` chunks allow.

    A record's type is its ``attributes.type``, else its id's key prefix. The message is the
    platform's own; the whole request fails, nothing is written.
    """
    chunks = 0
    previous: object = object()
    for record in records:
        type_name = _type_of(record)
        key = type_name.lower() if type_name is not None else (_id_of(record) or "")[:3]
        if key != previous:
            chunks += 1
            previous = key
    if chunks > MAX_CHUNKS:
        raise SalesforceError(
            "INVALID_BATCH_REQUEST",
            f"Cannot have more than {MAX_CHUNKS} chunks in a single operation. "
            "Please rearrange the data to reduce chunking.",
            include_fields=False,
        )


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def _type_of(record: Any) -> str | None:
    attrs = record.get("attributes") if isinstance(record, dict) else None
    if isinstance(attrs, dict) and isinstance(attrs.get("type"), str):
        type_name: str = attrs["type"]
        return type_name
    return None


def _id_of(record: Any) -> str | None:
    if not isinstance(record, dict):
        return None
    for key, value in record.items():
        if key.lower() == "id" and isinstance(value, str) and value:
            return value
    return None


def _success(record_id: str | None, created: bool | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {"id": record_id, "success": True, "errors": []}
    if created is not None:
        result["created"] = created
    return result


def _failure(error: SalesforceError, record_id: str | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {"success": False, "errors": [error.collection_error()]}
    if record_id is not None:
        result = {"id": record_id, **result}
    return result


def run_each(
    request: Request,
    items: list[Any],
    all_or_none: bool,
    one: Callable[[Any], dict[str, Any]],
    id_hint: Callable[[Any], str | None],
) -> list[dict[str, Any]]:
    """Apply ``one`` to every item in order; with allOrNone, undo all when one fails."""
    results: list[dict[str, Any]] = []
    with JournalScope(request, needed=all_or_none) as journal:
        for item in items:
            try:
                results.append(one(item))
            except SalesforceError as exc:
                results.append(_failure(exc, id_hint(item)))
        failed = any(not r["success"] for r in results)
        if all_or_none and failed:
            journal.rollback(org_of(request))
            results = [
                _failure(ROLLED_BACK, id_hint(item)) if r["success"] else r
                for item, r in zip(items, results, strict=True)
            ]
    return results


# --- handlers ------------------------------------------------------------------------------


async def create_many(request: Request) -> Response:
    """Answer POST /composite/sobjects: create records of any types, in input order."""
    records, all_or_none = _parse_records(await read_json(request))
    check_chunks(records)

    def one(record: Any) -> dict[str, Any]:
        type_name = _type_of(record)
        if type_name is None:
            raise SalesforceError("INVALID_TYPE", "Must send a concrete entity type.")
        if _id_of(record) is not None:
            raise SalesforceError(
                "INVALID_FIELD", "cannot specify Id in an insert call", fields=["Id"]
            )
        obj = org_of(request).sobject(type_name)
        return _success(create_record(request, obj.name, record_values(record)))

    return json_response(run_each(request, records, all_or_none, one, lambda _r: None))


async def update_many(request: Request) -> Response:
    """Answer PATCH /composite/sobjects: update records by id, in input order."""
    records, all_or_none = _parse_records(await read_json(request))
    check_chunks(records)
    org = org_of(request)

    def one(record: Any) -> dict[str, Any]:
        raw_id = _id_of(record)
        if raw_id is None:
            raise SalesforceError("MISSING_ARGUMENT", "Id not specified in an update call")
        type_name = _type_of(record)
        record_id = org.normalize_id(raw_id, type_name)
        _check_lock(request, record_id)
        values = {k: v for k, v in record_values(record).items() if k.lower() != "id"}
        update_record(request, type_name, record_id, values)
        return _success(record_id)

    return json_response(run_each(request, records, all_or_none, one, _id_of))


async def upsert_many(request: Request) -> Response:
    """Answer PATCH /composite/sobjects/{sobject}/{ext_field}: upsert, results with created."""
    records, all_or_none = _parse_records(await read_json(request))
    org = org_of(request)
    obj = org.sobject(request.path_params["sobject"])
    field_name = external_id_field(org, obj.name, request.path_params["ext_field"])

    def one(record: Any) -> dict[str, Any]:
        values = record_values(record)
        ext_key = next((k for k in values if k.lower() == field_name.lower()), None)
        ext_value = values.pop(ext_key) if ext_key is not None else None
        if field_name == "Id":
            if not ext_value:
                return _success(create_record(request, obj.name, values), True)
            record_id = org.normalize_id(str(ext_value), obj.name)
            _check_lock(request, record_id)
            update_record(request, obj.name, record_id, values)
            return _success(record_id, False)
        if ext_value is None or ext_value == "":
            raise SalesforceError(
                "MISSING_ARGUMENT", f"{field_name} not specified", fields=[field_name]
            )
        matches = org.find_by_field(obj.name, field_name, ext_value)
        if len(matches) > 1:
            raise SalesforceError(
                "DUPLICATE_EXTERNAL_ID",
                f"{field_name}: more than one record found for external id field: "
                f"[{', '.join(matches)}]",
                fields=[field_name],
            )
        if matches:
            _check_lock(request, matches[0])
        values[field_name] = ext_value
        record_id, created = upsert_record(request, obj.name, field_name, str(ext_value), values)
        return _success(record_id, created)

    return json_response(run_each(request, records, all_or_none, one, lambda _r: None))


async def delete_many(request: Request) -> Response:
    """Answer DELETE /composite/sobjects?ids=&allOrNone=: delete by id, in input order."""
    raw = request.query_params.get("ids", "")
    ids = [part.strip() for part in raw.split(",") if part.strip()]
    if not ids:
        raise SalesforceError(
            "MISSING_ARGUMENT", "The ids parameter is required", include_fields=False
        )
    if len(ids) > MAX_RECORDS:
        raise too_many_records()
    all_or_none = _truthy(request.query_params.get("allOrNone", "false"))
    org = org_of(request)

    def one(raw_id: Any) -> dict[str, Any]:
        record_id = org.normalize_id(str(raw_id))
        _check_lock(request, record_id)
        delete_record(request, record_id)
        return _success(record_id)

    return json_response(run_each(request, ids, all_or_none, one, lambda i: str(i)))


def _retrieve(request: Request, ids: list[str], fields: list[str] | None) -> Response:
    org = org_of(request)
    obj = org.sobject(request.path_params["sobject"])
    if not ids:
        raise SalesforceError(
            "MISSING_ARGUMENT", "The ids parameter is required", include_fields=False
        )
    if not fields:
        raise SalesforceError(
            "MISSING_ARGUMENT", "The fields parameter is required", include_fields=False
        )
    if len(ids) > MAX_RETRIEVE_IDS:
        raise too_many_records(MAX_RETRIEVE_IDS)
    version = request_version(request)
    out: list[dict[str, Any] | None] = []
    for raw_id in ids:
        record_id = org.normalize_id(raw_id, obj.name)
        record = org.lookup(record_id)
        if record is None or record.get("IsDeleted"):
            out.append(None)
        else:
            out.append(org.render(record, version, fields))
    emulator_state(request).stats.count_records(read=sum(1 for r in out if r is not None))
    return json_response(out)


async def retrieve_get(request: Request) -> Response:
    """Answer GET /composite/sobjects/{sobject}?ids=&fields=: records or null, in order."""
    raw_ids = request.query_params.get("ids", "")
    ids = [part.strip() for part in raw_ids.split(",") if part.strip()]
    return _retrieve(request, ids, parse_fields_param(request.query_params.get("fields")))


async def retrieve_post(request: Request) -> Response:
    """Answer POST /composite/sobjects/{sobject} with {ids, fields}: like the GET form."""
    body = await read_json(request)
    if not isinstance(body, dict):
        raise SalesforceError("JSON_PARSER_ERROR", "The request body must be a JSON object.")
    ids = [str(i) for i in body.get("ids") or []]
    fields = [str(f) for f in body.get("fields") or []]
    return _retrieve(request, ids, fields or None)
