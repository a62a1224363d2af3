"""List view bodies parsed at the edge: the list of views, a view's describe, result pages.

Salesforce answers ``GET sobjects/{object}/listviews`` with ``listviews`` entries (id, label,
developerName, soqlCompatible, urls), ``.../listviews/{id}/describe`` with the view's columns
and its full SOQL ``query``, and ``.../listviews/{id}/results?limit=&offset=`` with rows whose
cells are ``{fieldNameOrPath, value}`` (values as strings; hidden columns such as Id included).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ringsync.errors import UnexpectedResponseError

# The select list of a list view query: plain field paths and functions such as toLabel(),
# never a subquery, so the first FROM after SELECT ends it.
_SELECT_LIST = re.compile(r"^\s*SELECT\s+(?P<fields>.+?)\s+FROM\s+", re.IGNORECASE | re.DOTALL)
_FIELD = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,79}")
_SUBQUERY = re.compile(r"\bSELECT\b", re.IGNORECASE)


@dataclass(frozen=True)
class ListViewInfo:
    """One list view of an object, as the list of views shows it."""

    id: str
    label: str
    developer_name: str
    soql_compatible: bool


@dataclass(frozen=True)
class ListViewDescribe:
    """What a list view selects and how: its columns and its full SOQL query."""

    id: str
    sobject: str
    query: str
    scope: str | None
    columns: tuple[str, ...]


@dataclass(frozen=True)
class ListViewPage:
    """One page of list view results: rows keyed by field path, and whether it is the last."""

    rows: tuple[dict[str, str | None], ...]
    done: bool


def _malformed(what: str) -> UnexpectedResponseError:
    return UnexpectedResponseError(f"Salesforce returned a malformed list view {what}")


def parse_list_views(body: Any) -> tuple[list[ListViewInfo], str | None]:
    """Return the views of one page of the list, and the next page's URL (None when done)."""
    if not isinstance(body, dict) or not isinstance(body.get("listviews"), list):
        raise _malformed("list")
    views: list[ListViewInfo] = []
    for raw in body["listviews"]:
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            raise _malformed("list entry")
        views.append(
            ListViewInfo(
                id=raw["id"],
                label=str(raw.get("label") or ""),
                developer_name=str(raw.get("developerName") or ""),
                soql_compatible=bool(raw.get("soqlCompatible")),
            )
        )
    next_url = body.get("nextRecordsUrl")
    if body.get("done", True) or not isinstance(next_url, str):
        return views, None
    return views, next_url


def parse_describe(body: Any) -> ListViewDescribe:
    """Return a view's describe (its query and column paths)."""
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        raise _malformed("describe")
    columns = body.get("columns")
    if not isinstance(columns, list):
        raise _malformed("describe")
    return ListViewDescribe(
        id=str(body.get("id") or ""),
        sobject=str(body.get("sobjectType") or ""),
        query=body["query"],
        scope=body.get("scope") if isinstance(body.get("scope"), str) else None,
        columns=tuple(
            str(c["fieldNameOrPath"])
            for c in columns
            if isinstance(c, dict) and c.get("fieldNameOrPath")
        ),
    )


def parse_results(body: Any) -> ListViewPage:
    """Return one results page with each row's cells keyed by field path."""
    if not isinstance(body, dict) or not isinstance(body.get("records"), list):
        raise _malformed("results page")
    rows: list[dict[str, str | None]] = []
    for record in body["records"]:
        cells = record.get("columns") if isinstance(record, dict) else None
        if not isinstance(cells, list):
            raise _malformed("results row")
        row: dict[str, str | None] = {}
        for cell in cells:
            if not isinstance(cell, dict) or not isinstance(cell.get("fieldNameOrPath"), str):
                raise _malformed("results cell")
            value = cell.get("value")
            row[cell["fieldNameOrPath"]] = None if value is None else str(value)
        rows.append(row)
    return ListViewPage(tuple(rows), done=bool(body.get("done", True)))


def with_select_list(query: str, fields: Sequence[str]) -> str | None:
    """Return the view's query selecting ``fields`` instead of its columns (None if unsure).

    The WHERE, scope and ORDER BY stay the view's own; only the select list changes, so the
    records are the view's records with the fields an import needs.
    """
    names = [f for f in fields if _FIELD.fullmatch(f)]
    if len(names) != len(fields) or not names:
        raise ValueError("list view fields must be plain API names")
    match = _SELECT_LIST.match(query)
    if match is None or _SUBQUERY.search(match.group("fields")):
        return None
    # The tail (FROM, WHERE, ORDER BY) is the query Salesforce composed for the view, sent back
    # as is; the names we put in front were checked above.
    return f"SELECT {', '.join(names)} FROM {query[match.end() :]}"  # noqa: S608 - see above


__all__ = [
    "ListViewDescribe",
    "ListViewInfo",
    "ListViewPage",
    "parse_describe",
    "parse_list_views",
    "parse_results",
    "with_select_list",
]
