"""Bulk API 2.0: query jobs with locator paging, ingest jobs with their three result files."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.testclient import TestClient

from sfemu.bulk2 import decode_locator, encode_locator
from sfemu.bulk2_ingest import DELIMITERS, LINE_ENDINGS, csv_text
from sfemu.org import Org
from sfemu.state import EmulatorState

BASE = "/services/data/v59.0"
JOBS = f"{BASE}/jobs"


def parse_csv(text: str, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def create_query_job(client: TestClient, soql: str, **extra: Any) -> dict[str, Any]:
    reply = client.post(f"{JOBS}/query", json={"operation": "query", "query": soql, **extra})
    assert reply.status_code == 200, reply.text
    job: dict[str, Any] = reply.json()
    return job


def create_ingest_job(client: TestClient, **spec: Any) -> str:
    body = {"object": "Lead", "contentType": "CSV", "lineEnding": "LF", **spec}
    reply = client.post(f"{JOBS}/ingest", json=body)
    assert reply.status_code == 200, reply.text
    assert reply.json()["state"] == "Open"
    job_id: str = reply.json()["id"]
    return job_id


def run_ingest(client: TestClient, csv_text: str, **spec: Any) -> str:
    job_id = create_ingest_job(client, **spec)
    put = client.put(
        f"{JOBS}/ingest/{job_id}/batches",
        content=csv_text.encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert put.status_code == 201
    closed = client.patch(f"{JOBS}/ingest/{job_id}", json={"state": "UploadComplete"})
    assert closed.status_code == 200
    assert closed.json()["state"] == "UploadComplete"
    info = client.get(f"{JOBS}/ingest/{job_id}").json()
    assert info["state"] == "JobComplete"
    return job_id


@pytest.fixture
def ext_field(org: Org) -> str:
    """Define a unique external id field on Lead."""
    org.add_custom_field("Lead", "Ext_Id", "string", length=40, external_id=True, unique=True)
    return "Ext_Id__c"


def test_query_job_lifecycle_and_locator_paging(
    client: TestClient, org: Org, emu: EmulatorState
) -> None:
    for i in range(5):
        org.create("Lead", {"LastName": f"L{i}", "Company": 'Quote "Co", Inc', "Phone": None})
    job = create_query_job(
        client, "SELECT Id, LastName, Company, Phone FROM Lead ORDER BY LastName"
    )
    assert job["state"] == "UploadComplete"
    assert job["object"] == "Lead"
    assert job["id"].startswith("750")
    assert job["apiVersion"] == 59.0
    early = client.get(f"{JOBS}/query/{job['id']}/results")
    assert early.status_code == 412
    assert early.json()[0]["errorCode"] == "JOB_NOT_COMPLETE"
    info = client.get(f"{JOBS}/query/{job['id']}").json()
    assert info["state"] == "JobComplete"
    assert info["numberRecordsProcessed"] == 5
    rows: list[list[str]] = []
    locator = ""
    pages = 0
    while True:
        params: dict[str, Any] = {"maxRecords": 2}
        if locator:
            params["locator"] = locator
        reply = client.get(f"{JOBS}/query/{job['id']}/results", params=params)
        assert reply.status_code == 200
        assert reply.headers["content-type"].startswith("text/csv")
        page = parse_csv(reply.text)
        assert page[0] == ["Id", "LastName", "Company", "Phone"]
        assert int(reply.headers["Sforce-NumberOfRecords"]) == len(page) - 1
        rows.extend(page[1:])
        pages += 1
        locator = reply.headers["Sforce-Locator"]
        if locator == "null":
            break
    assert pages == 3
    assert [r[1] for r in rows] == ["L0", "L1", "L2", "L3", "L4"]
    assert rows[0][2] == 'Quote "Co", Inc'
    assert rows[0][3] == ""
    assert emu.stats.records_read == 5


def test_query_results_are_quoted_and_use_the_delimiter(client: TestClient, org: Org) -> None:
    org.create("Lead", {"LastName": "A|B", "Company": "C"})
    job = create_query_job(
        client, "SELECT LastName FROM Lead", columnDelimiter="PIPE", lineEnding="CRLF"
    )
    client.get(f"{JOBS}/query/{job['id']}")
    reply = client.get(f"{JOBS}/query/{job['id']}/results")
    assert reply.text == '"LastName"\r\n"A|B"\r\n'
    assert reply.headers["Sforce-Locator"] == "null"


def test_query_all_job_includes_deleted(client: TestClient, org: Org) -> None:
    gone = org.create("Lead", {"LastName": "A", "Company": "C"})
    org.delete(gone)
    job = client.post(
        f"{JOBS}/query", json={"operation": "queryAll", "query": "SELECT Id, IsDeleted FROM Lead"}
    ).json()
    client.get(f"{JOBS}/query/{job['id']}")
    rows = parse_csv(client.get(f"{JOBS}/query/{job['id']}/results").text)
    assert rows[1] == [gone, "true"]


def test_query_job_errors(client: TestClient) -> None:
    bad = client.post(
        f"{JOBS}/query", json={"operation": "query", "query": "SELECT Nope FROM Lead"}
    )
    assert bad.status_code == 400
    assert bad.json()[0]["errorCode"] == "INVALID_FIELD"
    op = client.post(f"{JOBS}/query", json={"operation": "merge", "query": "SELECT Id FROM Lead"})
    assert op.status_code == 400
    assert op.json()[0]["errorCode"] == "INVALIDJOB"
    count = client.post(
        f"{JOBS}/query", json={"operation": "query", "query": "SELECT COUNT() FROM Lead"}
    )
    assert count.status_code == 400
    missing = client.get(f"{JOBS}/query/750Dn0000000000AAA")
    assert missing.status_code == 404


def test_bad_locator_is_400(client: TestClient, org: Org) -> None:
    job = create_query_job(client, "SELECT Id FROM Lead")
    client.get(f"{JOBS}/query/{job['id']}")
    reply = client.get(f"{JOBS}/query/{job['id']}/results", params={"locator": "!!"})
    assert reply.status_code == 400


def test_query_job_abort_list_and_delete(client: TestClient) -> None:
    job = create_query_job(client, "SELECT Id FROM Lead")
    aborted = client.patch(f"{JOBS}/query/{job['id']}", json={"state": "Aborted"})
    assert aborted.json()["state"] == "Aborted"
    again = client.patch(f"{JOBS}/query/{job['id']}", json={"state": "Aborted"})
    assert again.status_code == 400
    listed = client.get(f"{JOBS}/query").json()
    assert listed["done"] is True
    assert [j["id"] for j in listed["records"]] == [job["id"]]
    assert client.delete(f"{JOBS}/query/{job['id']}").status_code == 204
    assert client.get(f"{JOBS}/query/{job['id']}").status_code == 404


def test_ingest_insert_with_failures_and_result_files(client: TestClient, org: Org) -> None:
    data = "LastName,Company,Email\nAda,Engines,ada@example.com\nNoCompany,,\nBad,Co,not-an-email\n"
    job_id = run_ingest(client, data, operation="insert")
    info = client.get(f"{JOBS}/ingest/{job_id}").json()
    assert info["numberRecordsProcessed"] == 3
    assert info["numberRecordsFailed"] == 2
    assert info["jobType"] == "V2Ingest"
    ok = parse_csv(client.get(f"{JOBS}/ingest/{job_id}/successfulResults/").text)
    assert ok[0] == ["sf__Id", "sf__Created", "LastName", "Company", "Email"]
    assert ok[1][1:] == ["true", "Ada", "Engines", "ada@example.com"]
    assert org.get(ok[1][0])["Email"] == "ada@example.com"
    failed = parse_csv(client.get(f"{JOBS}/ingest/{job_id}/failedResults/").text)
    assert failed[0] == ["sf__Id", "sf__Error", "LastName", "Company", "Email"]
    assert failed[1][0] == ""
    assert failed[1][1] == (
        "REQUIRED_FIELD_MISSING:Required fields are missing: [Company]:Company --"
    )
    assert failed[2][1].startswith("INVALID_EMAIL_ADDRESS:")
    unprocessed = client.get(f"{JOBS}/ingest/{job_id}/unprocessedrecords/")
    assert parse_csv(unprocessed.text) == [["LastName", "Company", "Email"]]
    camel = client.get(f"{JOBS}/ingest/{job_id}/unprocessedRecords")
    assert camel.status_code == 200


def test_ingest_update_and_delete(client: TestClient, org: Org) -> None:
    first = org.create("Lead", {"LastName": "A", "Company": "B"})
    second = org.create("Lead", {"LastName": "A", "Company": "B", "Phone": "1"})
    data = f"Id,Company,Phone\n{first},New Co,\n{second},,#N/A\n00QDn0000000zzzAAA,X,\n"
    job_id = run_ingest(client, data, operation="update")
    assert org.get(first)["Company"] == "New Co"
    assert org.get(second)["Company"] == "B"
    assert org.get(second).get("Phone") is None
    failed = parse_csv(client.get(f"{JOBS}/ingest/{job_id}/failedResults").text)
    assert len(failed) == 2
    assert failed[1][0] == "00QDn0000000zzzAAA"
    deleted = run_ingest(client, f"Id\n{first}\n", operation="delete")
    assert org.lookup(first)["IsDeleted"] is True  # type: ignore[index] -- record exists
    ok = parse_csv(client.get(f"{JOBS}/ingest/{deleted}/successfulResults").text)
    assert ok[1][:2] == [first, "false"]


def test_ingest_upsert_by_external_id(client: TestClient, org: Org, ext_field: str) -> None:
    existing = org.create("Lead", {"LastName": "A", "Company": "B", ext_field: "E1"})
    data = f"{ext_field},LastName,Company,IsUnreadByOwner\nE1,A,Updated,false\nE2,New,Co,true\n"
    job_id = run_ingest(client, data, operation="upsert", externalIdFieldName=ext_field)
    ok = parse_csv(client.get(f"{JOBS}/ingest/{job_id}/successfulResults").text)
    assert next(row[:2] for row in ok[1:]) == [existing, "false"]
    assert ok[2][1] == "true"
    assert org.get(existing)["Company"] == "Updated"
    assert org.get(ok[2][0])["IsUnreadByOwner"] is True


def test_ingest_unknown_column_fails_the_job(client: TestClient) -> None:
    job_id = create_ingest_job(client, operation="insert")
    client.put(f"{JOBS}/ingest/{job_id}/batches", content=b"Nope__c\n1\n")
    client.patch(f"{JOBS}/ingest/{job_id}", json={"state": "UploadComplete"})
    info = client.get(f"{JOBS}/ingest/{job_id}").json()
    assert info["state"] == "Failed"
    assert "Nope__c" in info["errorMessage"]


def test_ingest_invalid_utf8_fails_the_job(client: TestClient, org: Org) -> None:
    job_id = create_ingest_job(client, operation="insert")
    client.put(f"{JOBS}/ingest/{job_id}/batches", content=b"LastName,Company\n\xff\xfe,B\n")
    closed = client.patch(f"{JOBS}/ingest/{job_id}", json={"state": "UploadComplete"})
    assert closed.status_code == 200
    info = client.get(f"{JOBS}/ingest/{job_id}").json()
    assert info["state"] == "Failed"
    assert info["errorMessage"].startswith("InvalidBatch : Failed to parse CSV")
    assert list(org.iter_records("Lead")) == []


def test_ingest_abort_leaves_rows_unprocessed(client: TestClient, org: Org) -> None:
    job_id = create_ingest_job(client, operation="insert")
    client.put(f"{JOBS}/ingest/{job_id}/batches", content=b"LastName,Company\nA,B\n")
    aborted = client.patch(f"{JOBS}/ingest/{job_id}", json={"state": "Aborted"})
    assert aborted.json()["state"] == "Aborted"
    rows = parse_csv(client.get(f"{JOBS}/ingest/{job_id}/unprocessedrecords").text)
    assert rows == [["LastName", "Company"], ["A", "B"]]
    assert list(org.iter_records("Lead")) == []
    late = client.put(f"{JOBS}/ingest/{job_id}/batches", content=b"LastName\nA\n")
    assert late.status_code == 409


def test_ingest_job_validation(client: TestClient) -> None:
    no_ext = client.post(f"{JOBS}/ingest", json={"object": "Lead", "operation": "upsert"})
    assert no_ext.status_code == 400
    assert no_ext.json()[0]["errorCode"] == "INVALIDJOB"
    bad_object = client.post(f"{JOBS}/ingest", json={"object": "Nope", "operation": "insert"})
    assert bad_object.status_code == 400
    bad_delimiter = client.post(
        f"{JOBS}/ingest", json={"object": "Lead", "operation": "insert", "columnDelimiter": "X"}
    )
    assert bad_delimiter.status_code == 400


def test_ingest_list_and_delete(client: TestClient) -> None:
    job_id = run_ingest(client, "LastName,Company\nA,B\n", operation="insert")
    listed = client.get(f"{JOBS}/ingest").json()
    assert [j["id"] for j in listed["records"]] == [job_id]
    assert client.delete(f"{JOBS}/ingest/{job_id}").status_code == 204
    assert client.get(f"{JOBS}/ingest/{job_id}").status_code == 404


def test_bulk_state_errors(client: TestClient) -> None:
    job_id = create_ingest_job(client, operation="insert")
    empty_close = client.patch(f"{JOBS}/ingest/{job_id}", json={"state": "UploadComplete"})
    assert empty_close.status_code == 409
    assert empty_close.json()[0]["errorCode"] == "INVALIDJOBSTATE"
    query = create_query_job(client, "SELECT Id FROM Lead")
    wrong = client.patch(f"{JOBS}/query/{query['id']}", json={"state": "UploadComplete"})
    assert wrong.status_code == 400
    client.get(f"{JOBS}/query/{query['id']}")
    bad_max = client.get(f"{JOBS}/query/{query['id']}/results", params={"maxRecords": "zero"})
    assert bad_max.status_code == 400
    unknown_kind = client.get(f"{JOBS}/ingest/{job_id}/everything")
    assert unknown_kind.status_code == 404


@given(
    rows=st.lists(
        st.lists(
            st.text(alphabet=st.characters(blacklist_characters="\x00"), max_size=20),
            min_size=3,
            max_size=3,
        ),
        max_size=30,
    ),
    delimiter=st.sampled_from(sorted(DELIMITERS)),
    line_ending=st.sampled_from(sorted(LINE_ENDINGS)),
)
def test_csv_text_round_trips_any_text(
    rows: list[list[str]], delimiter: str, line_ending: str
) -> None:
    text = "".join(csv_text(iter(rows), delimiter, line_ending))
    parsed = list(csv.reader(io.StringIO(text, newline=""), delimiter=DELIMITERS[delimiter]))
    assert parsed == rows


@given(offset=st.integers(min_value=0, max_value=10**9))
def test_locator_round_trips(offset: int) -> None:
    assert decode_locator(encode_locator(offset)) == offset


def test_finished_jobs_are_forgotten_after_seven_days(
    client: TestClient, clock: Any, relogin: Callable[[], None]
) -> None:
    old = create_query_job(client, "SELECT Id FROM Lead")
    client.get(f"{JOBS}/query/{old['id']}")
    clock.advance(7 * 86400 + 60)
    relogin()
    create_query_job(client, "SELECT Id FROM Lead")
    assert client.get(f"{JOBS}/query/{old['id']}").status_code == 404
