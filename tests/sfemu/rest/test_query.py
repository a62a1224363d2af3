"""REST query: first page, nextRecordsUrl paging, batch size, queryAll, locators, errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from sfemu import query as query_module
from sfemu.org import Org
from sfemu.state import EmulatorState

BASE = "/services/data/v59.0"


def seed_leads(org: Org, count: int) -> list[str]:
    return [org.create("Lead", {"LastName": f"L{i:05d}", "Company": "Acme"}) for i in range(count)]


def get_query(client: TestClient, soql: str, **headers: str) -> dict[str, Any]:
    reply = client.get(f"{BASE}/query", params={"q": soql}, headers=headers)
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


def test_small_query_is_one_done_page(client: TestClient, org: Org) -> None:
    [lead_id] = seed_leads(org, 1)
    body = get_query(client, "SELECT Id, LastName, Email FROM Lead")
    assert body["totalSize"] == 1
    assert body["done"] is True
    assert "nextRecordsUrl" not in body
    [record] = body["records"]
    assert record == {
        "attributes": {"type": "Lead", "url": f"{BASE}/sobjects/Lead/{lead_id}"},
        "Id": lead_id,
        "LastName": "L00000",
        "Email": None,
    }


def test_paging_with_batch_size_walks_every_record_once(
    client: TestClient, org: Org, emu: EmulatorState
) -> None:
    ids = seed_leads(org, 450)
    body = get_query(
        client,
        "SELECT Id FROM Lead ORDER BY LastName",
        **{"Sforce-Query-Options": "batchSize=200"},
    )
    seen = [r["Id"] for r in body["records"]]
    pages = 1
    assert body["totalSize"] == 450
    while not body["done"]:
        next_url = body["nextRecordsUrl"]
        assert next_url.startswith(f"{BASE}/query/01g")
        assert next_url.endswith(f"-{len(seen)}")
        reply = client.get(next_url)
        assert reply.status_code == 200
        body = reply.json()
        assert body["totalSize"] == 450
        seen.extend(r["Id"] for r in body["records"])
        pages += 1
    assert pages == 3
    assert seen == ids
    assert emu.stats.records_read == 450


def test_batch_size_is_clamped_to_200_at_least(client: TestClient, org: Org) -> None:
    seed_leads(org, 250)
    body = get_query(client, "SELECT Id FROM Lead", **{"Sforce-Query-Options": "batchSize=5"})
    assert len(body["records"]) == 200
    assert body["done"] is False


def test_default_batch_size_comes_from_config(
    client: TestClient, org: Org, emu: EmulatorState
) -> None:
    emu.config.query_batch_size = 300
    seed_leads(org, 301)
    body = get_query(client, "SELECT Id FROM Lead")
    assert len(body["records"]) == 300


def test_finished_cursor_is_gone(client: TestClient, org: Org) -> None:
    seed_leads(org, 201)
    body = get_query(client, "SELECT Id FROM Lead", **{"Sforce-Query-Options": "batchSize=200"})
    last = client.get(body["nextRecordsUrl"])
    assert last.json()["done"] is True
    again = client.get(body["nextRecordsUrl"])
    assert again.status_code == 400
    assert again.json()[0]["errorCode"] == "INVALID_QUERY_LOCATOR"


def test_cursor_expires_after_two_days(
    client: TestClient, org: Org, clock: Any, relogin: Callable[[], None]
) -> None:
    seed_leads(org, 201)
    body = get_query(client, "SELECT Id FROM Lead", **{"Sforce-Query-Options": "batchSize=200"})
    clock.advance(2 * 86400 + 1)
    relogin()
    reply = client.get(body["nextRecordsUrl"])
    assert reply.status_code == 400
    assert reply.json()[0]["errorCode"] == "INVALID_QUERY_LOCATOR"


def test_bad_locators_are_invalid_query_locator(client: TestClient) -> None:
    for locator in ("nonsense", "01gDn0000000000AAA-200", "01gDn0000000000AAA-x"):
        reply = client.get(f"{BASE}/query/{locator}")
        assert reply.status_code == 400
        assert reply.json() == [
            {"errorCode": "INVALID_QUERY_LOCATOR", "message": "invalid query locator"}
        ]


def test_query_all_shows_deleted_rows(client: TestClient, org: Org) -> None:
    keep, gone = seed_leads(org, 2)
    org.delete(gone)
    live = get_query(client, "SELECT Id FROM Lead")
    assert [r["Id"] for r in live["records"]] == [keep]
    reply = client.get(f"{BASE}/queryAll", params={"q": "SELECT Id, IsDeleted FROM Lead"})
    assert reply.status_code == 200
    rows = {r["Id"]: r["IsDeleted"] for r in reply.json()["records"]}
    assert rows == {keep: False, gone: True}


def test_count_query(client: TestClient, org: Org) -> None:
    seed_leads(org, 7)
    body = get_query(client, "SELECT COUNT() FROM Lead")
    assert body == {"totalSize": 7, "done": True, "records": []}


def test_parent_relationship_is_nested(client: TestClient, org: Org) -> None:
    seed_leads(org, 1)
    [record] = get_query(client, "SELECT Owner.Email FROM Lead")["records"]
    assert record["Owner"]["Email"] == "admin@sfemu.test"


def test_missing_q_is_malformed_query(client: TestClient) -> None:
    reply = client.get(f"{BASE}/query")
    assert reply.status_code == 400
    assert reply.json()[0]["errorCode"] == "MALFORMED_QUERY"


def test_bad_soql_errors_are_salesforce_worded(client: TestClient) -> None:
    unknown_field = client.get(f"{BASE}/query", params={"q": "SELECT Nope FROM Lead"})
    assert unknown_field.status_code == 400
    assert unknown_field.json()[0]["errorCode"] == "INVALID_FIELD"
    unknown_type = client.get(f"{BASE}/query", params={"q": "SELECT Id FROM ScratchOrgInfo"})
    assert unknown_type.status_code == 400
    assert unknown_type.json()[0]["errorCode"] == "INVALID_TYPE"
    garbage = client.get(f"{BASE}/query", params={"q": "SELEC Id FROM Lead"})
    assert garbage.status_code == 400
    assert garbage.json()[0]["errorCode"] == "MALFORMED_QUERY"


def test_modstamp_window_query_pages_in_order(client: TestClient, org: Org, clock: Any) -> None:
    first = seed_leads(org, 3)
    clock.advance(10)
    cutoff = clock().strftime("%Y-%m-%dT%H:%M:%SZ")
    later = seed_leads(org, 2)
    clock.advance(1)
    org.update("Lead", first[0], {"Company": "Changed"})
    body = get_query(
        client,
        f"SELECT Id FROM Lead WHERE SystemModstamp >= {cutoff} ORDER BY SystemModstamp, Id",
    )
    assert [r["Id"] for r in body["records"]] == [*sorted(later), first[0]]


def test_query_all_locator_path_and_offset_beyond_end(client: TestClient, org: Org) -> None:
    seed_leads(org, 250)
    reply = client.get(
        f"{BASE}/queryAll",
        params={"q": "SELECT Id FROM Lead"},
        headers={"Sforce-Query-Options": "batchSize=200"},
    )
    next_url = reply.json()["nextRecordsUrl"]
    locator = next_url.rsplit("/", 1)[1].rsplit("-", 1)[0]
    beyond = client.get(f"{BASE}/queryAll/{locator}-999")
    assert beyond.status_code == 400
    assert beyond.json()[0]["errorCode"] == "INVALID_QUERY_LOCATOR"
    second = client.get(f"{BASE}/queryAll/{locator}-200")
    assert second.status_code == 200
    assert len(second.json()["records"]) == 50


def test_abandoned_cursors_are_dropped_beyond_the_row_cap(
    client: TestClient, org: Org, emu: EmulatorState, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(query_module, "MAX_CURSOR_ROWS", 300)
    seed_leads(org, 250)
    options = {"Sforce-Query-Options": "batchSize=200"}
    first = get_query(client, "SELECT Id FROM Lead", **options)
    second = get_query(client, "SELECT Id FROM Lead", **options)
    assert client.get(second["nextRecordsUrl"]).status_code == 200
    reply = client.get(first["nextRecordsUrl"])
    assert reply.status_code == 400
    assert reply.json()[0]["errorCode"] == "INVALID_QUERY_LOCATOR"
