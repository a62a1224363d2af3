"""The Salesforce client: the ONLY code that talks to Salesforce, through ONE request path.

Every method sends through ``SalesforceClient._request``, which is
:meth:`ringsync.salesforce.request_path.RequestPath.send` (bearer token, API budget, the error
table, retries, one single-flight refresh on 401); the Collections and Bulk API 2.0 helpers
get the same function. Salesforce JSON is parsed into typed results here, at the edge.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx2
import orjson

from ringsync.clock import Clock
from ringsync.errors import UnexpectedResponseError
from ringsync.salesforce.auth import Authenticator
from ringsync.salesforce.budget import ApiBudget, BudgetSnapshot
from ringsync.salesforce.bulk import BulkApi
from ringsync.salesforce.collections import CollectionsApi
from ringsync.salesforce.describe import DescribeCache, GlobalSObject, SObjectDescribe
from ringsync.salesforce.listviews import (
    ListViewDescribe,
    ListViewInfo,
    parse_describe,
    parse_list_views,
    parse_results,
)
from ringsync.salesforce.models import (
    BulkIngestResult,
    DeletedRecord,
    DeletedRecords,
    OrgLimits,
    Record,
    RecordResult,
    UpdatedIds,
    format_sf_datetime,
    parse_sf_datetime,
)
from ringsync.salesforce.request_path import RequestFn, RequestPath
from ringsync.salesforce.retry import RetryPolicy

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,79}")
_RECORD_ID = re.compile(r"[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?")


def check_name(name: str, what: str = "object") -> str:
    """Return ``name`` if it is a plain API name, so it can sit in a URL path safely."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"{what} name {name!r} is not a Salesforce API name")
    return name


def check_id(record_id: str) -> str:
    """Return ``record_id`` if it looks like a 15/18-character Salesforce id."""
    if not _RECORD_ID.fullmatch(record_id):
        raise ValueError("not a Salesforce record id")
    return record_id


class SalesforceClient:
    """Talk to one Salesforce org (or sfemu) over an injected ``httpx2.Client``."""

    def __init__(
        self,
        http: httpx2.Client,
        auth: Authenticator,
        *,
        api_version: str = "66.0",
        retry: RetryPolicy,
        budget: ApiBudget,
        clock: Clock,
        sleep: Callable[[float], None] = time.sleep,
        describe_cache: DescribeCache | None = None,
        call_client_id: str = "ringsync",
    ) -> None:
        """Wire the collaborators; nothing is fetched until the first call."""
        self.api_version = api_version
        self.retry = retry
        self.budget = budget
        self._describes = describe_cache or DescribeCache(clock)
        self._path = RequestPath(
            http,
            auth,
            api_version=api_version,
            retry=retry,
            budget=budget,
            clock=clock,
            sleep=sleep,
            call_client_id=call_client_id,
        )
        self._request: RequestFn = self._path.send
        self.collections = CollectionsApi(self._request, retry=retry, sleep=sleep)
        self.bulk = BulkApi(self._request, clock=clock, sleep=sleep)

    def _json(self, method: str, path: str, *, endpoint: str, **kwargs: Any) -> Any:
        """Send a call and return its parsed JSON body (None for an empty body)."""
        response = self._request(method, path, endpoint=endpoint, **kwargs)
        if not response.content:
            return None
        try:
            return orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            raise UnexpectedResponseError(
                f"Salesforce returned a body that is not JSON for {endpoint}",
                endpoint=endpoint,
                status=response.status_code,
            ) from exc

    # --- describe and limits -------------------------------------------------------------
    def describe(self, sobject: str) -> SObjectDescribe:
        """Return the object's describe, cached for the cache's TTL."""
        name = check_name(sobject)
        return self._describes.get(
            name,
            lambda: SObjectDescribe.from_json(
                self._json(
                    "GET",
                    f"sobjects/{name}/describe",
                    endpoint="sobjects/{sobject}/describe",
                    sobject=name,
                )
            ),
        )

    def describe_global(self) -> list[GlobalSObject]:
        """Return every object the integration user can see."""
        body = self._json("GET", "sobjects", endpoint="sobjects")
        if not isinstance(body, dict) or not isinstance(body.get("sobjects"), list):
            raise UnexpectedResponseError("Salesforce returned a malformed describe-global body")
        return [GlobalSObject.from_json(item) for item in body["sobjects"]]

    @property
    def budget_snapshot(self) -> BudgetSnapshot:
        """Return the API budget's current state."""
        return self.budget.snapshot()

    def limits(self) -> OrgLimits:
        """Return the org's limits (this call also refreshes the budget's org usage)."""
        return OrgLimits.from_json(self._json("GET", "limits", endpoint="limits"))

    # --- single records ------------------------------------------------------------------
    def get(self, sobject: str, record_id: str, fields: Sequence[str] | None = None) -> Record:
        """Return one record (only ``fields`` when given)."""
        name = check_name(sobject)
        params = {"fields": ",".join(check_name(f, "field") for f in fields)} if fields else None
        body = self._json(
            "GET",
            f"sobjects/{name}/{check_id(record_id)}",
            endpoint="sobjects/{sobject}/{id}",
            params=params,
            sobject=name,
            record_ids=[record_id],
        )
        return _strip_attributes(body)

    def create(self, sobject: str, fields: Mapping[str, Any]) -> RecordResult:
        """Create one record and return its result (not repeated after an unknown outcome)."""
        name = check_name(sobject)
        body = self._json(
            "POST",
            f"sobjects/{name}",
            endpoint="sobjects/{sobject}",
            json=dict(fields),
            sobject=name,
        )
        return RecordResult.from_json(body, default_created=True)

    def update(self, sobject: str, record_id: str, fields: Mapping[str, Any]) -> None:
        """Update one record's fields."""
        name = check_name(sobject)
        self._request(
            "PATCH",
            f"sobjects/{name}/{check_id(record_id)}",
            endpoint="sobjects/{sobject}/{id}",
            json=dict(fields),
            sobject=name,
            record_ids=[record_id],
        )

    def delete(self, sobject: str, record_id: str) -> None:
        """Move one record to the recycle bin."""
        name = check_name(sobject)
        self._request(
            "DELETE",
            f"sobjects/{name}/{check_id(record_id)}",
            endpoint="sobjects/{sobject}/{id}",
            sobject=name,
            record_ids=[record_id],
        )

    def upsert(
        self, sobject: str, external_field: str, value: str, fields: Mapping[str, Any]
    ) -> RecordResult:
        """Insert or update by an external id; the value is percent-encoded ('+' -> %2B)."""
        name = check_name(sobject)
        ext = check_name(external_field, "field")
        response = self._request(
            "PATCH",
            f"sobjects/{name}/{ext}/{quote(value, safe='')}",
            endpoint="sobjects/{sobject}/{external_field}/{value}",
            json=dict(fields),
            sobject=name,
        )
        if response.status_code == 204 or not response.content:
            return RecordResult(id=None, success=True, created=False)
        return RecordResult.from_json(
            orjson.loads(response.content), default_created=response.status_code == 201
        )

    # --- queries -------------------------------------------------------------------------
    def iter_query(
        self, soql: str, *, batch_size: int | None = None, include_deleted: bool = False
    ) -> Iterator[Record]:
        """Yield records lazily, following ``nextRecordsUrl`` one page at a time."""
        headers = {"Sforce-Query-Options": f"batchSize={int(batch_size)}"} if batch_size else None
        resource = "queryAll" if include_deleted else "query"
        body = self._json("GET", resource, endpoint=resource, params={"q": soql}, headers=headers)
        while True:
            if not isinstance(body, dict) or not isinstance(body.get("records"), list):
                raise UnexpectedResponseError("Salesforce returned a malformed query page")
            for raw in body["records"]:
                yield _strip_attributes(raw)
            next_url = body.get("nextRecordsUrl")
            if body.get("done", True) or not isinstance(next_url, str):
                return
            if not next_url.startswith("/services/data/"):
                raise UnexpectedResponseError("Salesforce returned an unexpected nextRecordsUrl")
            body = self._json("GET", next_url, endpoint=f"{resource}/{{locator}}", headers=headers)

    def query_all(
        self, soql: str, *, batch_size: int | None = None, include_deleted: bool = False
    ) -> list[Record]:
        """Return every record of a query as a list (built on :meth:`iter_query`)."""
        return list(self.iter_query(soql, batch_size=batch_size, include_deleted=include_deleted))

    def count(self, soql: str) -> int:
        """Return ``totalSize`` of a query (use ``SELECT COUNT() FROM ...``)."""
        body = self._json("GET", "query", endpoint="query", params={"q": soql})
        if not isinstance(body, dict) or not isinstance(body.get("totalSize"), int):
            raise UnexpectedResponseError("Salesforce returned a malformed count")
        total: int = body["totalSize"]
        return total

    # --- list views ----------------------------------------------------------------------
    def list_views(self, sobject: str) -> list[ListViewInfo]:
        """Return every list view of an object (following the list's next pages)."""
        name = check_name(sobject)
        endpoint = "sobjects/{sobject}/listviews"
        body = self._json("GET", f"sobjects/{name}/listviews", endpoint=endpoint, sobject=name)
        views, next_url = parse_list_views(body)
        while next_url is not None:
            if not next_url.startswith("/services/data/"):
                raise UnexpectedResponseError("Salesforce returned an unexpected nextRecordsUrl")
            more, next_url = parse_list_views(
                self._json("GET", next_url, endpoint=endpoint, sobject=name)
            )
            views += more
        return views

    def list_view_describe(self, sobject: str, view_id: str) -> ListViewDescribe:
        """Return a list view's columns and its full SOQL query."""
        name = check_name(sobject)
        body = self._json(
            "GET",
            f"sobjects/{name}/listviews/{check_id(view_id)}/describe",
            endpoint="sobjects/{sobject}/listviews/{id}/describe",
            sobject=name,
        )
        return parse_describe(body)

    def iter_list_view_results(
        self, sobject: str, view_id: str, *, page_size: int = 2000
    ) -> Iterator[dict[str, str | None]]:
        """Yield a list view's rows (cells keyed by field path), one page of results at a time."""
        name = check_name(sobject)
        path = f"sobjects/{name}/listviews/{check_id(view_id)}/results"
        offset = 0
        while True:
            page = parse_results(
                self._json(
                    "GET",
                    path,
                    endpoint="sobjects/{sobject}/listviews/{id}/results",
                    params={"limit": str(page_size), "offset": str(offset)},
                    sobject=name,
                )
            )
            yield from page.rows
            if page.done or not page.rows:
                return
            offset += len(page.rows)

    # --- replication ---------------------------------------------------------------------
    def get_updated(self, sobject: str, start: datetime, end: datetime) -> UpdatedIds:
        """Return ids updated in [start, end] and the latest date the answer covers."""
        name = check_name(sobject)
        body = self._json(
            "GET",
            f"sobjects/{name}/updated/",
            endpoint="sobjects/{sobject}/updated",
            params={"start": format_sf_datetime(start), "end": format_sf_datetime(end)},
            sobject=name,
        )
        if not isinstance(body, dict):
            raise UnexpectedResponseError("Salesforce returned a malformed getUpdated body")
        return UpdatedIds(
            ids=tuple(str(i) for i in body.get("ids") or []),
            latest_date_covered=parse_sf_datetime(body.get("latestDateCovered")),
        )

    def get_deleted(self, sobject: str, start: datetime, end: datetime) -> DeletedRecords:
        """Return records deleted in [start, end], with the window's bounds."""
        name = check_name(sobject)
        body = self._json(
            "GET",
            f"sobjects/{name}/deleted/",
            endpoint="sobjects/{sobject}/deleted",
            params={"start": format_sf_datetime(start), "end": format_sf_datetime(end)},
            sobject=name,
        )
        if not isinstance(body, dict):
            raise UnexpectedResponseError("Salesforce returned a malformed getDeleted body")
        earliest = body.get("earliestDateAvailable")
        return DeletedRecords(
            records=tuple(
                DeletedRecord(id=str(d["id"]), deleted_at=parse_sf_datetime(d.get("deletedDate")))
                for d in body.get("deletedRecords") or []
                if isinstance(d, dict) and "id" in d
            ),
            earliest_date_available=parse_sf_datetime(earliest) if earliest else None,
            latest_date_covered=parse_sf_datetime(body.get("latestDateCovered")),
        )

    # --- sObject Collections (delegated; same request path) ------------------------------
    def collections_create(
        self, sobject: str, records: Sequence[Mapping[str, Any]], *, all_or_none: bool = False
    ) -> list[RecordResult]:
        """Create records in calls of 200; return one result per record, in order."""
        return self.collections.create(check_name(sobject), records, all_or_none=all_or_none)

    def collections_update(
        self, sobject: str, records: Sequence[Mapping[str, Any]], *, all_or_none: bool = False
    ) -> list[RecordResult]:
        """Update records (each with ``Id``) in calls of 200; one result per record."""
        return self.collections.update(check_name(sobject), records, all_or_none=all_or_none)

    def collections_upsert(
        self,
        sobject: str,
        external_field: str,
        records: Sequence[Mapping[str, Any]],
        *,
        all_or_none: bool = False,
    ) -> list[RecordResult]:
        """Upsert records by an external id in calls of 200; one result per record."""
        return self.collections.upsert(
            check_name(sobject),
            check_name(external_field, "field"),
            records,
            all_or_none=all_or_none,
        )

    def collections_delete(
        self, record_ids: Sequence[str], *, all_or_none: bool = False
    ) -> list[RecordResult]:
        """Delete records by id in calls of 200; one result per id."""
        return self.collections.delete([check_id(i) for i in record_ids], all_or_none=all_or_none)

    # --- Bulk API 2.0 (delegated; same request path) --------------------------------------
    def bulk_query_iter(
        self, soql: str, *, include_deleted: bool = False, page_size: int = 25_000
    ) -> Iterator[dict[str, str | None]]:
        """Yield rows of a Bulk API 2.0 query job, one result page in memory at a time."""
        return self.bulk.query_iter(soql, include_deleted=include_deleted, page_size=page_size)

    def bulk_ingest(
        self,
        sobject: str,
        operation: str,
        rows: Sequence[Mapping[str, Any]],
        *,
        external_id_field: str | None = None,
    ) -> BulkIngestResult:
        """Run a Bulk API 2.0 ingest job and return every row's outcome."""
        return self.bulk.ingest(
            check_name(sobject),
            operation,
            rows,
            external_id_field=check_name(external_id_field, "field") if external_id_field else None,
        )


def _strip_attributes(raw: Any) -> Record:
    """Return a record without its top-level ``attributes`` block."""
    if not isinstance(raw, dict):
        raise UnexpectedResponseError("Salesforce returned a malformed record")
    record: Record = {k: v for k, v in raw.items() if k != "attributes"}
    return record


__all__ = ["SalesforceClient", "check_id", "check_name"]
