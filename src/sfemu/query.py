"""SOQL over REST: /query, /queryAll and nextRecordsUrl cursors that project pages lazily."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sfemu.errors import SalesforceError
from sfemu.http import json_response
from sfemu.ids import BASE62, to18
from sfemu.org import Org
from sfemu.records import request_version
from sfemu.soql import CompiledQuery, EvalContext, compile_query
from sfemu.state import EmulatorState, emulator_state

MIN_BATCH_SIZE = 200
MAX_BATCH_SIZE = 2000
CURSOR_LIFETIME = timedelta(days=2)
# Above this many open cursors the oldest are dropped (real orgs have no count limit since v56,
# but an emulator must not grow without bound).
MAX_OPEN_CURSORS = 2000
# ...and the oldest are also dropped while open cursors hold more rows than this in total.
MAX_CURSOR_ROWS = 5_000_000
CURSORS_KEY = "rest"
MODSTAMP = "SystemModstamp"


@dataclass
class Cursor:
    """The ordered matching records of one query and when the query ran."""

    query: CompiledQuery
    rows: Sequence[Mapping[str, Any]]
    created_at: datetime
    api_version: str
    batch_size: int


def invalid_locator() -> SalesforceError:
    """Return the error for an unknown, expired or malformed query locator."""
    return SalesforceError("INVALID_QUERY_LOCATOR", "invalid query locator", include_fields=False)


def eval_context(org: Org, api_version: str) -> EvalContext:
    """Return the SOQL evaluation context for this org at its current time."""
    return EvalContext(
        lookup=org.lookup,
        object_for_id=org.object_for_id,
        now=org.now(),
        api_version=api_version,
    )


def run_query(
    org: Org, text: str, *, all_rows: bool, api_version: str
) -> tuple[CompiledQuery, Sequence[Mapping[str, Any]]]:
    """Compile and run a SOQL query; return the query and its ordered matching records."""
    compiled = compile_query(text, org, all_rows=all_rows)
    return compiled, matching_rows(org, compiled, eval_context(org, api_version))


def _modstamp_order(compiled: CompiledQuery) -> bool | None:
    """Return True for ``ORDER BY SystemModstamp DESC, Id DESC``, False for ASC, else None.

    Only that exact order is served from the modstamp index: it is the index's own key order,
    and a tie on SystemModstamp alone would come out in another order than a scan's.
    """
    keys = compiled.order
    if len(keys) != 2 or any(k.path.hops for k in keys):
        return None
    if [k.path.field.name for k in keys] != [MODSTAMP, "Id"]:
        return None
    if keys[0].descending != keys[1].descending:
        return None
    return keys[0].descending


def matching_rows(org: Org, compiled: CompiledQuery, ctx: EvalContext) -> list[Mapping[str, Any]]:
    """Return a query's rows in order: from the modstamp index when it serves, else a scan.

    The index serves a WHERE that bounds SystemModstamp in a top-level AND, when the query
    counts or orders by (SystemModstamp, Id); rows come out exactly as the scan's would.
    """
    window = compiled.index_range(MODSTAMP)
    descending = _modstamp_order(compiled)
    if window is None or (descending is None and not compiled.is_count):
        records = org.iter_records(compiled.sobject.name, include_deleted=compiled.all_rows)
        return compiled.run(records, ctx)
    start = compiled.offset or 0
    end = None if compiled.limit is None else start + compiled.limit
    rows: list[Mapping[str, Any]] = list(
        org.modstamp_window(
            compiled.sobject.name,
            window,
            compiled.predicate(ctx),
            wanted=end,
            descending=bool(descending),
        )
    )
    return rows[start:end] if start or end is not None else rows


def batch_size_of(request: Request, default: int) -> int:
    """Read ``Sforce-Query-Options: batchSize=N`` (clamped to 200..2000)."""
    raw = request.headers.get("sforce-query-options", "")
    for part in raw.split(","):
        key, _, value = part.partition("=")
        if key.strip().lower() == "batchsize":
            try:
                size = int(value.strip())
            except ValueError:
                return default
            return max(MIN_BATCH_SIZE, min(MAX_BATCH_SIZE, size))
    return default


def _cursors(state: EmulatorState) -> dict[str, Cursor]:
    store = state.cursors.setdefault(CURSORS_KEY, {})
    cursors: dict[str, Cursor] = store
    return cursors


def _new_locator() -> str:
    tail = "".join(secrets.choice(BASE62) for _ in range(9))
    return to18("01g" + "Dn0" + tail)


def _forget_stale(cursors: dict[str, Cursor], now: datetime, incoming: int) -> None:
    for key in [k for k, c in cursors.items() if now - c.created_at > CURSOR_LIFETIME]:
        del cursors[key]
    held = incoming + sum(len(c.rows) for c in cursors.values())
    while cursors and (len(cursors) >= MAX_OPEN_CURSORS or held > MAX_CURSOR_ROWS):
        oldest = next(iter(cursors))
        held -= len(cursors.pop(oldest).rows)


def _page(state: EmulatorState, locator: str, cursor: Cursor, offset: int) -> dict[str, Any]:
    """Project one page from ``offset`` and drop the cursor when it was the last one."""
    ctx = eval_context(state.org, cursor.api_version)
    end = min(offset + cursor.batch_size, len(cursor.rows))
    project = cursor.query.project
    records = [project(cursor.rows[i], ctx) for i in range(offset, end)]
    state.stats.count_records(read=len(records))
    body: dict[str, Any] = {"totalSize": len(cursor.rows), "done": end >= len(cursor.rows)}
    if end < len(cursor.rows):
        body["nextRecordsUrl"] = f"/services/data/v{cursor.api_version}/query/{locator}-{end}"
    else:
        _cursors(state).pop(locator, None)
    body["records"] = records
    return body


def execute(request: Request, *, all_rows: bool) -> dict[str, Any]:
    """Run the ``q`` parameter and return the first page body."""
    text = request.query_params.get("q")
    if text is None or not text.strip():
        raise SalesforceError(
            "MALFORMED_QUERY", "A query string has to be specified", include_fields=False
        )
    state = emulator_state(request)
    version = request_version(request)
    compiled, rows = run_query(state.org, text, all_rows=all_rows, api_version=version)
    if compiled.is_count:
        return {"totalSize": len(rows), "done": True, "records": []}
    now = state.org.now()
    cursors = _cursors(state)
    _forget_stale(cursors, now, len(rows))
    size = batch_size_of(request, state.config.query_batch_size)
    cursor = Cursor(compiled, rows, now, version, size)
    locator = _new_locator()
    cursors[locator] = cursor
    return _page(state, locator, cursor, 0)


async def query(request: Request) -> Response:
    """Answer GET /query?q=: the first page of matching live records."""
    return json_response(execute(request, all_rows=False))


async def query_all(request: Request) -> Response:
    """Answer GET /queryAll?q=: like /query, deleted records included."""
    return json_response(execute(request, all_rows=True))


def next_page(request: Request) -> dict[str, Any]:
    """Return the page a ``<locator>-<offset>`` path segment names."""
    raw = request.path_params["locator"]
    locator, sep, offset_text = raw.rpartition("-")
    if not sep or not offset_text.isdigit():
        raise invalid_locator()
    state = emulator_state(request)
    cursor = _cursors(state).get(locator)
    if cursor is None or state.org.now() - cursor.created_at > CURSOR_LIFETIME:
        _cursors(state).pop(locator, None)
        raise invalid_locator()
    offset = int(offset_text)
    if offset >= len(cursor.rows):
        raise invalid_locator()
    return _page(state, locator, cursor, offset)


async def query_more(request: Request) -> Response:
    """Answer GET /query/{locator} (and /queryAll/{locator}): the next page."""
    return json_response(next_page(request))
