"""Bulk API 2.0 ingest: `Relationship.IndexedField` columns set a reference by its parent's key."""

from __future__ import annotations

import csv
import io
from typing import Any

from starlette.testclient import TestClient

from sfemu.org import Org

JOBS = "/services/data/v59.0/jobs"


def ingest(client: TestClient, data: str, sobject: str = "Lead", **spec: Any) -> dict[str, Any]:
    """Run one ingest job to its end; return its info and result files."""
    body = {"object": sobject, "contentType": "CSV", "lineEnding": "LF", **spec}
    job_id = client.post(f"{JOBS}/ingest", json=body).json()["id"]
    client.put(f"{JOBS}/ingest/{job_id}/batches", content=data.encode())
    client.patch(f"{JOBS}/ingest/{job_id}", json={"state": "UploadComplete"})
    info: dict[str, Any] = client.get(f"{JOBS}/ingest/{job_id}").json()

    def rows(kind: str) -> list[list[str]]:
        text = client.get(f"{JOBS}/ingest/{job_id}/{kind}").text
        return list(csv.reader(io.StringIO(text, newline="")))

    if info["state"] == "JobComplete":
        info["ok"] = rows("successfulResults")
        info["failed"] = rows("failedResults")
    return info


def test_owner_by_username_sets_owner_id(client: TestClient, org: Org) -> None:
    info = ingest(
        client, "LastName,Company,Owner.Username\nNg,Acme,ADMIN@sfemu.test\n", operation="insert"
    )
    assert info["numberRecordsFailed"] == 0
    lead_id = info["ok"][1][0]
    assert org.get(lead_id)["OwnerId"] == org.admin_user_id
    assert info["ok"][0][-1] == "Owner.Username"


def test_typed_polymorphic_header_and_id_key(client: TestClient, org: Org) -> None:
    data = f"LastName,Company,User:Owner.Id\nNg,Acme,{org.admin_user_id[:15]}\n"
    info = ingest(client, data, operation="insert")
    assert info["numberRecordsFailed"] == 0
    assert org.get(info["ok"][1][0])["OwnerId"] == org.admin_user_id


def test_self_reference_by_email_on_update(client: TestClient, org: Org) -> None:
    boss = org.create("Contact", {"LastName": "Boss", "Email": "boss@example.com"})
    report = org.create("Contact", {"LastName": "Report"})
    info = ingest(
        client, f"Id,ReportsTo.Email\n{report},boss@example.com\n", "Contact", operation="update"
    )
    assert info["numberRecordsFailed"] == 0
    assert org.get(report)["ReportsToId"] == boss


def test_unknown_parent_fails_only_that_row(client: TestClient, org: Org) -> None:
    data = "LastName,Company,Owner.Username\nGood,Acme,admin@sfemu.test\nBad,Acme,nobody@x.test\n"
    info = ingest(client, data, operation="insert")
    assert info["numberRecordsProcessed"] == 2
    assert info["numberRecordsFailed"] == 1
    assert info["failed"][1][1] == (
        "INVALID_FIELD:Foreign key external ID: nobody@x.test not found for field Username "
        "in entity User:OwnerId --"
    )
    assert org.count("Lead") == 1


def test_two_parents_with_the_key_fail_the_row(client: TestClient, org: Org) -> None:
    org.create("Contact", {"LastName": "A", "Email": "same@example.com"})
    org.create("Contact", {"LastName": "B", "Email": "same@example.com"})
    data = "LastName,ReportsTo.Email\nC,same@example.com\n"
    info = ingest(client, data, "Contact", operation="insert")
    assert info["numberRecordsFailed"] == 1
    assert "matches more than one record" in info["failed"][1][1]


def test_null_marker_clears_the_reference(client: TestClient, org: Org) -> None:
    boss = org.create("Contact", {"LastName": "Boss", "Email": "boss@example.com"})
    report = org.create("Contact", {"LastName": "Report", "ReportsToId": boss})
    info = ingest(client, f"Id,ReportsTo.Email\n{report},#N/A\n", "Contact", operation="update")
    assert info["numberRecordsFailed"] == 0
    assert org.get(report).get("ReportsToId") is None


def test_relationship_to_a_non_indexed_field_fails_the_job(client: TestClient) -> None:
    info = ingest(client, "LastName,Company,Owner.Title\nNg,Acme,CEO\n", operation="insert")
    assert info["state"] == "Failed"
    assert "Owner.Title" in info["errorMessage"]


def test_unknown_relationship_fails_the_job(client: TestClient) -> None:
    info = ingest(client, "LastName,Company,Boss.Email\nNg,Acme,x@y.z\n", operation="insert")
    assert info["state"] == "Failed"
    assert "Boss.Email" in info["errorMessage"]
