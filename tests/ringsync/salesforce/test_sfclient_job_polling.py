"""Bulk job polling and malformed Collections answers, driven by a scripted fake request path."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import pytest

from ringsync.clock import FrozenClock
from ringsync.errors import FatalSyncError, UnavailableError, UnexpectedResponseError
from ringsync.salesforce.bulk import BulkApi
from ringsync.salesforce.collections import CollectionsApi
from ringsync.salesforce.retry import RetryPolicy


class ScriptedPath:
    """Answer calls from a script of (method, path-prefix) -> JSON bodies, recording each call."""

    def __init__(self, script: dict[tuple[str, str], list[Any]]) -> None:
        self.script = script
        self.calls: list[tuple[str, str]] = []

    def __call__(
        self,
        method: str,
        path: str,
        *,
        endpoint: str,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        sobject: str | None = None,
        record_ids: Sequence[str] | None = None,
        idempotent: bool | None = None,
    ) -> httpx2.Response:
        self.calls.append((method, path))
        answers = self.script[(method, path)]
        body = answers.pop(0) if len(answers) > 1 else answers[0]
        return httpx2.Response(200, json=body)


def _bulk(path: ScriptedPath, sleeps: list[float], clock: FrozenClock) -> BulkApi:
    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock.advance(seconds)

    return BulkApi(path, clock=clock, sleep=sleep, timeout=timedelta(seconds=60))


def test_polling_backs_off_and_gives_up_after_the_timeout() -> None:
    path = ScriptedPath(
        {
            ("POST", "jobs/query"): [{"id": "750A"}],
            ("GET", "jobs/query/750A"): [{"id": "750A", "state": "InProgress"}],
        }
    )
    sleeps: list[float] = []
    bulk = _bulk(path, sleeps, FrozenClock(datetime(2026, 1, 1, tzinfo=UTC)))
    with pytest.raises(UnavailableError, match="did not finish in time") as info:
        bulk.query_iter("SELECT Id FROM Lead")
    assert sleeps == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0, 10.0]
    assert info.value.context["state"] == "InProgress"


def test_failed_query_job_is_fatal_with_salesforce_reason() -> None:
    path = ScriptedPath(
        {
            ("POST", "jobs/query"): [{"id": "750B"}],
            ("GET", "jobs/query/750B"): [
                {"id": "750B", "state": "InProgress"},
                {"id": "750B", "state": "Failed", "errorMessage": "QUERY_TIMEOUT"},
            ],
        }
    )
    sleeps: list[float] = []
    bulk = _bulk(path, sleeps, FrozenClock(datetime(2026, 1, 1, tzinfo=UTC)))
    with pytest.raises(FatalSyncError, match="Bulk job 750B ended Failed: QUERY_TIMEOUT"):
        bulk.query_iter("SELECT Id FROM Lead")
    assert sleeps == [0.5]


def test_job_without_an_id_is_an_unexpected_response() -> None:
    path = ScriptedPath({("POST", "jobs/query"): [{"state": "UploadComplete"}]})
    bulk = _bulk(path, [], FrozenClock(datetime(2026, 1, 1, tzinfo=UTC)))
    with pytest.raises(UnexpectedResponseError, match="job without an id"):
        bulk.query_iter("SELECT Id FROM Lead")


def test_collections_answer_with_too_few_results_is_refused() -> None:
    path = ScriptedPath(
        {("PATCH", "composite/sobjects"): [[{"id": "00Q1", "success": True, "errors": []}]]}
    )
    api = CollectionsApi(path, retry=RetryPolicy.no_retry(), sleep=lambda _s: None)
    with pytest.raises(UnexpectedResponseError, match="different number of results"):
        api.update("Lead", [{"Id": "00Q1"}, {"Id": "00Q2"}], all_or_none=False)


def test_collections_refuse_records_without_keys() -> None:
    api = CollectionsApi(ScriptedPath({}), retry=RetryPolicy.no_retry(), sleep=lambda _s: None)
    with pytest.raises(ValueError, match="needs an Id"):
        api.update("Lead", [{"LastName": "x"}], all_or_none=False)
    with pytest.raises(ValueError, match="Ext__c"):
        api.upsert("Lead", "Ext__c", [{"Ext__c": ""}], all_or_none=False)
    with pytest.raises(ValueError, match="chunk_size"):
        CollectionsApi(ScriptedPath({}), retry=RetryPolicy(), sleep=lambda _s: None, chunk_size=201)
