"""The `latest` version alias, describe If-Modified-Since, composite and collections limits."""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime as http_date
from typing import Any

from starlette.testclient import TestClient

from sfemu.clock import ManualClock
from sfemu.org import Org
from sfemu.state import LATEST_VERSION

BASE = "/services/data/v59.0"


# --- /services/data/latest -----------------------------------------------------------------


def test_latest_alias_serves_the_newest_version(client: TestClient) -> None:
    reply = client.get("/services/data/latest")
    assert reply.status_code == 200, reply.text
    assert reply.json()["sobjects"] == f"/services/data/v{LATEST_VERSION}/sobjects"


def test_latest_alias_works_for_data_calls_and_names_the_real_version(
    client: TestClient, org: Org
) -> None:
    org.create("Lead", {"LastName": "Ng", "Company": "Acme"})
    reply = client.get("/services/data/latest/query", params={"q": "SELECT Id FROM Lead"})
    assert reply.status_code == 200, reply.text
    url = reply.json()["records"][0]["attributes"]["url"]
    assert url.startswith(f"/services/data/v{LATEST_VERSION}/sobjects/Lead/")


def test_latest_alias_still_needs_a_session(client: TestClient) -> None:
    del client.headers["Authorization"]
    reply = client.get("/services/data/latest/sobjects")
    assert reply.status_code == 401
    assert reply.json()[0]["errorCode"] == "INVALID_SESSION_ID"


def test_a_version_that_only_starts_like_latest_is_unknown(client: TestClient) -> None:
    reply = client.get("/services/data/latestx/sobjects")
    assert reply.status_code == 404
    assert reply.json()[0]["errorCode"] == "NOT_FOUND"


def test_composite_subrequest_may_use_the_latest_alias(client: TestClient) -> None:
    reply = client.post(
        f"{BASE}/composite",
        json={
            "compositeRequest": [
                {
                    "method": "POST",
                    "url": "/services/data/latest/sobjects/Lead",
                    "referenceId": "lead",
                    "body": {"LastName": "Ng", "Company": "Acme"},
                }
            ]
        },
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["compositeResponse"][0]["httpStatusCode"] == 201


# --- describe If-Modified-Since ------------------------------------------------------------


def test_describe_unchanged_since_answers_304_with_no_body(
    client: TestClient, clock: ManualClock
) -> None:
    since = http_date(clock(), usegmt=True)
    clock.advance(60)
    for path in ("/sobjects/Lead/describe", "/sobjects"):
        reply = client.get(f"{BASE}{path}", headers={"If-Modified-Since": since})
        assert reply.status_code == 304, path
        assert reply.content == b""


def test_describe_after_a_schema_change_answers_200(
    client: TestClient, org: Org, clock: ManualClock
) -> None:
    since = http_date(clock(), usegmt=True)
    clock.advance(60)
    org.add_custom_field("Lead", "Score", "double")
    reply = client.get(f"{BASE}/sobjects/Lead/describe", headers={"If-Modified-Since": since})
    assert reply.status_code == 200
    assert "Score__c" in {f["name"] for f in reply.json()["fields"]}
    assert client.get(f"{BASE}/sobjects", headers={"If-Modified-Since": since}).status_code == 200
    other = client.get(f"{BASE}/sobjects/Contact/describe", headers={"If-Modified-Since": since})
    assert other.status_code == 304  # only Lead changed


def test_describe_with_an_older_or_unparseable_date_answers_200(client: TestClient) -> None:
    old = "Mon, 01 Jan 2001 00:00:00 GMT"
    for header in (old, "yesterday"):
        reply = client.get(f"{BASE}/sobjects/Lead/describe", headers={"If-Modified-Since": header})
        assert reply.status_code == 200, header
        assert reply.json()["name"] == "Lead"


# --- composite: at most 5 query or collection subrequests ----------------------------------


def heavy(n: int) -> list[dict[str, Any]]:
    """Return ``n`` query subrequests."""
    return [
        {"method": "GET", "url": f"{BASE}/query?q=SELECT+Id+FROM+Lead", "referenceId": f"q{i}"}
        for i in range(n)
    ]


def test_composite_with_five_queries_runs(client: TestClient) -> None:
    reply = client.post(f"{BASE}/composite", json={"compositeRequest": heavy(5)})
    assert reply.status_code == 200
    assert [r["httpStatusCode"] for r in reply.json()["compositeResponse"]] == [200] * 5


def test_composite_with_six_queries_or_collections_is_refused_whole(
    client: TestClient, org: Org
) -> None:
    collection = {
        "method": "POST",
        "url": f"{BASE}/composite/sobjects",
        "referenceId": "many",
        "body": {"records": [{"attributes": {"type": "Lead"}, "LastName": "A", "Company": "B"}]},
    }
    reply = client.post(f"{BASE}/composite", json={"compositeRequest": [*heavy(5), collection]})
    assert reply.status_code == 400
    assert reply.json() == [
        {
            "errorCode": "LIMIT_EXCEEDED",
            "message": "Exceeded max limit of query and sObject Collections subrequests "
            "allowed, max is 5",
            "fields": [],
        }
    ]
    assert org.count("Lead") == 0


def test_plain_record_subrequests_do_not_count_toward_the_five(client: TestClient) -> None:
    creates = [
        {
            "method": "POST",
            "url": f"{BASE}/sobjects/Lead",
            "referenceId": f"c{i}",
            "body": {"LastName": f"L{i}", "Company": "Acme"},
        }
        for i in range(10)
    ]
    reply = client.post(f"{BASE}/composite", json={"compositeRequest": [*heavy(5), *creates]})
    assert reply.status_code == 200
    assert len(reply.json()["compositeResponse"]) == 15


# --- collections: at most 10 chunks of one type --------------------------------------------


def alternating(chunks: int) -> list[dict[str, Any]]:
    """Return one Lead or Account per chunk, types alternating."""
    records = []
    for i in range(chunks):
        if i % 2:
            records.append({"attributes": {"type": "Account"}, "Name": f"A{i}"})
        else:
            records.append({"attributes": {"type": "Lead"}, "LastName": f"L{i}", "Company": "C"})
    return records


def test_collections_create_with_ten_chunks_runs(client: TestClient) -> None:
    reply = client.post(f"{BASE}/composite/sobjects", json={"records": alternating(10)})
    assert reply.status_code == 200
    assert all(r["success"] for r in reply.json())


def test_collections_create_with_eleven_chunks_is_refused_whole(
    client: TestClient, org: Org
) -> None:
    reply = client.post(f"{BASE}/composite/sobjects", json={"records": alternating(11)})
    assert reply.status_code == 400
    assert reply.json() == [
        {
            "errorCode": "INVALID_BATCH_REQUEST",
            "message": "Cannot have more than 10 chunks in a single operation. "
            "Please rearrange the data to reduce chunking.",
        }
    ]
    assert org.count("Lead") == 0
    assert org.count("Account") == 0


def test_many_records_of_two_types_grouped_are_two_chunks(client: TestClient) -> None:
    records = sorted(alternating(40), key=lambda r: str(r["attributes"]["type"]))
    reply = client.post(f"{BASE}/composite/sobjects", json={"records": records})
    assert reply.status_code == 200
    assert len(reply.json()) == 40


def test_collections_update_with_eleven_chunks_is_refused(client: TestClient, org: Org) -> None:
    leads = [org.create("Lead", {"LastName": f"L{i}", "Company": "C"}) for i in range(6)]
    accounts = [org.create("Account", {"Name": f"A{i}"}) for i in range(5)]
    mixed: list[dict[str, Any]] = []
    for i in range(6):
        mixed.append({"Id": leads[i], "Company": "New"})
        if i < 5:
            mixed.append({"Id": accounts[i], "Name": "New"})
    reply = client.patch(f"{BASE}/composite/sobjects", json={"records": mixed})
    assert reply.status_code == 400
    assert reply.json()[0]["errorCode"] == "INVALID_BATCH_REQUEST"
    assert org.get(leads[0])["Company"] == "C"


# --- the sync window query over REST, paged, served by the modstamp index -------------------


def test_window_query_pages_in_modstamp_order(
    client: TestClient, org: Org, clock: ManualClock
) -> None:
    made = []
    for _second in range(5):
        made += [org.create("Lead", {"LastName": f"N{i}", "Company": "C"}) for i in range(100)]
        clock.advance(1)
    org.update("Lead", made[0], {"Company": "Late"})  # moves to the newest stamp
    start = (clock() - timedelta(seconds=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    soql = f"SELECT Id FROM Lead WHERE SystemModstamp >= {start} ORDER BY SystemModstamp, Id"
    reply = client.get(
        f"{BASE}/query", params={"q": soql}, headers={"Sforce-Query-Options": "batchSize=200"}
    )
    body = reply.json()
    ids = [r["Id"] for r in body["records"]]
    while not body["done"]:
        body = client.get(body["nextRecordsUrl"]).json()
        ids += [r["Id"] for r in body["records"]]
    expected = sorted(
        (r["SystemModstamp"], r["Id"])
        for r in org.iter_records("Lead")
        if r["SystemModstamp"] >= org.get(made[200])["SystemModstamp"]
    )
    assert ids == [rid for _, rid in expected]
    assert len(ids) == 301
    assert ids[-1] == made[0]
