"""sObject routes: describe, CRUD, upsert by external id, getUpdated/getDeleted, error shapes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.testclient import TestClient

from sfemu.records import parse_replication_time
from sfemu.state import EmulatorState

BASE = "/services/data/v59.0"
JSON_TYPE = "application/json;charset=UTF-8"


def make_lead(client: TestClient, **values: Any) -> str:
    body = {"LastName": "Lovelace", "Company": "Analytical Engines", **values}
    reply = client.post(f"{BASE}/sobjects/Lead", json=body)
    assert reply.status_code == 201, reply.text
    lead_id: str = reply.json()["id"]
    return lead_id


@pytest.fixture
def ext_field(emu: EmulatorState) -> str:
    """Define a non-unique external id field on Lead and return its name."""
    emu.org.add_custom_field("Lead", "Ext_Id", "string", length=40, external_id=True)
    return "Ext_Id__c"


def test_describe_global_lists_lead_with_urls(client: TestClient) -> None:
    reply = client.get(f"{BASE}/sobjects")
    assert reply.status_code == 200
    assert reply.headers["content-type"] == JSON_TYPE
    body = reply.json()
    assert body["encoding"] == "UTF-8"
    assert body["maxBatchSize"] == 200
    names = {entry["name"] for entry in body["sobjects"]}
    assert {"Lead", "Contact", "User"} <= names


def test_sobject_basic_info_and_describe(client: TestClient) -> None:
    basic = client.get(f"{BASE}/sobjects/lead")
    assert basic.status_code == 200
    assert basic.json()["objectDescribe"]["name"] == "Lead"
    assert basic.json()["recentItems"] == []
    described = client.get(f"{BASE}/sobjects/Lead/describe")
    assert described.status_code == 200
    fields = {f["name"]: f for f in described.json()["fields"]}
    assert fields["LastName"]["nillable"] is False
    assert fields["Phone"]["type"] == "phone"


def test_unknown_sobject_is_404_not_found(client: TestClient) -> None:
    reply = client.get(f"{BASE}/sobjects/Nope__c/describe")
    assert reply.status_code == 404
    assert reply.json() == [
        {"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}
    ]


def test_create_returns_201_with_id_and_location(client: TestClient, emu: EmulatorState) -> None:
    reply = client.post(
        f"{BASE}/sobjects/Lead",
        json={"attributes": {"type": "Lead"}, "LastName": "Hopper", "Company": "Navy"},
    )
    assert reply.status_code == 201
    body = reply.json()
    assert body["success"] is True
    assert body["errors"] == []
    assert len(body["id"]) == 18
    assert body["id"].startswith("00Q")
    assert reply.headers["location"] == f"{BASE}/sobjects/Lead/{body['id']}"
    assert emu.stats.records_written == 1


def test_create_missing_required_fields_is_400(client: TestClient) -> None:
    reply = client.post(f"{BASE}/sobjects/Lead", json={"FirstName": "Ada"})
    assert reply.status_code == 400
    [error] = reply.json()
    assert error["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert set(error["fields"]) == {"LastName", "Company"}


def test_create_with_bad_json_is_json_parser_error(client: TestClient) -> None:
    reply = client.post(
        f"{BASE}/sobjects/Lead", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert reply.status_code == 400
    assert reply.json()[0]["errorCode"] == "JSON_PARSER_ERROR"


def test_get_record_all_fields_and_chosen_fields(client: TestClient, emu: EmulatorState) -> None:
    lead_id = make_lead(client, Phone="(415) 555-0100")
    full = client.get(f"{BASE}/sobjects/Lead/{lead_id}").json()
    assert full["attributes"] == {"type": "Lead", "url": f"{BASE}/sobjects/Lead/{lead_id}"}
    assert full["Phone"] == "(415) 555-0100"
    assert "Email" in full
    assert full["Email"] is None
    some = client.get(f"{BASE}/sobjects/Lead/{lead_id}", params={"fields": "Phone,LastName"})
    assert some.json() == {
        "attributes": {"type": "Lead", "url": f"{BASE}/sobjects/Lead/{lead_id}"},
        "Phone": "(415) 555-0100",
        "LastName": "Lovelace",
    }
    assert emu.stats.records_read == 2
    unknown = client.get(f"{BASE}/sobjects/Lead/{lead_id}", params={"fields": "Nope"})
    assert unknown.status_code == 400
    assert unknown.json()[0]["errorCode"] == "INVALID_FIELD"


def test_get_by_15_char_id(client: TestClient) -> None:
    lead_id = make_lead(client)
    reply = client.get(f"{BASE}/sobjects/Lead/{lead_id[:15]}")
    assert reply.status_code == 200
    assert reply.json()["Id"] == lead_id


def test_get_unknown_id_is_404(client: TestClient) -> None:
    lead_id = make_lead(client)
    missing = lead_id[:10] + "zzzzz"
    reply = client.get(f"{BASE}/sobjects/Lead/{missing}")
    assert reply.status_code == 404
    assert reply.json() == [
        {"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}
    ]


def test_get_with_id_of_another_type_is_malformed_id(client: TestClient) -> None:
    reply = client.get(f"{BASE}/sobjects/Lead/003Dn0000000001AAA")
    assert reply.status_code == 400
    [error] = reply.json()
    assert error["errorCode"] == "MALFORMED_ID"
    assert error["fields"] == ["Id"]


def test_non_id_segment_is_unknown_external_id_field(client: TestClient) -> None:
    reply = client.get(f"{BASE}/sobjects/Lead/banana")
    assert reply.status_code == 404
    assert reply.json() == [
        {
            "errorCode": "NOT_FOUND",
            "message": "Provided external ID field does not exist or is not accessible: banana",
        }
    ]


def test_update_is_204_and_changes_the_record(client: TestClient) -> None:
    lead_id = make_lead(client)
    reply = client.patch(f"{BASE}/sobjects/Lead/{lead_id}", json={"Company": "Babbage Ltd"})
    assert reply.status_code == 204
    assert reply.content == b""
    assert client.get(f"{BASE}/sobjects/Lead/{lead_id}").json()["Company"] == "Babbage Ltd"


def test_update_unknown_field_is_invalid_field(client: TestClient) -> None:
    lead_id = make_lead(client)
    reply = client.patch(f"{BASE}/sobjects/Lead/{lead_id}", json={"Bogus__c": 1})
    assert reply.status_code == 400
    [error] = reply.json()
    assert error["errorCode"] == "INVALID_FIELD"
    assert error["message"] == "No such column 'Bogus__c' on sobject of type Lead"


def test_update_with_array_body_is_json_parser_error(client: TestClient) -> None:
    lead_id = make_lead(client)
    reply = client.patch(f"{BASE}/sobjects/Lead/{lead_id}", json=[1, 2])
    assert reply.status_code == 400
    assert reply.json()[0]["errorCode"] == "JSON_PARSER_ERROR"


def test_delete_then_get_and_delete_again_are_entity_is_deleted(client: TestClient) -> None:
    lead_id = make_lead(client)
    assert client.delete(f"{BASE}/sobjects/Lead/{lead_id}").status_code == 204
    again = client.delete(f"{BASE}/sobjects/Lead/{lead_id}")
    assert again.status_code == 404
    assert again.json()[0]["errorCode"] == "ENTITY_IS_DELETED"
    fetched = client.get(f"{BASE}/sobjects/Lead/{lead_id}")
    assert fetched.status_code == 404
    assert fetched.json()[0]["message"] == "entity is deleted"


def test_post_to_id_path_creates(client: TestClient) -> None:
    reply = client.post(f"{BASE}/sobjects/Lead/Id", json={"LastName": "A", "Company": "B"})
    assert reply.status_code == 201
    assert reply.json()["id"].startswith("00Q")


def test_upsert_creates_then_updates(client: TestClient, ext_field: str) -> None:
    url = f"{BASE}/sobjects/Lead/{ext_field}/EXT-1"
    created = client.patch(url, json={"LastName": "Turing", "Company": "Bletchley"})
    assert created.status_code == 201
    assert created.json()["created"] is True
    updated = client.patch(url, json={"Company": "NPL"})
    assert updated.status_code == 200
    assert updated.json() == {
        "id": created.json()["id"],
        "success": True,
        "errors": [],
        "created": False,
    }
    fetched = client.get(f"{BASE}/sobjects/Lead/{ext_field}/EXT-1").json()
    assert fetched["Company"] == "NPL"


def test_upsert_update_before_v46_is_204(client: TestClient, ext_field: str) -> None:
    url = f"/services/data/v45.0/sobjects/Lead/{ext_field}/OLD-1"
    first = client.patch(url, json={"LastName": "A", "Company": "B"})
    assert first.status_code == 201
    assert "created" not in first.json()
    assert client.patch(url, json={"Company": "C"}).status_code == 204


def test_upsert_value_is_percent_decoded(client: TestClient, ext_field: str) -> None:
    reply = client.patch(
        f"{BASE}/sobjects/Lead/{ext_field}/%2B14155550100", json={"LastName": "A", "Company": "B"}
    )
    assert reply.status_code == 201
    record = client.get(f"{BASE}/sobjects/Lead/{reply.json()['id']}").json()
    assert record[ext_field] == "+14155550100"


def test_upsert_with_several_matches_is_300(
    client: TestClient, emu: EmulatorState, ext_field: str
) -> None:
    first = make_lead(client, **{ext_field: "DUP"})
    second = make_lead(client, **{ext_field: "DUP"})
    reply = client.patch(f"{BASE}/sobjects/Lead/{ext_field}/DUP", json={"Company": "X"})
    assert reply.status_code == 300
    assert sorted(reply.json()) == sorted(
        [f"{BASE}/sobjects/Lead/{first}", f"{BASE}/sobjects/Lead/{second}"]
    )
    assert client.get(f"{BASE}/sobjects/Lead/{ext_field}/DUP").status_code == 300


def test_upsert_body_with_other_external_value_is_400(client: TestClient, ext_field: str) -> None:
    reply = client.patch(
        f"{BASE}/sobjects/Lead/{ext_field}/A-1",
        json={"LastName": "A", "Company": "B", ext_field: "B-2"},
    )
    assert reply.status_code == 400
    assert reply.json()[0]["errorCode"] == "INVALID_FIELD"


def test_upsert_on_unknown_field_is_404(client: TestClient) -> None:
    reply = client.patch(f"{BASE}/sobjects/Lead/Nope__c/1", json={"LastName": "A"})
    assert reply.status_code == 404
    assert reply.json()[0]["errorCode"] == "NOT_FOUND"


def test_get_by_external_id_without_match_is_404(client: TestClient, ext_field: str) -> None:
    reply = client.get(f"{BASE}/sobjects/Lead/{ext_field}/none")
    assert reply.status_code == 404


def test_get_updated_and_deleted(client: TestClient, clock: Any) -> None:
    start = clock().strftime("%Y-%m-%dT%H:%M:%SZ")
    clock.advance(60)
    lead_id = make_lead(client)
    other = make_lead(client)
    client.delete(f"{BASE}/sobjects/Lead/{other}")
    clock.advance(120)
    end = clock().strftime("%Y-%m-%dT%H:%M:%SZ")
    updated = client.get(f"{BASE}/sobjects/Lead/updated/", params={"start": start, "end": end})
    assert updated.status_code == 200, updated.text
    assert lead_id in updated.json()["ids"]
    deleted = client.get(f"{BASE}/sobjects/Lead/deleted/", params={"start": start, "end": end})
    assert deleted.status_code == 200
    assert [d["id"] for d in deleted.json()["deletedRecords"]] == [other]


def test_get_updated_without_start_is_400(client: TestClient) -> None:
    reply = client.get(f"{BASE}/sobjects/Lead/updated/", params={"end": "2026-01-15T12:00:00Z"})
    assert reply.status_code == 400
    assert reply.json()[0]["errorCode"] == "MISSING_ARGUMENT"


def test_get_updated_with_start_after_end_is_invalid_replication_date(client: TestClient) -> None:
    reply = client.get(
        f"{BASE}/sobjects/Lead/updated/",
        params={"start": "2026-01-15T12:00:00Z", "end": "2026-01-15T11:00:00Z"},
    )
    assert reply.status_code == 400
    assert reply.json()[0]["errorCode"] == "INVALID_REPLICATION_DATE"


def test_missing_token_is_401(client: TestClient) -> None:
    reply = client.get(f"{BASE}/sobjects/Lead", headers={"Authorization": ""})
    assert reply.status_code == 401
    assert reply.json()[0]["errorCode"] == "INVALID_SESSION_ID"


def test_update_and_delete_with_non_id_segment_are_404(client: TestClient) -> None:
    patched = client.patch(f"{BASE}/sobjects/Lead/banana", json={"Company": "X"})
    assert patched.status_code == 404
    assert patched.json()[0]["errorCode"] == "NOT_FOUND"
    deleted = client.delete(f"{BASE}/sobjects/Lead/banana")
    assert deleted.status_code == 404


def test_post_to_a_record_path_is_405(client: TestClient) -> None:
    lead_id = make_lead(client)
    reply = client.post(f"{BASE}/sobjects/Lead/{lead_id}", json={"Company": "X"})
    assert reply.status_code == 405
    assert reply.json()[0]["errorCode"] == "METHOD_NOT_ALLOWED"


def test_upsert_update_only_refuses_to_create(client: TestClient, ext_field: str) -> None:
    url = f"{BASE}/sobjects/Lead/{ext_field}/NEW-1?updateOnly=true"
    reply = client.patch(url, json={"LastName": "A", "Company": "B"})
    assert reply.status_code == 404
    assert reply.json()[0]["errorCode"] == "NOT_FOUND"


def test_upsert_by_id_path_updates(client: TestClient) -> None:
    lead_id = make_lead(client)
    reply = client.patch(f"{BASE}/sobjects/Lead/Id/{lead_id}", json={"Company": "ById"})
    assert reply.status_code == 200
    assert reply.json()["created"] is False
    fetched = client.get(f"{BASE}/sobjects/Lead/Id/{lead_id}")
    assert fetched.json()["Company"] == "ById"


def test_replication_date_that_does_not_parse_is_400(client: TestClient) -> None:
    reply = client.get(
        f"{BASE}/sobjects/Lead/updated/", params={"start": "yesterday", "end": "today"}
    )
    assert reply.status_code == 400
    assert reply.json()[0]["errorCode"] == "INVALID_REPLICATION_DATE"


@given(
    moment=st.datetimes(
        min_value=datetime(2000, 1, 1),
        max_value=datetime(2100, 1, 1),
        timezones=st.sampled_from(
            [UTC, timezone(timedelta(hours=-7)), timezone(timedelta(hours=5, minutes=30))]
        ),
    ).map(lambda d: d.replace(microsecond=0)),
    style=st.sampled_from(["iso", "compact", "zulu"]),
)
def test_replication_times_parse_to_the_same_instant(moment: datetime, style: str) -> None:
    if style == "zulu":
        text = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    elif style == "compact":
        text = moment.strftime("%Y-%m-%dT%H:%M:%S.000%z")
    else:
        text = moment.isoformat()
    parsed = parse_replication_time(text, "start")
    assert parsed == moment
    assert parsed.tzinfo == UTC


def test_replication_time_from_a_query_string_plus_sign() -> None:
    parsed = parse_replication_time("2026-01-15T12:00:00 00:00", "end")
    assert parsed == datetime(2026, 1, 15, 12, tzinfo=UTC)
