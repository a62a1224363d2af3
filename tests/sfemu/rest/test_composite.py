"""Composite: references, allOrNone rollback, halted dependants; composite batch haltOnError."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from sfemu import limits as limits_module
from sfemu.org import Org
from sfemu.state import EmulatorState

BASE = "/services/data/v59.0"
HALTED = [
    {
        "errorCode": "PROCESSING_HALTED",
        "message": "The transaction was rolled back since another operation in the same "
        "transaction failed.",
    }
]


def sub(method: str, path: str, ref: str, body: Any = None) -> dict[str, Any]:
    item: dict[str, Any] = {"method": method, "url": f"{BASE}{path}", "referenceId": ref}
    if body is not None:
        item["body"] = body
    return item


def test_references_feed_later_subrequests(
    client: TestClient, org: Org, emu: EmulatorState
) -> None:
    requests = [
        sub("POST", "/sobjects/Account", "acct", {"Name": "Acme"}),
        sub("POST", "/sobjects/Contact", "con", {"LastName": "C", "AccountId": "@{acct.id}"}),
        sub("GET", "/sobjects/Contact/@{con.id}?fields=AccountId", "read"),
        sub("GET", "/query?q=SELECT+Id+FROM+Account", "q"),
        sub("PATCH", "/sobjects/Account/@{q.records[0].Id}", "upd", {"Name": "Acme 2"}),
    ]
    calls_before = emu.stats.api_calls_total
    reply = client.post(f"{BASE}/composite", json={"compositeRequest": requests})
    assert reply.status_code == 200
    results = reply.json()["compositeResponse"]
    assert [r["httpStatusCode"] for r in results] == [201, 201, 200, 200, 204]
    assert [r["referenceId"] for r in results] == ["acct", "con", "read", "q", "upd"]
    account_id = results[0]["body"]["id"]
    assert results[0]["httpHeaders"]["Location"] == f"{BASE}/sobjects/Account/{account_id}"
    assert results[2]["body"]["AccountId"] == account_id
    assert results[4]["body"] is None
    assert org.get(account_id)["Name"] == "Acme 2"
    assert emu.stats.api_calls_total == calls_before + 1


def test_failed_subrequest_halts_its_dependants_only(client: TestClient, org: Org) -> None:
    requests = [
        sub("POST", "/sobjects/Lead", "bad", {"FirstName": "no last name"}),
        sub("PATCH", "/sobjects/Lead/@{bad.id}", "dep", {"Company": "X"}),
        sub("POST", "/sobjects/Lead", "ok", {"LastName": "L", "Company": "C"}),
    ]
    results = client.post(f"{BASE}/composite", json={"compositeRequest": requests}).json()[
        "compositeResponse"
    ]
    assert results[0]["httpStatusCode"] == 400
    assert results[0]["body"][0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert results[1]["httpStatusCode"] == 400
    assert results[1]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert "bad.id" in results[1]["body"][0]["message"]
    assert results[2]["httpStatusCode"] == 201
    assert len(list(org.iter_records("Lead"))) == 1


def test_all_or_none_rolls_back_earlier_writes(client: TestClient, org: Org) -> None:
    existing = org.create("Lead", {"LastName": "Keep", "Company": "Before"})
    requests = [
        sub("POST", "/sobjects/Lead", "new", {"LastName": "N", "Company": "C"}),
        sub("PATCH", f"/sobjects/Lead/{existing}", "upd", {"Company": "After"}),
        sub("DELETE", f"/sobjects/Lead/{existing}", "del"),
        sub("POST", "/sobjects/Lead", "bad", {"FirstName": "no last name"}),
        sub("POST", "/sobjects/Lead", "never", {"LastName": "Z", "Company": "C"}),
    ]
    reply = client.post(f"{BASE}/composite", json={"allOrNone": True, "compositeRequest": requests})
    assert reply.status_code == 200
    results = reply.json()["compositeResponse"]
    assert [r["httpStatusCode"] for r in results] == [400] * 5
    for index in (0, 1, 2, 4):
        assert results[index]["body"] == HALTED
    assert results[3]["body"][0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    [only] = list(org.iter_records("Lead", include_deleted=True))
    assert only["Id"] == existing
    assert only["Company"] == "Before"
    assert only["IsDeleted"] is False


def test_all_or_none_rolls_back_collections_inside(client: TestClient, org: Org) -> None:
    requests = [
        sub(
            "POST",
            "/composite/sobjects",
            "many",
            {"records": [{"attributes": {"type": "Lead"}, "LastName": "A", "Company": "C"}]},
        ),
        sub("GET", "/sobjects/Lead/banana", "bad"),
    ]
    results = client.post(
        f"{BASE}/composite", json={"allOrNone": True, "compositeRequest": requests}
    ).json()["compositeResponse"]
    assert results[0]["body"] == HALTED
    assert results[1]["httpStatusCode"] == 404
    assert list(org.iter_records("Lead")) == []


def test_more_than_25_subrequests_is_400(client: TestClient) -> None:
    requests = [sub("GET", "/limits", f"r{i}") for i in range(26)]
    reply = client.post(f"{BASE}/composite", json={"compositeRequest": requests})
    assert reply.status_code == 400
    assert "25" in reply.json()[0]["message"]


def test_duplicate_reference_ids_are_400(client: TestClient) -> None:
    requests = [sub("GET", "/limits", "same"), sub("GET", "/limits", "same")]
    reply = client.post(f"{BASE}/composite", json={"compositeRequest": requests})
    assert reply.status_code == 400
    assert reply.json()[0]["errorCode"] == "INVALID_BATCH_REQUEST"


def test_unknown_route_inside_composite_is_404(client: TestClient) -> None:
    reply = client.post(
        f"{BASE}/composite", json={"compositeRequest": [sub("GET", "/nothing/here", "x")]}
    )
    [result] = reply.json()["compositeResponse"]
    assert result["httpStatusCode"] == 404
    assert result["body"][0]["errorCode"] == "NOT_FOUND"


def test_batch_runs_each_independently(client: TestClient, org: Org) -> None:
    lead_id = org.create("Lead", {"LastName": "A", "Company": "B"})
    body = {
        "batchRequests": [
            {
                "method": "PATCH",
                "url": f"v59.0/sobjects/Lead/{lead_id}",
                "richInput": {"Company": "X"},
            },
            {"method": "GET", "url": "v59.0/sobjects/Lead/banana"},
            {"method": "GET", "url": f"v59.0/sobjects/Lead/{lead_id}?fields=Company"},
        ]
    }
    reply = client.post(f"{BASE}/composite/batch", json=body)
    assert reply.status_code == 200
    payload = reply.json()
    assert payload["hasErrors"] is True
    statuses = [r["statusCode"] for r in payload["results"]]
    assert statuses == [204, 404, 200]
    assert payload["results"][0]["result"] is None
    assert payload["results"][2]["result"]["Company"] == "X"


def test_batch_halt_on_error_gives_412_to_the_rest(client: TestClient, org: Org) -> None:
    body = {
        "haltOnError": True,
        "batchRequests": [
            {"method": "GET", "url": "v59.0/sobjects/Lead/banana"},
            {
                "method": "POST",
                "url": "v59.0/sobjects/Lead",
                "richInput": {"LastName": "A", "Company": "B"},
            },
        ],
    }
    payload = client.post(f"{BASE}/composite/batch", json=body).json()
    assert payload["results"][1] == {
        "statusCode": 412,
        "result": [
            {
                "errorCode": "BATCH_PROCESSING_HALTED",
                "message": "Batch processing halted per request",
            }
        ],
    }
    assert list(org.iter_records("Lead")) == []


def test_batch_without_requests_is_400(client: TestClient) -> None:
    reply = client.post(f"{BASE}/composite/batch", json={"haltOnError": True})
    assert reply.status_code == 400


def test_unserved_subrequests_fail_alone(client: TestClient) -> None:
    requests = [
        sub("POST", "/composite", "b", {"compositeRequest": []}),
        sub("PUT", "/sobjects/Lead", "c", {}),
        sub("GET", "/limits", "d"),
    ]
    results = client.post(f"{BASE}/composite", json={"compositeRequest": requests}).json()[
        "compositeResponse"
    ]
    assert [r["httpStatusCode"] for r in results] == [400, 405, 200]
    assert results[0]["body"][0]["errorCode"] == "INVALID_BATCH_REQUEST"
    assert results[1]["body"][0]["errorCode"] == "METHOD_NOT_ALLOWED"


def test_bad_url_or_method_rejects_the_whole_request(client: TestClient, org: Org) -> None:
    create = sub("POST", "/sobjects/Lead", "ok", {"LastName": "A", "Company": "B"})
    for bad in (
        {"method": "GET", "url": "/somewhere/else", "referenceId": "x"},
        {"method": "FETCH", "url": f"{BASE}/limits", "referenceId": "x"},
    ):
        reply = client.post(f"{BASE}/composite", json={"compositeRequest": [create, bad]})
        assert reply.status_code == 400
        assert reply.json()[0]["errorCode"] == "INVALID_BATCH_REQUEST"
    batch = client.post(
        f"{BASE}/composite/batch",
        json={"batchRequests": [{"method": "GET", "url": "nowhere/limits"}]},
    )
    assert batch.status_code == 400
    assert list(org.iter_records("Lead")) == []


def test_crashing_subrequest_answers_500_and_the_rest_still_run(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(request: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(limits_module, "limits_body", broken)
    requests = [sub("GET", "/limits", "bad"), sub("GET", "/sobjects", "ok")]
    results = client.post(f"{BASE}/composite", json={"compositeRequest": requests}).json()[
        "compositeResponse"
    ]
    assert results[0]["httpStatusCode"] == 500
    assert results[0]["body"][0]["errorCode"] == "UNKNOWN_EXCEPTION"
    assert "boom" not in str(results[0]["body"])
    assert results[1]["httpStatusCode"] == 200
