"""sObject resources: describe, single-record CRUD, upsert by external id, getUpdated/getDeleted."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sfemu import describe
from sfemu.errors import MultipleMatchesError, SalesforceError, not_found
from sfemu.http import json_response, read_json
from sfemu.journal import journal_for
from sfemu.org import Org
from sfemu.state import LATEST_VERSION, current_user_id, emulator_state

# The `created` key of upsert results (and 200 on update) exists from this version on.
UPSERT_CREATED_SINCE = 46.0


def request_version(request: Request) -> str:
    """Return the API version of the request path as ``"59.0"``."""
    raw = str(request.path_params.get("version", "")).lstrip("vV")
    return raw or LATEST_VERSION


def org_of(request: Request) -> Org:
    """Return the org this request works on."""
    return emulator_state(request).org


def record_values(body: Any) -> dict[str, Any]:
    """Return the field values of a JSON record body, or raise JSON_PARSER_ERROR."""
    if not isinstance(body, dict):
        raise SalesforceError(
            "JSON_PARSER_ERROR",
            "Cannot deserialize instance of SObject from a non-object value",
        )
    return {k: v for k, v in body.items() if k != "attributes"}


def parse_fields_param(raw: str | None) -> list[str] | None:
    """Split a ``fields=A,B`` parameter into names, or None when absent."""
    if raw is None:
        return None
    names = [part.strip() for part in raw.split(",") if part.strip()]
    return names or None


def looks_like_id(segment: str) -> bool:
    """Tell whether a path segment has the shape of a 15- or 18-char record id."""
    return len(segment) in (15, 18) and segment.isalnum()


def unknown_external_field(segment: str) -> SalesforceError:
    """Return the 404 Salesforce answers when a path segment is neither an id nor an id field."""
    return SalesforceError(
        "NOT_FOUND",
        f"Provided external ID field does not exist or is not accessible: {segment}",
        status=404,
        include_fields=False,
    )


def parse_replication_time(raw: str | None, name: str) -> datetime:
    """Parse a getUpdated/getDeleted ``start``/``end`` parameter (ISO 8601, UTC assumed)."""
    if not raw:
        raise SalesforceError(
            "MISSING_ARGUMENT", f"{name} parameter is required", include_fields=False
        )
    text = raw.strip().replace(" ", "+")
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    if len(text) >= 5 and text[-5] in "+-" and text[-3] != ":":
        text = f"{text[:-2]}:{text[-2:]}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise SalesforceError(
            "INVALID_REPLICATION_DATE",
            f"Invalid value for {name}: {raw}",
            include_fields=False,
        ) from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


# --- write primitives shared with collections, composite and bulk ---------------------------


def create_record(request: Request, sobject: str, values: Mapping[str, Any]) -> str:
    """Create one record as the caller, note it in the open journal, count it."""
    state = emulator_state(request)
    new_id = state.org.create(sobject, values, user_id=current_user_id(request))
    journal = journal_for(request)
    if journal is not None:
        journal.created(new_id)
    state.stats.count_records(written=1)
    return new_id


def update_record(
    request: Request, sobject: str | None, record_id: str, values: Mapping[str, Any]
) -> None:
    """Update one record as the caller, keeping its before-image in the open journal."""
    state = emulator_state(request)
    journal = journal_for(request)
    if journal is not None:
        journal.before_change(state.org, record_id)
    state.org.update(sobject, record_id, values, user_id=current_user_id(request))
    state.stats.count_records(written=1)


def upsert_record(
    request: Request, sobject: str, ext_field: str, ext_value: str, values: Mapping[str, Any]
) -> tuple[str, bool]:
    """Upsert one record by external id; return (id, created)."""
    state = emulator_state(request)
    journal = journal_for(request)
    if journal is not None:
        for existing in state.org.find_by_field(sobject, ext_field, ext_value):
            journal.before_change(state.org, existing)
    record_id, created = state.org.upsert(
        sobject, ext_field, ext_value, values, user_id=current_user_id(request)
    )
    if journal is not None and created:
        journal.created(record_id)
    state.stats.count_records(written=1)
    return record_id, created


def delete_record(request: Request, record_id: str, sobject: str | None = None) -> None:
    """Delete one record (to the recycle bin), keeping its before-image in the open journal."""
    state = emulator_state(request)
    journal = journal_for(request)
    if journal is not None:
        journal.before_change(state.org, record_id)
    state.org.delete(record_id, sobject=sobject, user_id=current_user_id(request))
    state.stats.count_records(written=1)


def external_id_field(org: Org, sobject: str, name: str) -> str:
    """Return the canonical name of an external-id (or Id) field, or raise the 404."""
    obj = org.sobject(sobject)
    fdef = obj.field(name)
    if fdef is None or not (fdef.external_id or fdef.name == "Id"):
        raise unknown_external_field(name)
    return fdef.name


# --- describe ----------------------------------------------------------------------------------


def unmodified_since(request: Request, changed_at: datetime) -> bool:
    """Tell whether ``If-Modified-Since`` names a time at or after ``changed_at`` (to the second).

    A missing or unparseable header counts as "modified", so the full describe is sent.
    """
    raw = request.headers.get("if-modified-since")
    if not raw:
        return False
    try:
        since = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return changed_at.replace(microsecond=0) <= since


async def describe_global(request: Request) -> Response:
    """Answer GET /sobjects with every object's describe-global entry (304 when unchanged)."""
    version = request_version(request)
    org = org_of(request)
    if unmodified_since(request, org.schema_modified_at()):
        return Response(status_code=304)
    return json_response(describe.describe_global(org.sobjects(), version))


async def sobject_basic(request: Request) -> Response:
    """Answer GET /sobjects/{sobject} with the object's summary and recent items."""
    version = request_version(request)
    obj = org_of(request).sobject(request.path_params["sobject"])
    return json_response({"objectDescribe": describe.global_entry(obj, version), "recentItems": []})


async def sobject_describe(request: Request) -> Response:
    """Answer GET /sobjects/{sobject}/describe with the full describe (304 when unchanged)."""
    version = request_version(request)
    obj = org_of(request).sobject(request.path_params["sobject"])
    if unmodified_since(request, org_of(request).schema_modified_at(obj.name)):
        return Response(status_code=304)
    return json_response(describe.describe_sobject(obj, version, org_of(request).sobjects()))


# --- single records ------------------------------------------------------------------------


async def create(request: Request) -> Response:
    """Answer POST /sobjects/{sobject}: create a record, 201 with its id."""
    org = org_of(request)
    obj = org.sobject(request.path_params["sobject"])
    values = record_values(await read_json(request))
    new_id = create_record(request, obj.name, values)
    version = request_version(request)
    return json_response(
        {"id": new_id, "success": True, "errors": []},
        status=201,
        headers={"Location": f"/services/data/v{version}/sobjects/{obj.name}/{new_id}"},
    )


async def get_record(request: Request) -> Response:
    """Answer GET /sobjects/{sobject}/{id}: the record with every (or the chosen) field."""
    org = org_of(request)
    obj = org.sobject(request.path_params["sobject"])
    segment = request.path_params["record_id"]
    if not looks_like_id(segment):
        raise unknown_external_field(segment)
    record_id = org.normalize_id(segment, obj.name)
    record = org.get(record_id)
    fields = parse_fields_param(request.query_params.get("fields"))
    emulator_state(request).stats.count_records(read=1)
    return json_response(org.render(record, request_version(request), fields))


async def update(request: Request) -> Response:
    """Answer PATCH /sobjects/{sobject}/{id}: update, 204."""
    org = org_of(request)
    obj = org.sobject(request.path_params["sobject"])
    segment = request.path_params["record_id"]
    if not looks_like_id(segment):
        raise unknown_external_field(segment)
    record_id = org.normalize_id(segment, obj.name)
    values = record_values(await read_json(request))
    update_record(request, obj.name, record_id, values)
    return Response(status_code=204)


async def delete(request: Request) -> Response:
    """Answer DELETE /sobjects/{sobject}/{id}: move to the recycle bin, 204."""
    org = org_of(request)
    obj = org.sobject(request.path_params["sobject"])
    segment = request.path_params["record_id"]
    if not looks_like_id(segment):
        raise unknown_external_field(segment)
    record_id = org.normalize_id(segment, obj.name)
    delete_record(request, record_id, obj.name)
    return Response(status_code=204)


async def create_by_id_path(request: Request) -> Response:
    """Answer POST /sobjects/{sobject}/Id (v37+): create, like POST /sobjects/{sobject}."""
    if request.path_params["record_id"].lower() != "id":
        raise SalesforceError(
            "METHOD_NOT_ALLOWED",
            "HTTP Method 'POST' not allowed. Allowed are HEAD,GET,PATCH,DELETE",
            status=405,
            include_fields=False,
        )
    return await create(request)


# --- external ids --------------------------------------------------------------------------


def _ext_target(request: Request) -> tuple[Org, str, str, str]:
    org = org_of(request)
    obj = org.sobject(request.path_params["sobject"])
    field_name = external_id_field(org, obj.name, request.path_params["ext_field"])
    value = str(request.path_params["ext_value"])
    return org, obj.name, field_name, value


async def get_by_external_id(request: Request) -> Response:
    """Answer GET /sobjects/{sobject}/{field}/{value}: the matching record, or 300 when several."""
    org, sobject, field_name, value = _ext_target(request)
    version = request_version(request)
    if field_name == "Id":
        ids = [org.normalize_id(value, sobject)]
    else:
        ids = org.find_by_field(sobject, field_name, value)
    if not ids:
        raise not_found()
    if len(ids) > 1:
        return _multiple_choices(version, sobject, ids)
    record = org.get(ids[0])
    fields = parse_fields_param(request.query_params.get("fields"))
    emulator_state(request).stats.count_records(read=1)
    return json_response(org.render(record, version, fields))


async def upsert(request: Request) -> Response:
    """Answer PATCH /sobjects/{sobject}/{field}/{value}: upsert by external id."""
    org, sobject, field_name, value = _ext_target(request)
    version = request_version(request)
    values = record_values(await read_json(request))
    if field_name == "Id":
        return await _upsert_by_id(request, sobject, value, values)
    existing = org.find_by_field(sobject, field_name, value)
    if len(existing) > 1:
        return _multiple_choices(version, sobject, existing)
    update_only = request.query_params.get("updateOnly", "").lower() == "true"
    if update_only and not existing:
        raise not_found()
    try:
        record_id, created = upsert_record(request, sobject, field_name, value, values)
    except MultipleMatchesError as exc:
        return _multiple_choices(version, sobject, exc.ids)
    return _upsert_response(version, record_id, created)


def _multiple_choices(version: str, sobject: str, ids: list[str]) -> Response:
    return json_response(
        [f"/services/data/v{version}/sobjects/{sobject}/{rid}" for rid in ids], status=300
    )


async def _upsert_by_id(
    request: Request, sobject: str, value: str, values: dict[str, Any]
) -> Response:
    version = request_version(request)
    if not value:
        return _upsert_response(version, create_record(request, sobject, values), True)
    record_id = org_of(request).normalize_id(value, sobject)
    update_record(request, sobject, record_id, values)
    return _upsert_response(version, record_id, False)


def _upsert_response(version: str, record_id: str, created: bool) -> Response:
    if created:
        body: dict[str, Any] = {"id": record_id, "success": True, "errors": []}
        if float(version) >= UPSERT_CREATED_SINCE:
            body["created"] = True
        return json_response(body, status=201)
    if float(version) < UPSERT_CREATED_SINCE:
        return Response(status_code=204)
    return json_response({"id": record_id, "success": True, "errors": [], "created": False})


# --- replication ---------------------------------------------------------------------------


async def get_updated(request: Request) -> Response:
    """Answer GET /sobjects/{sobject}/updated?start&end (getUpdated)."""
    org = org_of(request)
    obj = org.sobject(request.path_params["sobject"])
    start = parse_replication_time(request.query_params.get("start"), "start")
    end = parse_replication_time(request.query_params.get("end"), "end")
    return json_response(org.get_updated(obj.name, start, end))


async def get_deleted(request: Request) -> Response:
    """Answer GET /sobjects/{sobject}/deleted?start&end (getDeleted)."""
    org = org_of(request)
    obj = org.sobject(request.path_params["sobject"])
    start = parse_replication_time(request.query_params.get("start"), "start")
    end = parse_replication_time(request.query_params.get("end"), "end")
    return json_response(org.get_deleted(obj.name, start, end))
