"""The one request path under sfemu's faults: retries, lock retries, limits, expired sessions."""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable
from typing import Any

import httpx2
import pytest

from ringsync.errors import RateLimitedError, UnavailableError
from ringsync.salesforce.client import SalesforceClient
from ringsync.salesforce.retry import RetryPolicy

MakeClient = Callable[..., SalesforceClient]
FakeSleep = Any  # conftest's recording sleep: .calls lists requested waits


def _leads(count: int) -> list[dict[str, Any]]:
    return [
        {"LastName": f"L{n}", "Company": "Acme", "Phone": f"+1415555{n:04d}"} for n in range(count)
    ]


def _expected_delays(seed: int, count: int, base: float, cap: float) -> list[float]:
    rng = random.Random(seed)  # mirrors the policy's jitter
    return [rng.uniform(0, min(cap, base * 2**n)) for n in range(count)]


@pytest.mark.parametrize("kind", ["http_500", "http_503"])
def test_server_errors_are_retried_with_seeded_full_jitter(
    sf_client: SalesforceClient,
    sf_state: Any,
    sf_http: httpx2.Client,
    fake_sleep: FakeSleep,
    kind: str,
) -> None:
    sf_client.limits()  # log in first, so only the query below meets the fault
    sf_state.faults.add({"kind": kind, "endpoint": "query", "count": 2})
    sent: list[str] = []
    sf_http.event_hooks["request"].append(lambda request: sent.append(request.url.path))
    assert sf_client.query_all("SELECT Id FROM Lead") == []
    assert fake_sleep.calls == _expected_delays(11, 2, 0.5, 8.0)
    assert sent == ["/services/data/v66.0/query"] * 3


def test_retries_stop_after_max_attempts_with_a_clear_error(
    sf_client: SalesforceClient, sf_state: Any, fake_sleep: FakeSleep
) -> None:
    sf_client.limits()
    sf_state.faults.add({"kind": "http_503", "endpoint": "query"})
    with pytest.raises(UnavailableError, match="SERVER_UNAVAILABLE") as info:
        sf_client.query_all("SELECT Id FROM Lead")
    assert info.value.context["attempts"] == 4
    assert info.value.context["endpoint"] == "query"
    assert len(fake_sleep.calls) == 3
    assert "SELECT" not in str(info.value)  # no query text in errors


def test_total_time_cap_stops_retrying_early(
    make_client: MakeClient, sf_state: Any, fake_sleep: FakeSleep
) -> None:
    client = make_client(retry=RetryPolicy.seeded(1, max_attempts=50, base_delay=10, total_time=15))
    client.limits()
    sf_state.faults.add({"kind": "http_500", "endpoint": "limits"})
    with pytest.raises(UnavailableError):
        client.limits()
    assert sum(fake_sleep.calls) <= 15
    assert len(fake_sleep.calls) < 49


def test_request_limit_pauses_the_budget_without_retrying(
    sf_client: SalesforceClient, sf_state: Any, fake_sleep: FakeSleep
) -> None:
    sf_client.limits()
    sf_state.faults.add({"kind": "request_limit", "endpoint": "query", "count": 1})
    with pytest.raises(RateLimitedError, match="REQUEST_LIMIT_EXCEEDED") as info:
        sf_client.query_all("SELECT Id FROM Lead")
    assert info.value.context["status"] == 403
    assert fake_sleep.calls == []
    assert sf_client.budget.should_pause_background()


def test_daily_limit_exhausted_in_the_org(sf_client: SalesforceClient, sf_org: Any) -> None:
    sf_client.limits()
    sf_org.daily_api_limit = 1
    with pytest.raises(RateLimitedError):
        sf_client.limits()
    snap = sf_client.budget.snapshot()
    assert snap.paused
    assert snap.resume_at is not None


def test_expired_session_refreshes_once_and_repeats_the_call(
    sf_client: SalesforceClient, sf_state: Any, token_posts: list[str]
) -> None:
    sf_client.limits()
    sf_state.tokens.expire_all()
    sf_client.limits()
    assert len(token_posts) == 2
    assert all("grant_type=password" in body for body in token_posts)


def test_session_that_stays_invalid_is_an_auth_error_after_one_refresh(
    sf_client: SalesforceClient, sf_state: Any, token_posts: list[str]
) -> None:
    sf_client.limits()
    sf_state.faults.add({"kind": "session_expiry", "endpoint": "limits"})
    with pytest.raises(Exception, match="INVALID_SESSION_ID") as info:
        sf_client.limits()
    assert info.value.__class__.__name__ == "AuthError"
    assert len(token_posts) == 2  # the first login and exactly one refresh


def _record_bodies(http: httpx2.Client, path: str) -> list[Any]:
    bodies: list[Any] = []

    def hook(request: httpx2.Request) -> None:
        if request.url.path.endswith(path) and request.method in {"PATCH", "POST"}:
            bodies.append(json.loads(request.content))

    http.event_hooks["request"].append(hook)
    return bodies


def test_collections_retry_only_the_locked_record(
    sf_client: SalesforceClient, sf_state: Any, sf_http: httpx2.Client, fake_sleep: FakeSleep
) -> None:
    created = sf_client.collections_create("Lead", _leads(5))
    ids = [r.id for r in created]
    assert all(r.success and r.created for r in created)
    sf_state.faults.add({"kind": "unable_to_lock_row", "record_ids": [ids[2]], "count": 1})
    bodies = _record_bodies(sf_http, "/composite/sobjects")
    updates = [{"Id": i, "Title": "Updated"} for i in ids]
    results = sf_client.collections_update("Lead", updates)
    assert [r.success for r in results] == [True] * 5
    assert [r.id for r in results] == ids
    assert [len(b["records"]) for b in bodies] == [5, 1]
    assert bodies[1]["records"][0]["Id"] == ids[2]
    assert len(fake_sleep.calls) == 1
    titles = {r["Id"]: r["Title"] for r in sf_client.query_all("SELECT Id, Title FROM Lead")}
    assert set(titles.values()) == {"Updated"}


def test_a_lock_that_never_clears_is_reported_for_that_record_only(
    sf_client: SalesforceClient, sf_state: Any, fake_sleep: FakeSleep
) -> None:
    ids = [r.id for r in sf_client.collections_create("Lead", _leads(3))]
    sf_state.faults.add({"kind": "unable_to_lock_row", "record_ids": [ids[0]]})
    results = sf_client.collections_update("Lead", [{"Id": i, "Title": "T"} for i in ids])
    assert [r.success for r in results] == [False, True, True]
    assert results[0].error_codes == ("UNABLE_TO_LOCK_ROW",)
    assert len(fake_sleep.calls) == 3  # max_attempts=4 -> 3 waits


def test_collections_chunk_above_200_and_keep_order(
    sf_client: SalesforceClient, sf_state: Any
) -> None:
    sf_state.stats.reset()
    results = sf_client.collections_create("Lead", _leads(450))
    assert len(results) == 450
    assert sf_state.stats.calls_to("composite/sobjects", "POST") == 3
    rows = sf_client.query_all("SELECT Id, Phone FROM Lead")
    by_id = {r["Id"]: r["Phone"] for r in rows}
    assert [by_id[r.id] for r in results[:3] if r.id] == [
        "+14155550000",
        "+14155550001",
        "+14155550002",
    ]


def test_collections_report_each_failure_in_place(sf_client: SalesforceClient) -> None:
    records = _leads(3)
    del records[1]["Company"]
    results = sf_client.collections_create("Lead", records)
    assert [r.success for r in results] == [True, False, True]
    assert results[1].id is None
    assert not results[1].created
    assert results[1].error_codes == ("REQUIRED_FIELD_MISSING",)
    assert results[1].errors[0].fields == ("Company",)


def test_collections_all_or_none_rolls_back(sf_client: SalesforceClient) -> None:
    records = _leads(2)
    del records[0]["Company"]
    results = sf_client.collections_create("Lead", records, all_or_none=True)
    assert [r.success for r in results] == [False, False]
    assert results[1].error_codes == ("ALL_OR_NONE_OPERATION_ROLLED_BACK",)
    assert sf_client.count("SELECT COUNT() FROM Lead") == 0


def test_collections_upsert_and_delete(sf_client: SalesforceClient, sf_org: Any) -> None:
    sf_org.add_custom_field(
        "Lead", "Phone_E164", "string", length=40, external_id=True, unique=True
    )
    rows = [dict(r, Phone_E164__c=r["Phone"]) for r in _leads(3)]
    first = sf_client.collections_upsert("Lead", "Phone_E164__c", rows)
    assert [r.created for r in first] == [True, True, True]
    second = sf_client.collections_upsert("Lead", "Phone_E164__c", rows)
    assert [r.created for r in second] == [False, False, False]
    assert [r.id for r in second] == [r.id for r in first]
    deleted = sf_client.collections_delete([r.id for r in first if r.id])
    assert all(r.success for r in deleted)
    assert sf_client.count("SELECT COUNT() FROM Lead") == 0


def test_logs_of_retries_and_refreshes_carry_no_secrets(
    sf_client: SalesforceClient, sf_state: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sf_client.limits()
    sf_state.faults.add({"kind": "http_503", "endpoint": "query", "count": 1})
    sf_state.tokens.expire_all()
    sf_client.query_all("SELECT Id FROM Lead WHERE Phone = '+14155550199'")
    ours = [r for r in caplog.records if r.name.startswith("ringsync")]
    messages = [r.getMessage() for r in ours]
    assert any("refreshing the token" in m for m in messages)
    assert any("retry 1" in m for m in messages)
    secrets = [*sf_state.tokens.sessions, "sfemu-secret", "4155550199", "Bearer", "SELECT"]
    for record in ours:
        text = record.getMessage() + repr(record.args)
        assert not any(secret in text for secret in secrets)
