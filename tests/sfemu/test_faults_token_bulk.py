"""Fault kinds for the token endpoint and Bulk jobs, and latency that outlives the client."""

from __future__ import annotations

import ssl
import time
from pathlib import Path
from typing import Any

import httpx2
import pytest
from starlette.testclient import TestClient

from sfemu.app import EmulatorApp, create_emulator_app
from sfemu.faults import FaultSpecError, parse_fault_spec
from sfemu.org import Org
from sfemu.server import start_server

V = "/services/data/v59.0"
TOKEN = "/services/oauth2/token"


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


def _refresh_token(app: EmulatorApp) -> str:
    state = app.state.sfemu
    return str(state.tokens.issue_refresh(state.org.admin_user_id, "sfemu-client", "api").token)


def _refresh(client: TestClient, token: str) -> Any:
    return client.post(
        TOKEN,
        data={"grant_type": "refresh_token", "refresh_token": token, "client_id": "sfemu-client"},
    )


def _password(client: TestClient) -> Any:
    return client.post(
        TOKEN,
        data={
            "grant_type": "password",
            "client_id": "sfemu-client",
            "client_secret": "sfemu-secret",
            "username": "admin@sfemu.test",
            "password": "sfemu",
        },
    )


def test_token_500_fails_the_next_grants_then_clears(app: EmulatorApp, client: TestClient) -> None:
    token = _refresh_token(app)
    app.state.sfemu.faults.add({"kind": "token_500", "count": 2})
    for _ in range(2):
        failed = _refresh(client, token)
        assert failed.status_code == 500
        assert failed.json() == {
            "error": "unknown_error",
            "error_description": "retry your request",
        }
    assert _refresh(client, token).status_code == 200
    assert app.state.sfemu.faults.describe() == []


def test_token_faults_filter_by_grant_type(app: EmulatorApp, client: TestClient) -> None:
    token = _refresh_token(app)
    app.state.sfemu.faults.add({"kind": "token_500", "grant_type": "refresh_token"})
    assert _password(client).status_code == 200
    assert _refresh(client, token).status_code == 500


def test_token_invalid_grant_kills_the_refresh_token(app: EmulatorApp, client: TestClient) -> None:
    token = _refresh_token(app)
    app.state.sfemu.faults.add({"kind": "token_invalid_grant", "count": 1})
    refused = _refresh(client, token)
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant"
    assert app.state.sfemu.faults.describe() == []
    assert _refresh(client, token).json()["error"] == "invalid_grant"  # stays refused
    assert _refresh(client, _refresh_token(app)).status_code == 200  # a new one works


def test_token_faults_leave_data_calls_alone(
    app: EmulatorApp, client: TestClient, auth: dict[str, str]
) -> None:
    app.state.sfemu.faults.add({"kind": "token_500"})
    assert client.get(f"{V}/limits", headers=auth).status_code == 200


def _ingest(client: TestClient, auth: dict[str, str], csv_text: str) -> tuple[str, dict[str, Any]]:
    job = client.post(
        f"{V}/jobs/ingest",
        headers=auth,
        json={"object": "Lead", "operation": "update", "lineEnding": "LF"},
    ).json()
    upload = {**auth, "Content-Type": "text/csv"}
    put = client.put(f"{V}/jobs/ingest/{job['id']}/batches", headers=upload, content=csv_text)
    assert put.status_code == 201
    client.patch(f"{V}/jobs/ingest/{job['id']}", headers=auth, json={"state": "UploadComplete"})
    return job["id"], client.get(f"{V}/jobs/ingest/{job['id']}", headers=auth).json()


def _results(client: TestClient, auth: dict[str, str], job_id: str, kind: str) -> list[str]:
    text = client.get(f"{V}/jobs/ingest/{job_id}/{kind}/", headers=auth).text
    return [line for line in text.splitlines()[1:] if line]


def test_bulk_job_failure_processes_half_then_fails(
    app: EmulatorApp, client: TestClient, auth: dict[str, str], org: Org
) -> None:
    ids = [org.create("Lead", {"LastName": f"L{i}", "Company": "C"}) for i in range(4)]
    app.state.sfemu.faults.add({"kind": "bulk_job_failure", "endpoint": "jobs/ingest"})
    rows = "".join(f"{record_id},N{i}\n" for i, record_id in enumerate(ids))
    job_id, info = _ingest(client, auth, "Id,FirstName\n" + rows)
    assert info["state"] == "Failed"
    assert "InternalServerError" in info["errorMessage"]
    assert info["numberRecordsProcessed"] == 2
    assert len(_results(client, auth, job_id, "successfulResults")) == 2
    unprocessed = _results(client, auth, job_id, "unprocessedrecords")
    assert [line.split(",")[0].strip('"') for line in unprocessed] == ids[2:]
    assert [org.get(i).get("FirstName") for i in ids] == ["N0", "N1", None, None]


def test_lock_rows_fault_refuses_bulk_rows(
    app: EmulatorApp, client: TestClient, auth: dict[str, str], org: Org
) -> None:
    ids = [org.create("Lead", {"LastName": f"L{i}", "Company": "C"}) for i in range(2)]
    app.state.sfemu.faults.add({"kind": "unable_to_lock_row", "record_ids": [ids[1]]})
    job_id, info = _ingest(client, auth, f"Id,FirstName\n{ids[0]},A\n{ids[1]},B\n")
    assert info["state"] == "JobComplete"
    failed = _results(client, auth, job_id, "failedResults")
    assert len(failed) == 1
    assert "UNABLE_TO_LOCK_ROW" in failed[0]
    assert org.get(ids[1]).get("FirstName") is None


def test_bulk_job_failure_fails_a_query_job(
    app: EmulatorApp, client: TestClient, auth: dict[str, str]
) -> None:
    app.state.sfemu.faults.add({"kind": "bulk_job_failure", "endpoint": "jobs/query", "count": 1})
    job = client.post(
        f"{V}/jobs/query", headers=auth, json={"operation": "query", "query": "SELECT Id FROM Lead"}
    ).json()
    info = client.get(f"{V}/jobs/query/{job['id']}", headers=auth).json()
    assert info["state"] == "Failed"
    assert info["errorMessage"]
    results = client.get(f"{V}/jobs/query/{job['id']}/results", headers=auth)
    assert results.status_code == 412


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("http_500,grant_type=refresh_token", "grant_type applies only"),
        ("token_500,grant_type=", "grant_type must be"),
    ],
)
def test_bad_token_fault_specs(app: EmulatorApp, text: str, problem: str) -> None:
    with pytest.raises(FaultSpecError, match=problem):
        app.state.sfemu.faults.add(parse_fault_spec(text))


def test_a_call_timing_out_during_latency_is_still_applied(
    app: EmulatorApp, auth: dict[str, str], org: Org, tmp_path: Path
) -> None:
    server = start_server(app, tls=True, cert_dir=tmp_path)
    assert server.ca_path is not None
    context = ssl.create_default_context(cafile=str(server.ca_path))
    app.state.sfemu.faults.add({"kind": "latency", "endpoint": "sobjects/*", "latency_ms": 300})
    try:
        with (
            httpx2.Client(verify=context, timeout=0.1) as http,
            pytest.raises(httpx2.TimeoutException),
        ):
            http.post(
                f"{server.base_url}{V}/sobjects/Lead",
                headers=auth,
                json={"LastName": "Late", "Company": "C"},
            )
        for _ in range(50):  # the server finishes the call on its own
            if org.count("Lead"):
                break
            time.sleep(0.05)
        assert [r["LastName"] for r in org.iter_records("Lead")] == ["Late"]
    finally:
        server.stop()
