"""The /__sfemu/ admin API: every endpoint's effect and its error answers."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.testclient import TestClient

from sfemu.app import EmulatorApp, create_emulator_app
from sfemu.org import Org

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


def lead(org: Org, **values: Any) -> str:
    return org.create("Lead", {"LastName": "Ng", "Company": "Acme", **values})


def test_stats_and_reset(client: TestClient, auth: dict[str, str]) -> None:
    client.get(f"{V}/sobjects", headers=auth)
    stats = client.get("/__sfemu/stats").json()
    assert stats["api_calls_total"] == 1
    assert stats["daily_api_used"] == 1
    assert stats["daily_api_limit"] == 100_000
    assert stats["calls"] == {"sobjects": {"GET": 1}}
    reset = client.post("/__sfemu/stats/reset").json()
    assert reset["api_calls_total"] == 0
    assert reset["calls"] == {}
    assert reset["daily_api_used"] == 1  # daily usage is not traffic statistics


def test_fault_crud(client: TestClient, auth: dict[str, str]) -> None:
    created = client.post(
        "/__sfemu/faults", json={"kind": "http_503", "endpoint": "sobjects", "count": 1}
    )
    assert created.status_code == 201
    rule = created.json()["faults"][0]
    assert rule["kind"] == "http_503"
    assert client.get("/__sfemu/faults").json()["faults"][0]["id"] == rule["id"]
    assert client.get(f"{V}/sobjects", headers=auth).status_code == 503
    several = client.post(
        "/__sfemu/faults",
        json={"seed": 3, "faults": [{"kind": "http_500"}, {"kind": "latency", "latency_ms": 1}]},
    )
    ids = [r["id"] for r in several.json()["faults"]]
    assert client.delete(f"/__sfemu/faults/{ids[0]}").json()["faults"][0]["id"] == ids[1]
    assert client.delete("/__sfemu/faults/nope").status_code == 404
    assert client.delete("/__sfemu/faults").json() == {"faults": []}
    assert client.get(f"{V}/sobjects", headers=auth).status_code == 200


def test_bad_fault_is_400_with_message(client: TestClient) -> None:
    response = client.post("/__sfemu/faults", json={"kind": "meteor"})
    assert response.status_code == 400
    assert "unknown fault kind" in response.json()["error"]
    bad_json = client.post("/__sfemu/faults", content=b"{nope")
    assert bad_json.status_code == 400
    assert "not valid JSON" in bad_json.json()["error"]


def test_limits(client: TestClient, auth: dict[str, str], org: Org) -> None:
    response = client.post("/__sfemu/limits", json={"daily_api_limit": 10, "used": 9})
    assert response.json() == {"daily_api_limit": 10, "used": 9}
    assert org.daily_api_limit == 10
    ok = client.get(f"{V}/sobjects", headers=auth)
    assert ok.headers["sforce-limit-info"] == "api-usage=10/10"
    assert client.get(f"{V}/sobjects", headers=auth).status_code == 403
    assert client.post("/__sfemu/limits", json={"used": 0}).json()["used"] == 0
    assert client.get(f"{V}/sobjects", headers=auth).status_code == 200
    bad = client.post("/__sfemu/limits", json={"daily_api_limit": 0})
    assert bad.status_code == 400
    assert "daily_api_limit" in bad.json()["error"]


def test_custom_fields(client: TestClient, org: Org) -> None:
    response = client.post(
        "/__sfemu/custom-fields",
        json={"sobject": "Lead", "name": "Last_Call", "type": "datetime"},
    )
    assert response.status_code == 201
    assert response.json() == {"sobject": "Lead", "name": "Last_Call__c", "type": "datetime"}
    assert org.sobject("Lead").field("Last_Call__c") is not None
    duplicate = client.post(
        "/__sfemu/custom-fields",
        json={"sobject": "Lead", "name": "Last_Call__c", "type": "datetime"},
    )
    assert duplicate.status_code == 400
    assert duplicate.json()[0]["errorCode"] == "DUPLICATE_DEVELOPER_NAME"
    missing = client.post("/__sfemu/custom-fields", json={"sobject": "Lead", "name": "X"})
    assert missing.json() == {"error": "type is required (a non-empty string)"}


def test_convert_lead(client: TestClient, org: Org) -> None:
    lead_id = lead(org)
    response = client.post("/__sfemu/convert-lead", json={"leadId": lead_id})
    assert response.status_code == 200
    body = response.json()
    assert body["leadId"] == lead_id
    assert org.get(lead_id)["IsConverted"] is True
    assert org.get(body["contactId"])["LastName"] == "Ng"
    again = client.post("/__sfemu/convert-lead", json={"leadId": lead_id})
    assert again.status_code == 400


def test_edit_record_as_another_user(client: TestClient, org: Org) -> None:
    user_id = org.create(
        "User",
        {"Username": "rep@sfemu.test", "LastName": "Rep", "Email": "r@x.test", "Alias": "rep"},
    )
    lead_id = lead(org)
    response = client.post(
        f"/__sfemu/records/Lead/{lead_id}/edit",
        json={"as_user": user_id, "values": {"Company": "Edited"}},
    )
    assert response.json() == {"id": lead_id, "success": True}
    record = org.get(lead_id)
    assert record["Company"] == "Edited"
    assert record["LastModifiedById"] == user_id
    empty = client.post(f"/__sfemu/records/Lead/{lead_id}/edit", json={"values": {}})
    assert empty.status_code == 400
    invalid = client.post(
        f"/__sfemu/records/Lead/{lead_id}/edit", json={"values": {"NoSuchField": 1}}
    )
    assert invalid.json()[0]["errorCode"] == "INVALID_FIELD"


def test_validation_rules(client: TestClient, auth: dict[str, str]) -> None:
    response = client.post(
        "/__sfemu/validation-rules",
        json={
            "sobject": "Lead",
            "name": "NeedsEmail",
            "field": "Email",
            "operator": "blank",
            "message": "Email is required",
        },
    )
    assert response.status_code == 201
    created = client.post(
        f"{V}/sobjects/Lead", headers=auth, json={"LastName": "A", "Company": "B"}
    )
    assert created.status_code == 400
    assert created.json()[0]["errorCode"] == "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    assert created.json()[0]["message"] == "Email is required"


def test_clock(client: TestClient, org: Org) -> None:
    before = org.now()
    response = client.post("/__sfemu/clock", json={"advance_seconds": 3600})
    assert response.status_code == 200
    assert (org.now() - before).total_seconds() == 3600
    assert client.post("/__sfemu/clock", json={"advance_seconds": -1}).status_code == 400


def test_sessions_expire(client: TestClient, auth: dict[str, str]) -> None:
    assert client.get(f"{V}/sobjects", headers=auth).status_code == 200
    assert client.post("/__sfemu/sessions/expire").json() == {"expired": 1}
    assert client.get(f"{V}/sobjects", headers=auth).status_code == 401


def test_register_app_with_jwt_key(client: TestClient) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    response = client.post(
        "/__sfemu/apps",
        json={
            "client_id": "my-app",
            "client_secret": "my-secret",
            "redirect_uris": ["https://app.example.com/cb"],
            "jwt_public_key": public.decode(),
            "run_as_username": "admin@sfemu.test",
        },
    )
    assert response.status_code == 201
    assert response.json()["jwt"] is True
    apps = client.get("/__sfemu/apps").json()["apps"]
    assert {a["client_id"] for a in apps} == {"sfemu-client", "my-app"}
    assert all("client_secret" not in a for a in apps)
    token = client.post(
        "/services/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "my-app",
            "client_secret": "my-secret",
        },
    )
    assert token.status_code == 200


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"client_id": "a"}, "client_secret is required"),
        ({"client_id": "a", "client_secret": "b", "jwt_public_key": "junk"}, "PEM public key"),
        ({"client_id": "a", "client_secret": "b", "run_as_username": "x@y"}, "no user named"),
        ({"client_id": "a", "client_secret": "b", "redirect_uris": "x"}, "redirect_uris"),
    ],
)
def test_register_app_errors(client: TestClient, body: dict[str, Any], message: str) -> None:
    response = client.post("/__sfemu/apps", json=body)
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_reset_to_default_contents(
    client: TestClient, app: EmulatorApp, auth: dict[str, str]
) -> None:
    org = app.state.sfemu.org
    lead(org)
    client.get(f"{V}/sobjects", headers=auth)
    response = client.post("/__sfemu/reset")
    assert response.status_code == 200
    new_org = app.state.sfemu.org
    assert new_org is not org
    assert list(new_org.iter_records("Lead")) == []
    assert new_org.find_user_by_username("admin@sfemu.test") is not None
    assert app.state.sfemu.stats.api_calls_total == 0
    # the org id is deterministic, so the caller's session survives the reset
    assert client.get(f"{V}/sobjects", headers=auth).status_code == 200


def test_reset_with_seed(client: TestClient, app: EmulatorApp) -> None:
    response = client.post(
        "/__sfemu/reset", json={"leads": 20, "contacts": 5, "users": 2, "seed": 4}
    )
    assert response.status_code == 200
    org = app.state.sfemu.org
    assert sum(1 for _ in org.iter_records("Lead")) == 20
    assert sum(1 for _ in org.iter_records("Contact")) == 5
    bad = client.post("/__sfemu/reset", json={"leads": -1})
    assert bad.status_code == 400


@pytest.mark.parametrize(
    ("path", "body", "status", "check"),
    [
        ("/__sfemu/convert-lead", {}, 400, "leadId is required"),
        ("/__sfemu/validation-rules", {"sobject": "Lead", "name": "R"}, 400, "message"),
        ("/__sfemu/validation-rules", {"name": "R"}, 400, "sobject is required"),
        ("/__sfemu/clock", {"advance_seconds": "soon"}, 400, "advance_seconds"),
        ("/__sfemu/limits", {"used": -3}, 400, "used must be an integer >= 0"),
        ("/__sfemu/faults", {"faults": "x"}, 400, "faults must be a list"),
        ("/__sfemu/reset", ["leads"], 400, "must be a JSON object"),
    ],
)
def test_admin_input_errors(
    client: TestClient, path: str, body: Any, status: int, check: str
) -> None:
    response = client.post(path, json=body)
    assert response.status_code == status
    assert check in response.text


def test_convert_unknown_lead_is_salesforce_error(client: TestClient) -> None:
    response = client.post("/__sfemu/convert-lead", json={"leadId": "00Q000000000000AAA"})
    assert response.status_code in (400, 404)
    assert response.json()[0]["errorCode"] in ("NOT_FOUND", "INVALID_CROSS_REFERENCE_KEY")
