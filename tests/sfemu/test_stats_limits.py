"""The REST edge: 401 shape, Sforce-Limit-Info, daily limit, statistics, versions, errors."""

from __future__ import annotations

import re
from typing import Any

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from sfemu.app import EmulatorApp, create_emulator_app, release_label
from sfemu.org import Org
from sfemu.state import API_VERSIONS

V = "/services/data/v59.0"
LIMIT_HEADER = re.compile(r"^api-usage=(\d+)/(\d+)$")


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


def usage(response: Any) -> tuple[int, int]:
    match = LIMIT_HEADER.match(response.headers["sforce-limit-info"])
    assert match is not None
    return int(match.group(1)), int(match.group(2))


def test_missing_token_is_401_without_fields_key(client: TestClient) -> None:
    response = client.get(f"{V}/sobjects")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json;charset=UTF-8"
    assert response.json() == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]


@pytest.mark.parametrize("header", ["Bearer nope", "Basic abc", "Bearer", ""])
def test_bad_authorization_headers_are_401(client: TestClient, header: str) -> None:
    response = client.get(f"{V}/sobjects", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()[0]["errorCode"] == "INVALID_SESSION_ID"


def test_versions_list_is_free_and_unauthenticated(client: TestClient, app: EmulatorApp) -> None:
    response = client.get("/services/data/")
    assert response.status_code == 200
    versions = response.json()
    assert [v["version"] for v in versions] == list(API_VERSIONS)
    assert {"label": "Winter '24", "url": "/services/data/v59.0", "version": "59.0"} in versions
    assert "sforce-limit-info" not in response.headers
    assert client.get("/services/data").status_code == 200
    assert app.state.sfemu.stats.daily_used == 0


@pytest.mark.parametrize(
    ("version", "label"),
    [
        ("20.0", "Winter '11"),
        ("58.0", "Summer '23"),
        ("60.0", "Spring '24"),
        ("66.0", "Spring '26"),
    ],
)
def test_release_labels(version: str, label: str) -> None:
    assert release_label(version) == label


def test_version_resources_include_absolute_identity(
    client: TestClient, auth: dict[str, str], org: Org
) -> None:
    response = client.get(f"{V}/", headers=auth)
    assert response.status_code == 200
    body = response.json()
    assert body["sobjects"] == f"{V}/sobjects"
    assert body["query"] == f"{V}/query"
    assert body["identity"] == f"http://testserver/id/{org.org_id}/{org.admin_user_id}"
    assert client.get(V, headers=auth).status_code == 200


def test_unknown_version_is_404(client: TestClient, auth: dict[str, str]) -> None:
    response = client.get("/services/data/v99.0/sobjects", headers=auth)
    assert response.status_code == 404
    assert response.json() == [
        {"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}
    ]


def test_unknown_path_is_salesforce_404(client: TestClient, auth: dict[str, str]) -> None:
    response = client.get(f"{V}/no/such/thing", headers=auth)
    assert response.status_code == 404
    assert response.json()[0]["errorCode"] == "NOT_FOUND"
    assert LIMIT_HEADER.match(response.headers["sforce-limit-info"])


def test_limit_header_counts_each_call(client: TestClient, auth: dict[str, str]) -> None:
    first = client.get(f"{V}/sobjects", headers=auth)
    second = client.get(f"{V}/limits", headers=auth)
    assert usage(first) == (1, 100_000)
    assert usage(second) == (2, 100_000)


def test_daily_limit_exhaustion(
    client: TestClient, auth: dict[str, str], org: Org, app: EmulatorApp
) -> None:
    org.daily_api_limit = 3
    for n in range(1, 4):
        assert usage(client.get(f"{V}/sobjects", headers=auth)) == (n, 3)
    blocked = client.get(f"{V}/sobjects", headers=auth)
    assert blocked.status_code == 403
    assert blocked.json() == [
        {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
    ]
    assert usage(blocked) == (3, 3)
    assert app.state.sfemu.stats.api_calls_total == 3  # refused calls are not counted
    org.daily_api_limit = 5
    assert client.get(f"{V}/sobjects", headers=auth).status_code == 200


def test_usage_window_rolls_after_24_hours(
    client: TestClient, app: EmulatorApp, org: Org, clock: Any
) -> None:
    three_days = 3 * 86400
    session = app.state.sfemu.tokens.issue_session(
        org.admin_user_id, "sfemu-client", "api", org.now(), three_days
    )
    auth = {"Authorization": f"Bearer {session.token}"}
    org.daily_api_limit = 1
    assert client.get(f"{V}/sobjects", headers=auth).status_code == 200
    assert client.get(f"{V}/sobjects", headers=auth).status_code == 403
    clock.advance(24 * 3600)
    refreshed = client.get(f"{V}/sobjects", headers=auth)
    assert refreshed.status_code == 200
    assert usage(refreshed) == (1, 1)


def test_stats_count_calls_writes_records_and_endpoints(
    client: TestClient, auth: dict[str, str], app: EmulatorApp
) -> None:
    created = client.post(
        f"{V}/sobjects/Lead", headers=auth, json={"LastName": "Ng", "Company": "Acme"}
    )
    assert created.status_code == 201
    lead_id = created.json()["id"]
    assert client.get(f"{V}/sobjects/Lead/{lead_id}", headers=auth).status_code == 200
    patch = client.patch(f"{V}/sobjects/Lead/{lead_id}", headers=auth, json={"Company": "B"})
    assert patch.status_code == 204
    assert client.get(f"{V}/query", headers=auth, params={"q": "SELECT Id FROM Lead"}).is_success
    stats = app.state.sfemu.stats
    assert stats.api_calls_total == 4
    assert stats.write_calls_total == 2
    assert stats.records_written == 2
    assert stats.records_read >= 1
    assert stats.calls_to("sobjects/{sobject}", "POST") == 1
    assert stats.calls_to("sobjects/{sobject}/{record_id}") == 2
    assert stats.calls_to("query", "GET") == 1


def test_composite_counts_as_one_call(
    client: TestClient, auth: dict[str, str], app: EmulatorApp
) -> None:
    body = {
        "allOrNone": False,
        "compositeRequest": [
            {
                "method": "POST",
                "url": f"{V}/sobjects/Lead",
                "referenceId": f"r{i}",
                "body": {"LastName": f"L{i}", "Company": "C"},
            }
            for i in range(3)
        ],
    }
    response = client.post(f"{V}/composite", headers=auth, json=body)
    assert response.status_code == 200
    assert usage(response) == (1, 100_000)
    assert app.state.sfemu.stats.api_calls_total == 1
    assert app.state.sfemu.stats.records_written == 3


def test_unexpected_error_is_500_unknown_exception_without_traceback(
    client: TestClient, auth: dict[str, str], org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(org, "sobjects", broken)
    response = client.get(f"{V}/sobjects", headers=auth)
    assert response.status_code == 500
    body = response.json()
    assert body[0]["errorCode"] == "UNKNOWN_EXCEPTION"
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text


def test_unexpected_error_outside_rest_is_also_clean(app: EmulatorApp) -> None:
    async def boom(request: Any) -> Any:
        raise ValueError("kaboom")

    app.router.routes.append(Route("/boom", boom))
    response = TestClient(app).get("/boom")
    assert response.status_code == 500
    assert response.json()[0]["errorCode"] == "UNKNOWN_EXCEPTION"
    assert "kaboom" not in response.text


def test_method_not_allowed_is_405(client: TestClient, auth: dict[str, str]) -> None:
    response = client.put(f"{V}/limits", headers=auth)
    assert response.status_code == 405
    assert response.json()[0]["errorCode"] == "METHOD_NOT_ALLOWED"
