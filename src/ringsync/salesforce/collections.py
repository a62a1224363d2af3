"""sObject Collections writes: 200 records per call, per-record results, lock retries.

Salesforce answers a Collections call with one result per record, in order. Records that
failed only because a row was locked (UNABLE_TO_LOCK_ROW) are sent again, alone, after a
jittered backoff, a bounded number of times; every other outcome is final and returned.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import orjson

from ringsync.errors import UnexpectedResponseError
from ringsync.salesforce.models import RecordResult
from ringsync.salesforce.request_path import RequestFn
from ringsync.salesforce.retry import RetryPolicy

MAX_RECORDS_PER_CALL = 200
LOCKED = "UNABLE_TO_LOCK_ROW"
ROLLED_BACK = "ALL_OR_NONE_OPERATION_ROLLED_BACK"

T = TypeVar("T")


class CollectionsApi:
    """Create, update, upsert and delete through ``/composite/sobjects``."""

    def __init__(
        self,
        request: RequestFn,
        *,
        retry: RetryPolicy,
        sleep: Callable[[float], None],
        chunk_size: int = MAX_RECORDS_PER_CALL,
    ) -> None:
        """Send through ``request``; back off lock retries with ``retry`` and ``sleep``."""
        if not 1 <= chunk_size <= MAX_RECORDS_PER_CALL:
            raise ValueError("chunk_size must be between 1 and 200")
        self._request = request
        self._retry = retry
        self._sleep = sleep
        self._chunk = chunk_size

    def create(
        self, sobject: str, records: Sequence[Mapping[str, Any]], *, all_or_none: bool
    ) -> list[RecordResult]:
        """Create records; results carry new ids and ``created=True`` on success."""
        payload = [_typed(sobject, r) for r in records]

        def send(batch: list[dict[str, Any]]) -> list[RecordResult]:
            return self._send(
                "POST",
                "composite/sobjects",
                endpoint="composite/sobjects",
                body={"allOrNone": all_or_none, "records": batch},
                sobject=sobject,
                created=True,
            )

        return self._run(payload, send, all_or_none=all_or_none)

    def update(
        self, sobject: str, records: Sequence[Mapping[str, Any]], *, all_or_none: bool
    ) -> list[RecordResult]:
        """Update records; each must carry its ``Id``."""
        if any(not r.get("Id") for r in records):
            raise ValueError("every record to update needs an Id")
        payload = [_typed(sobject, r) for r in records]

        def send(batch: list[dict[str, Any]]) -> list[RecordResult]:
            return self._send(
                "PATCH",
                "composite/sobjects",
                endpoint="composite/sobjects",
                body={"allOrNone": all_or_none, "records": batch},
                sobject=sobject,
                record_ids=[str(r["Id"]) for r in batch],
            )

        return self._run(payload, send, all_or_none=all_or_none)

    def upsert(
        self,
        sobject: str,
        external_field: str,
        records: Sequence[Mapping[str, Any]],
        *,
        all_or_none: bool,
    ) -> list[RecordResult]:
        """Upsert records matched on ``external_field``; results say whether each was created."""
        if any(r.get(external_field) in (None, "") for r in records):
            raise ValueError(f"every record to upsert needs a value in {external_field}")
        payload = [_typed(sobject, r) for r in records]

        def send(batch: list[dict[str, Any]]) -> list[RecordResult]:
            return self._send(
                "PATCH",
                f"composite/sobjects/{sobject}/{external_field}",
                endpoint="composite/sobjects/{sobject}/{external_field}",
                body={"allOrNone": all_or_none, "records": batch},
                sobject=sobject,
            )

        return self._run(payload, send, all_or_none=all_or_none)

    def delete(self, record_ids: Sequence[str], *, all_or_none: bool) -> list[RecordResult]:
        """Delete records by id."""

        def send(batch: list[str]) -> list[RecordResult]:
            response = self._request(
                "DELETE",
                "composite/sobjects",
                endpoint="composite/sobjects",
                params={"ids": ",".join(batch), "allOrNone": str(all_or_none).lower()},
                record_ids=batch,
            )
            return _parse_results(response.content, expected=len(batch), created=False)

        return self._run(list(record_ids), send, all_or_none=all_or_none)

    # --- internals -----------------------------------------------------------------------
    def _send(
        self,
        method: str,
        path: str,
        *,
        endpoint: str,
        body: dict[str, Any],
        sobject: str,
        created: bool = False,
        record_ids: list[str] | None = None,
    ) -> list[RecordResult]:
        """Send one Collections call and parse its per-record results."""
        response = self._request(
            method, path, endpoint=endpoint, json=body, sobject=sobject, record_ids=record_ids
        )
        return _parse_results(response.content, expected=len(body["records"]), created=created)

    def _run(
        self,
        items: list[T],
        send: Callable[[list[T]], list[RecordResult]],
        *,
        all_or_none: bool,
    ) -> list[RecordResult]:
        """Send items in chunks; re-send only lock failures; return results in input order."""
        results: list[RecordResult | None] = [None] * len(items)
        for start in range(0, len(items), self._chunk):
            pending = list(range(start, min(len(items), start + self._chunk)))
            rounds = 0
            while pending:
                outcomes = send([items[i] for i in pending])
                for index, outcome in zip(pending, outcomes, strict=True):
                    results[index] = outcome
                again = _lock_retries(pending, outcomes, all_or_none=all_or_none)
                if not again or rounds + 1 >= self._retry.max_attempts:
                    break
                self._sleep(self._retry.delay(rounds))
                rounds += 1
                pending = again
        final = [r for r in results if r is not None]
        if len(final) != len(items):
            raise UnexpectedResponseError("Salesforce left some records without a result")
        return final


def _lock_retries(
    pending: list[int], outcomes: list[RecordResult], *, all_or_none: bool
) -> list[int]:
    """Return the indexes worth re-sending: records that failed only on a locked row."""
    locked = [i for i, r in zip(pending, outcomes, strict=True) if _is_locked(r)]
    if not all_or_none or not locked:
        return locked
    # All-or-none: every record failed; retry the whole set only if locks caused it.
    if all(r.success or _is_locked(r) or ROLLED_BACK in r.error_codes for r in outcomes):
        return list(pending)
    return []


def _is_locked(result: RecordResult) -> bool:
    """Tell whether a record failed only because its row was locked."""
    return not result.success and bool(result.errors) and set(result.error_codes) == {LOCKED}


def _typed(sobject: str, record: Mapping[str, Any]) -> dict[str, Any]:
    """Return a record with the ``attributes.type`` Collections needs."""
    out: dict[str, Any] = {"attributes": {"type": sobject}}
    out.update((k, v) for k, v in record.items() if k != "attributes")
    return out


def _parse_results(content: bytes, *, expected: int, created: bool) -> list[RecordResult]:
    """Parse a Collections response into one result per record, checking the count."""
    try:
        body = orjson.loads(content)
    except orjson.JSONDecodeError as exc:
        raise UnexpectedResponseError(
            "Salesforce returned a Collections body that is not JSON"
        ) from exc
    if not isinstance(body, list) or len(body) != expected:
        raise UnexpectedResponseError(
            "Salesforce returned a different number of results than records sent",
            expected=expected,
        )
    return [RecordResult.from_json(item, default_created=created) for item in body]


__all__ = ["MAX_RECORDS_PER_CALL", "CollectionsApi"]
