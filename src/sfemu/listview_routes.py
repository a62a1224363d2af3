"""List view REST resources (list, basic info, describe, results) and the admin API to add one.

Relative to /services/data/{version}:

* ``GET /sobjects/{sobject}/listviews``: the object's list views;
* ``GET /sobjects/{sobject}/listviews/{id}``: one view's basic information;
* ``GET /sobjects/{sobject}/listviews/{id}/describe``: columns, the SOQL query, order, scope;
* ``GET /sobjects/{sobject}/listviews/{id}/results?limit=&offset=``: one page of rows, each a
  list of ``{fieldNameOrPath, value}`` cells (values as strings), hidden columns included.

Admin: ``POST /__sfemu/list-views`` with ``{"sobject", "label", "developer_name", "columns",
"filter", "scope", "order_by", "descending", "soql_compatible"}`` defines a list view.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sfemu.admin import AdminError, admin_handler
from sfemu.errors import SalesforceError
from sfemu.http import json_response, parse_json_bytes
from sfemu.listviews import ListViewDef, define_list_view, describe_body, find_list_view, views_of
from sfemu.query import eval_context, run_query
from sfemu.records import request_version
from sfemu.state import LATEST_VERSION, EmulatorState, current_user_id, emulator_state

DEFAULT_LIMIT = 25
MAX_LIMIT = 2000


def _urls(version: str, view: ListViewDef) -> dict[str, str]:
    base = f"/services/data/v{version}/sobjects/{view.sobject}/listviews/{view.id}"
    return {"describeUrl": f"{base}/describe", "resultsUrl": f"{base}/results", "url": base}


def _entry(version: str, view: ListViewDef) -> dict[str, Any]:
    urls = _urls(version, view)
    return {
        "describeUrl": urls["describeUrl"],
        "developerName": view.developer_name,
        "id": view.id,
        "label": view.label,
        "resultsUrl": urls["resultsUrl"],
        "soqlCompatible": view.soql_compatible,
        "url": urls["url"],
    }


async def list_views(request: Request) -> Response:
    """Answer GET /sobjects/{sobject}/listviews with every list view of the object."""
    org = emulator_state(request).org
    obj = org.sobject(request.path_params["sobject"])
    version = request_version(request)
    views = views_of(org, obj.name)
    return json_response(
        {
            "done": True,
            "listviews": [_entry(version, v) for v in views],
            "nextRecordsUrl": None,
            "size": len(views),
            "sobjectType": obj.name,
        }
    )


def _view(request: Request) -> ListViewDef:
    org = emulator_state(request).org
    return find_list_view(org, request.path_params["sobject"], request.path_params["view_id"])


async def list_view(request: Request) -> Response:
    """Answer GET /sobjects/{sobject}/listviews/{id} with the view's basic information."""
    return json_response(_entry(request_version(request), _view(request)))


async def list_view_describe(request: Request) -> Response:
    """Answer GET .../listviews/{id}/describe: columns, query, order, scope."""
    view = _view(request)
    obj = emulator_state(request).org.sobject(view.sobject)
    return json_response(describe_body(view, obj, current_user_id(request)))


def _number(request: Request, name: str, default: int, low: int, high: int | None) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if value < low or (high is not None and value > high):
        top = f" and {high}" if high is not None else " or more"
        raise SalesforceError(
            "NUMBER_OUTSIDE_VALID_RANGE",
            f"{name} must be a whole number between {low}{top}: {raw}",
            include_fields=False,
        )
    return value


def _cell(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _path_value(row: Mapping[str, Any], path: str) -> Any:
    value: Any = row
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


async def list_view_results(request: Request) -> Response:
    """Answer GET .../listviews/{id}/results: one page of rows (limit 1-2000, default 25)."""
    state = emulator_state(request)
    view = _view(request)
    limit = _number(request, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    offset = _number(request, "offset", 0, 0, None)
    version = request_version(request)
    compiled, rows = run_query(
        state.org, view.soql(current_user_id(request)), all_rows=False, api_version=version
    )
    obj = state.org.sobject(view.sobject)
    columns = describe_body(view, obj, current_user_id(request))["columns"]
    names = [c["fieldNameOrPath"] for c in columns]
    ctx = eval_context(state.org, version)
    page = rows[offset : offset + limit]
    records = []
    for row in page:
        projected = compiled.project(row, ctx)
        records.append(
            {
                "columns": [
                    {"fieldNameOrPath": n, "value": _cell(_path_value(projected, n))} for n in names
                ]
            }
        )
    state.stats.count_records(read=len(records))
    return json_response(
        {
            "columns": columns,
            "developerName": view.developer_name,
            "done": offset + len(page) >= len(rows),
            "id": view.id,
            "label": view.label,
            "records": records,
            "size": len(records),
        }
    )


def listview_routes() -> list[BaseRoute]:
    """Return the list view routes (they must come before the ``{record_id}`` routes)."""
    base = "/sobjects/{sobject}/listviews"
    one = base + "/{view_id}"
    return [
        Route(base, list_views, methods=["GET"]),
        Route(base + "/", list_views, methods=["GET"]),
        Route(one, list_view, methods=["GET"]),
        Route(one + "/describe", list_view_describe, methods=["GET"]),
        Route(one + "/results", list_view_results, methods=["GET"]),
    ]


async def add_list_view(request: Request, state: EmulatorState) -> Response:
    """Define a list view (admin API); answer its REST entry."""
    raw = await request.body()
    try:
        data = parse_json_bytes(raw) if raw.strip() else {}
    except SalesforceError as exc:
        raise AdminError(f"the body is not valid JSON: {exc.message}") from exc
    if not isinstance(data, dict):
        raise AdminError("the body must be a JSON object")
    try:
        view = define_list_view(state.org, data)
    except ValueError as exc:
        raise AdminError(str(exc)) from exc
    return json_response(_entry(LATEST_VERSION, view), status=201)


def listview_admin_routes() -> list[BaseRoute]:
    """Return the admin API route that defines list views."""
    return [Route("/__sfemu/list-views", admin_handler(add_list_view), methods=["POST"])]


__all__ = ["listview_admin_routes", "listview_routes"]
