"""sObject Collections: create/update/upsert/retrieve/delete, allOrNone rollback, lock faults."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from sfemu.org import Org
from sfemu.state import EmulatorState

BASE = "/services/data/v59.0"
URL = f"{BASE}/composite/sobjects"
ROLLED_BACK = {
    "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "message": "Record rolled back because not all records were valid and the request was "
    "using AllOrNone header",
    "fields": [],
}


def lead(**values: Any) -> dict[str, Any]:
    return {"attributes": {"type": "Lead"}, "LastName": "L", "Company": "C", **values}


def live_leads(org: Org) -> list[dict[str, Any]]:
    return list(org.iter_records("Lead"))


@pytest.fixture
def ext_field(org: Org) -> str:
    """Define a unique external id field on Lead."""
    org.add_custom_field("Lead", "Ext_Id", "string", length=40, external_id=True, unique=True)
    return "Ext_Id__c"


def test_create_mixed_types_in_order(client: TestClient, org: Org) -> None:
    records = [
        lead(LastName="A"),
        {"attributes": {"type": "Account"}, "Name": "Acme"},
        {"attributes": {"type": "Contact"}, "LastName": "C"},
        lead(LastName="B"),
    ]
    reply = client.post(URL, json={"allOrNone": False, "records": records})
    assert reply.status_code == 200
    results = reply.json()
    assert [r["success"] for r in results] == [True] * 4
    assert [r["id"][:3] for r in results] == ["00Q", "001", "003", "00Q"]
    assert all(r["errors"] == [] for r in results)
    assert org.get(results[3]["id"])["LastName"] == "B"


def test_create_partial_failure_keeps_the_good_ones(client: TestClient, org: Org) -> None:
    records = [lead(LastName="Good"), {"attributes": {"type": "Lead"}, "FirstName": "NoLast"}]
    results = client.post(URL, json={"records": records}).json()
    assert results[0]["success"] is True
    assert results[1]["success"] is False
    [error] = results[1]["errors"]
    assert error["statusCode"] == "REQUIRED_FIELD_MISSING"
    assert "errorCode" not in error
    assert [r["LastName"] for r in live_leads(org)] == ["Good"]


def test_create_all_or_none_rolls_back_everything(client: TestClient, org: Org) -> None:
    records = [lead(LastName="A"), lead(Email="not-an-email"), lead(LastName="C")]
    results = client.post(URL, json={"allOrNone": True, "records": records}).json()
    assert results[0] == {"success": False, "errors": [ROLLED_BACK]}
    assert results[1]["errors"][0]["statusCode"] == "INVALID_EMAIL_ADDRESS"
    assert results[2] == {"success": False, "errors": [ROLLED_BACK]}
    assert live_leads(org) == []
    assert list(org.iter_records("Lead", include_deleted=True)) == []


def test_record_without_type_fails_alone(client: TestClient) -> None:
    results = client.post(URL, json={"records": [{"LastName": "x"}, lead()]}).json()
    assert results[0]["errors"][0]["statusCode"] == "INVALID_TYPE"
    assert results[1]["success"] is True


def test_create_with_id_fails(client: TestClient, org: Org) -> None:
    existing = org.create("Lead", {"LastName": "A", "Company": "B"})
    results = client.post(URL, json={"records": [lead(Id=existing)]}).json()
    assert results[0]["errors"][0]["statusCode"] == "INVALID_FIELD"


def test_more_than_200_records_is_rejected_whole(client: TestClient, org: Org) -> None:
    reply = client.post(URL, json={"records": [lead() for _ in range(201)]})
    assert reply.status_code == 400
    assert reply.json() == [
        {
            "errorCode": "EXCEEDED_ID_LIMIT",
            "message": "record limit reached. cannot submit more than 200 records into this call",
        }
    ]
    assert live_leads(org) == []


def test_malformed_body_is_400(client: TestClient) -> None:
    reply = client.post(URL, json={"allOrNone": True})
    assert reply.status_code == 400
    assert reply.json()[0]["errorCode"] == "JSON_PARSER_ERROR"


def test_update_in_order_with_partial_failure(client: TestClient, org: Org) -> None:
    first = org.create("Lead", {"LastName": "A", "Company": "B"})
    second = org.create("Lead", {"LastName": "A", "Company": "B"})
    records = [
        {"attributes": {"type": "Lead"}, "id": first, "Company": "New"},
        {"attributes": {"type": "Lead"}, "id": second, "LastName": None},
        {"attributes": {"type": "Lead"}, "Company": "no id"},
    ]
    results = client.patch(URL, json={"records": records}).json()
    assert results[0] == {"id": first, "success": True, "errors": []}
    assert results[1]["id"] == second
    assert results[1]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    assert results[2]["errors"][0]["statusCode"] == "MISSING_ARGUMENT"
    assert org.get(first)["Company"] == "New"


def test_update_all_or_none_restores_previous_values(client: TestClient, org: Org) -> None:
    first = org.create("Lead", {"LastName": "A", "Company": "Before"})
    second = org.create("Lead", {"LastName": "A", "Company": "B"})
    before = dict(org.get(first))
    records = [
        {"attributes": {"type": "Lead"}, "id": first, "Company": "After", "Email": "a@b.co"},
        {"attributes": {"type": "Lead"}, "id": second, "Bogus__c": 1},
    ]
    results = client.patch(URL, json={"allOrNone": True, "records": records}).json()
    assert results[0] == {"id": first, "success": False, "errors": [ROLLED_BACK]}
    assert results[1]["errors"][0]["statusCode"] == "INVALID_FIELD"
    assert org.get(first) == before


def test_lock_fault_fails_only_that_record(
    client: TestClient, org: Org, emu: EmulatorState
) -> None:
    first = org.create("Lead", {"LastName": "A", "Company": "B"})
    second = org.create("Lead", {"LastName": "A", "Company": "B"})
    emu.faults.add({"kind": "unable_to_lock_row", "record_ids": [second]})
    records = [
        {"attributes": {"type": "Lead"}, "id": first, "Company": "X"},
        {"attributes": {"type": "Lead"}, "id": second, "Company": "X"},
    ]
    results = client.patch(URL, json={"records": records}).json()
    assert results[0]["success"] is True
    assert results[1] == {
        "id": second,
        "success": False,
        "errors": [
            {
                "statusCode": "UNABLE_TO_LOCK_ROW",
                "message": "unable to obtain exclusive access to this record",
                "fields": [],
            }
        ],
    }
    assert org.get(second)["Company"] == "B"


def test_upsert_reports_created(client: TestClient, org: Org, ext_field: str) -> None:
    existing = org.create("Lead", {"LastName": "A", "Company": "B", ext_field: "E1"})
    records = [lead(**{ext_field: "E1", "Company": "Upd"}), lead(**{ext_field: "E2"})]
    reply = client.patch(f"{URL}/Lead/{ext_field}", json={"records": records})
    assert reply.status_code == 200
    results = reply.json()
    assert results[0] == {"id": existing, "success": True, "errors": [], "created": False}
    assert results[1]["created"] is True
    assert org.get(existing)["Company"] == "Upd"


def test_upsert_all_or_none_rolls_back_creates_and_updates(
    client: TestClient, org: Org, ext_field: str
) -> None:
    existing = org.create("Lead", {"LastName": "A", "Company": "B", ext_field: "E1"})
    records = [
        lead(**{ext_field: "E1", "Company": "Upd"}),
        lead(**{ext_field: "E2"}),
        lead(**{ext_field: "E3", "Email": "bad"}),
    ]
    results = client.patch(
        f"{URL}/Lead/{ext_field}", json={"allOrNone": True, "records": records}
    ).json()
    assert [r["success"] for r in results] == [False, False, False]
    assert results[0]["errors"] == [ROLLED_BACK]
    assert org.get(existing)["Company"] == "B"
    assert org.find_by_field("Lead", ext_field, "E2") == []
    assert org.find_by_field("Lead", ext_field, "E1") == [existing]


def test_upsert_on_unknown_field_is_404(client: TestClient) -> None:
    reply = client.patch(f"{URL}/Lead/Nope__c", json={"records": [lead()]})
    assert reply.status_code == 404


def test_retrieve_get_and_post(client: TestClient, org: Org) -> None:
    first = org.create("Lead", {"LastName": "A", "Company": "B"})
    gone = org.create("Lead", {"LastName": "G", "Company": "B"})
    org.delete(gone)
    reply = client.get(f"{URL}/Lead", params={"ids": f"{first},{gone}", "fields": "LastName"})
    assert reply.status_code == 200
    body = reply.json()
    assert body[0]["LastName"] == "A"
    assert body[0]["attributes"]["type"] == "Lead"
    assert body[1] is None
    posted = client.post(f"{URL}/Lead", json={"ids": [first], "fields": ["Company"]})
    assert posted.json()[0]["Company"] == "B"


def test_retrieve_without_fields_is_400(client: TestClient, org: Org) -> None:
    first = org.create("Lead", {"LastName": "A", "Company": "B"})
    reply = client.get(f"{URL}/Lead", params={"ids": first})
    assert reply.status_code == 400
    assert reply.json()[0]["errorCode"] == "MISSING_ARGUMENT"


def test_delete_many_with_and_without_all_or_none(client: TestClient, org: Org) -> None:
    first = org.create("Lead", {"LastName": "A", "Company": "B"})
    second = org.create("Lead", {"LastName": "A", "Company": "B"})
    org.delete(second)
    strict = client.delete(URL, params={"ids": f"{first},{second}", "allOrNone": "true"}).json()
    assert strict[0] == {"id": first, "success": False, "errors": [ROLLED_BACK]}
    assert strict[1]["errors"][0]["statusCode"] == "ENTITY_IS_DELETED"
    assert org.get(first)["IsDeleted"] is False
    assert org.count("Lead") == 1
    assert org.count("Lead", include_deleted=True) == 2
    lenient = client.delete(URL, params={"ids": f"{first},{second}"}).json()
    assert lenient[0] == {"id": first, "success": True, "errors": []}
    assert lenient[1]["success"] is False
    assert org.lookup(first)["IsDeleted"] is True  # type: ignore[index] -- record exists


def test_delete_without_ids_is_400(client: TestClient) -> None:
    reply = client.delete(URL)
    assert reply.status_code == 400


def test_upsert_errors_per_record(client: TestClient, org: Org) -> None:
    org.add_custom_field("Lead", "Loose_Ext", "string", length=40, external_id=True)
    for _ in range(2):
        org.create("Lead", {"LastName": "A", "Company": "B", "Loose_Ext__c": "SAME"})
    records = [lead(Loose_Ext__c="SAME"), lead()]
    results = client.patch(f"{URL}/Lead/Loose_Ext__c", json={"records": records}).json()
    assert results[0]["errors"][0]["statusCode"] == "DUPLICATE_EXTERNAL_ID"
    assert results[1]["errors"][0] == {
        "statusCode": "MISSING_ARGUMENT",
        "message": "Loose_Ext__c not specified",
        "fields": ["Loose_Ext__c"],
    }


def test_delete_and_retrieve_limits(client: TestClient, org: Org) -> None:
    lead_id = org.create("Lead", {"LastName": "A", "Company": "B"})
    too_many = client.delete(URL, params={"ids": ",".join([lead_id] * 201)})
    assert too_many.status_code == 400
    assert too_many.json()[0]["errorCode"] == "EXCEEDED_ID_LIMIT"
    retrieve = client.post(f"{URL}/Lead", json={"ids": [lead_id] * 2001, "fields": ["Id"]})
    assert retrieve.status_code == 400
    assert retrieve.json()[0]["errorCode"] == "EXCEEDED_ID_LIMIT"
    not_object = client.post(f"{URL}/Lead", json=[lead_id])
    assert not_object.status_code == 400
    assert not_object.json()[0]["errorCode"] == "JSON_PARSER_ERROR"
