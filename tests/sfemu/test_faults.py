"""Fault injection: every kind, matching rules, counts, seeded probabilities, spec parsing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st
from starlette.testclient import TestClient

from sfemu.app import EmulatorApp, create_emulator_app
from sfemu.faults import FAULT_KINDS, FaultPlan, FaultSpecError, parse_fault_spec
from sfemu.middleware import DroppedConnectionError
from sfemu.org import Org
from sfemu.server import RunningServer, start_server

V = "/services/data/v59.0"


@pytest.fixture
def app(org: Org) -> EmulatorApp:
    return create_emulator_app(org)


@pytest.fixture
def client(app: EmulatorApp) -> TestClient:
    return TestClient(app)


@pytest.fixture
def auth(app: EmulatorApp) -> dict[str, str]:
    state = app.state.sfemu
    session = state.tokens.issue_session(
        state.org.admin_user_id, "sfemu-client", "api", state.org.now(), 7200
    )
    return {"Authorization": f"Bearer {session.token}"}


@pytest.fixture
def server(app: EmulatorApp) -> Iterator[RunningServer]:
    running = start_server(app)
    try:
        yield running
    finally:
        running.stop()


def add(app: EmulatorApp, **spec: Any) -> None:
    app.state.sfemu.faults.add(spec)


def create_lead(client: TestClient, auth: dict[str, str], name: str = "Ng") -> Any:
    return client.post(f"{V}/sobjects/Lead", headers=auth, json={"LastName": name, "Company": "C"})


def lead_names(org: Org) -> list[str]:
    return sorted(r["LastName"] for r in org.iter_records("Lead"))


def test_http_500_for_the_next_n_calls(
    app: EmulatorApp, client: TestClient, auth: dict[str, str]
) -> None:
    add(app, kind="http_500", endpoint="sobjects", count=2)
    for _ in range(2):
        failed = client.get(f"{V}/sobjects", headers=auth)
        assert failed.status_code == 500
        assert failed.json()[0]["errorCode"] == "UNKNOWN_EXCEPTION"
    assert client.get(f"{V}/sobjects", headers=auth).status_code == 200
    assert app.state.sfemu.faults.describe() == []  # spent rules disappear


def test_http_503_server_unavailable(
    app: EmulatorApp, client: TestClient, auth: dict[str, str]
) -> None:
    add(app, kind="http_503", count=1)
    response = client.get(f"{V}/limits", headers=auth)
    assert response.status_code == 503
    assert response.json()[0]["errorCode"] == "SERVER_UNAVAILABLE"
    assert response.headers["sforce-limit-info"].startswith("api-usage=")


def test_request_limit_fault(app: EmulatorApp, client: TestClient, auth: dict[str, str]) -> None:
    add(app, kind="request_limit", count=1)
    response = client.get(f"{V}/limits", headers=auth)
    assert response.status_code == 403
    assert response.json() == [
        {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
    ]


def test_session_expiry_fault_kills_the_callers_token(
    app: EmulatorApp, client: TestClient, auth: dict[str, str]
) -> None:
    add(app, kind="session_expiry", count=1)
    first = client.get(f"{V}/limits", headers=auth)
    assert first.status_code == 401
    assert first.json()[0]["errorCode"] == "INVALID_SESSION_ID"
    assert client.get(f"{V}/limits", headers=auth).status_code == 401  # stays expired


def test_latency_fault_sleeps_then_serves(
    app: EmulatorApp, client: TestClient, auth: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr("sfemu.middleware.asyncio.sleep", fake_sleep)
    add(app, kind="latency", latency_ms=250, count=1)
    assert client.get(f"{V}/limits", headers=auth).status_code == 200
    assert slept == [0.25]


def test_method_filter(app: EmulatorApp, client: TestClient, auth: dict[str, str]) -> None:
    add(app, kind="http_503", endpoint="sobjects/*", method="POST", count=1)
    assert client.get(f"{V}/sobjects/Lead/describe", headers=auth).status_code == 200
    assert create_lead(client, auth).status_code == 503
    assert create_lead(client, auth).status_code == 201


@pytest.mark.parametrize(
    "pattern", ["sobjects/{sobject}", "sobjects/Lead", "/services/data/v59.0/sobjects/*", "*"]
)
def test_endpoint_glob_matches_template_or_path(
    app: EmulatorApp, client: TestClient, auth: dict[str, str], pattern: str
) -> None:
    add(app, kind="http_503", endpoint=pattern, method="POST", count=1)
    assert create_lead(client, auth).status_code == 503


def test_endpoint_glob_that_does_not_match(
    app: EmulatorApp, client: TestClient, auth: dict[str, str]
) -> None:
    add(app, kind="http_503", endpoint="query", count=1)
    assert create_lead(client, auth).status_code == 201


def test_probability_is_repeatable_for_a_seed() -> None:
    def run(seed: int) -> list[bool]:
        plan = FaultPlan(seed)
        plan.add({"kind": "http_500", "probability": 0.5})
        return [bool(plan.triggered("GET", ("query",))) for _ in range(40)]

    first = run(11)
    assert first == run(11)
    assert 0 < sum(first) < 40


def test_drop_after_write_over_a_real_socket(
    app: EmulatorApp, server: RunningServer, auth: dict[str, str], org: Org
) -> None:
    add(app, kind="drop_after_write", endpoint="sobjects/*", method="POST", count=2)
    url = f"{server.base_url}{V}/sobjects/Lead"
    with pytest.raises(httpx2.RemoteProtocolError):
        httpx2.post(url, headers=auth, json={"LastName": "Httpx", "Company": "C"})
    with pytest.raises(requests.ConnectionError):
        requests.post(url, headers=auth, json={"LastName": "Requests", "Company": "C"}, timeout=10)
    assert lead_names(org) == ["Httpx", "Requests"]  # the writes were applied
    after = requests.post(url, headers=auth, json={"LastName": "Third", "Company": "C"}, timeout=10)
    assert after.status_code == 201


def test_drop_after_write_in_process_raises_connection_error(
    app: EmulatorApp, client: TestClient, auth: dict[str, str], org: Org
) -> None:
    add(app, kind="drop_after_write", count=1)
    with pytest.raises(DroppedConnectionError):
        create_lead(client, auth, "InProcess")
    assert lead_names(org) == ["InProcess"]


def test_unable_to_lock_row_for_chosen_records(app: EmulatorApp, org: Org) -> None:
    plan = app.state.sfemu.faults
    locked = org.create("Lead", {"LastName": "Locked", "Company": "C"})
    free = org.create("Lead", {"LastName": "Free", "Company": "C"})
    plan.add({"kind": "unable_to_lock_row", "record_ids": [locked[:15]], "count": 1})
    assert plan.lock_error_for(free) is False
    assert plan.lock_error_for(locked) is True
    assert plan.lock_error_for(locked) is False  # count spent


def test_unable_to_lock_row_inside_collections(
    app: EmulatorApp, client: TestClient, auth: dict[str, str], org: Org
) -> None:
    ids = [org.create("Lead", {"LastName": f"L{i}", "Company": "C"}) for i in range(3)]
    add(app, kind="unable_to_lock_row", record_ids=[ids[1]])
    body = {
        "allOrNone": False,
        "records": [{"attributes": {"type": "Lead"}, "id": i, "Company": "New"} for i in ids],
    }
    response = client.patch(f"{V}/composite/sobjects", headers=auth, json=body)
    assert response.status_code == 200
    results = response.json()
    assert [r["success"] for r in results] == [True, False, True]
    assert results[1]["errors"][0]["statusCode"] == "UNABLE_TO_LOCK_ROW"
    assert results[1]["errors"][0]["message"] == "unable to obtain exclusive access to this record"
    assert org.get(ids[0])["Company"] == "New"
    assert org.get(ids[1])["Company"] == "C"


def test_lock_rule_does_not_affect_calls(
    app: EmulatorApp, client: TestClient, auth: dict[str, str]
) -> None:
    add(app, kind="unable_to_lock_row", probability=1.0)
    assert app.state.sfemu.faults.active is False
    assert create_lead(client, auth).status_code == 201


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"kind": "meteor"}, "unknown fault kind"),
        ({"kind": "http_500", "count": 0}, "count must be an integer >= 1"),
        ({"kind": "http_500", "probability": 2}, "probability must be a number between 0 and 1"),
        ({"kind": "latency"}, "latency_ms > 0"),
        ({"kind": "http_500", "record_ids": ["x"]}, "only to unable_to_lock_row"),
        ({"kind": "http_500", "colour": "red"}, "unknown fault option(s): colour"),
    ],
)
def test_bad_specs_are_refused_with_a_message(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(FaultSpecError) as info:
        FaultPlan().add(spec)
    assert message in str(info.value)


def test_parse_fault_spec() -> None:
    assert parse_fault_spec("http_503,endpoint=query,count=2,method=get") == {
        "kind": "http_503",
        "endpoint": "query",
        "count": 2,
        "method": "get",
    }
    assert parse_fault_spec("unable_to_lock_row,record_ids=a+b,probability=0.5") == {
        "kind": "unable_to_lock_row",
        "record_ids": ["a", "b"],
        "probability": 0.5,
    }
    with pytest.raises(FaultSpecError, match="key=value"):
        parse_fault_spec("http_500,count")
    with pytest.raises(FaultSpecError, match="count must be an integer"):
        parse_fault_spec("http_500,count=lots")


@given(
    kind=st.sampled_from(FAULT_KINDS),
    count=st.integers(min_value=1, max_value=1000),
    endpoint=st.from_regex(r"[a-z{}/*]{1,20}", fullmatch=True),
)
def test_parsed_specs_are_accepted(kind: str, count: int, endpoint: str) -> None:
    latency = ",latency_ms=5" if kind == "latency" else ""
    spec = parse_fault_spec(f"{kind},endpoint={endpoint},count={count}{latency}")
    rule = FaultPlan().add(spec)
    assert rule.kind == kind
    assert rule.count == count
