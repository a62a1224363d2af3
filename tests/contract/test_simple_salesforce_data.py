"""Unmodified simple-salesforce against sfemu over TLS: describe, CRUD, query, collections, bulk."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceMoreThanOneRecord,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

EXT_FIELD = "Contract_Ext__c"
DUP_FIELD = "Contract_Dup__c"


@pytest.fixture
def sf(sfemu_server: Any, sf_session: requests.Session) -> Salesforce:
    """Return a simple-salesforce client on a fresh admin token, with contract fields defined."""
    # REQUESTS_CA_BUNDLE in the environment would override session.verify (the test CA).
    sf_session.trust_env = False
    lead = sfemu_server.org.sobject("Lead")
    if lead.field(EXT_FIELD) is None:
        sfemu_server.org.add_custom_field(
            "Lead", EXT_FIELD, "string", length=80, external_id=True, unique=True
        )
    if lead.field(DUP_FIELD) is None:
        sfemu_server.org.add_custom_field("Lead", DUP_FIELD, "string", length=80, external_id=True)
    return Salesforce(
        instance_url=sfemu_server.base_url,
        session_id=sfemu_server.new_session_id(),
        session=sf_session,
        version="59.0",
    )


def marker() -> str:
    return uuid.uuid4().hex[:12]


def test_describe_global_and_object(sf: Salesforce) -> None:
    names = {entry["name"] for entry in sf.describe()["sobjects"]}
    assert {"Lead", "Contact", "Account", "User"} <= names
    fields = {f["name"] for f in sf.Lead.describe()["fields"]}
    assert {"Id", "LastName", "Company", "Phone", "SystemModstamp"} <= fields
    assert sf.Lead.metadata()["objectDescribe"]["name"] == "Lead"


def test_crud_round_trip(sf: Salesforce) -> None:
    tag = marker()
    created = sf.Lead.create({"LastName": f"Contract {tag}", "Company": "Sfemu"})
    assert created["success"] is True
    lead_id = created["id"]
    assert sf.Lead.get(lead_id)["LastName"] == f"Contract {tag}"
    assert sf.Lead.update(lead_id, {"Company": "Updated"}) == 204
    assert sf.Lead.get(lead_id)["Company"] == "Updated"
    assert sf.Lead.delete(lead_id) == 204
    with pytest.raises(SalesforceResourceNotFound) as info:
        sf.Lead.get(lead_id)
    assert info.value.content[0]["errorCode"] == "ENTITY_IS_DELETED"


def test_upsert_and_get_by_custom_id(sf: Salesforce) -> None:
    value = f"EXT-{marker()}"
    assert sf.Lead.upsert(f"{EXT_FIELD}/{value}", {"LastName": "Up", "Company": "C"}) == 201
    assert sf.Lead.upsert(f"{EXT_FIELD}/{value}", {"Company": "D"}) == 200
    assert sf.Lead.get_by_custom_id(EXT_FIELD, value)["Company"] == "D"


def test_upsert_with_several_matches_raises_more_than_one_record(sf: Salesforce) -> None:
    value = f"DUP-{marker()}"
    for _ in range(2):
        sf.Lead.create({"LastName": "Dup", "Company": "C", DUP_FIELD: value})
    with pytest.raises(SalesforceMoreThanOneRecord):
        sf.Lead.upsert(f"{DUP_FIELD}/{value}", {"Company": "X"})


def test_query_all_walks_several_pages(sf: Salesforce, sfemu_server: Any) -> None:
    expected = sfemu_server.org.count("Lead")
    assert expected > 400
    first = sf.query("SELECT Id FROM Lead", headers={"Sforce-Query-Options": "batchSize=200"})
    assert first["done"] is False
    assert first["nextRecordsUrl"].startswith("/services/data/v59.0/query/")
    result = sf.query_all("SELECT Id, LastName, Owner.Email FROM Lead")
    assert result["totalSize"] == expected
    assert len(result["records"]) == expected
    assert len({r["Id"] for r in result["records"]}) == expected


def test_query_all_with_deleted_rows(sf: Salesforce) -> None:
    tag = marker()
    lead_id = sf.Lead.create({"LastName": f"Gone {tag}", "Company": "C"})["id"]
    sf.Lead.delete(lead_id)
    soql = f"SELECT Id, IsDeleted FROM Lead WHERE LastName = 'Gone {tag}'"
    assert sf.query(soql)["totalSize"] == 0
    rows = sf.query_all(soql, include_deleted=True)["records"]
    assert [(r["Id"], r["IsDeleted"]) for r in rows] == [(lead_id, True)]


def test_updated_and_deleted_windows(sf: Salesforce, sfemu_server: Any) -> None:
    start = sfemu_server.org.now() - timedelta(minutes=5)
    lead_id = sf.Lead.create({"LastName": "Window", "Company": "C"})["id"]
    gone_id = sf.Lead.create({"LastName": "Window gone", "Company": "C"})["id"]
    sf.Lead.delete(gone_id)
    sfemu_server.org.advance_clock(120)
    end = sfemu_server.org.now()
    updated = sf.Lead.updated(start, end)
    assert lead_id in updated["ids"]
    assert "latestDateCovered" in updated
    deleted = sf.Lead.deleted(start, end)
    assert gone_id in [d["id"] for d in deleted["deletedRecords"]]


def test_collections_through_restful(sf: Salesforce) -> None:
    tag = marker()
    records = [
        {"attributes": {"type": "Lead"}, "LastName": f"Coll {tag} {i}", "Company": "C"}
        for i in range(3)
    ]
    created = sf.restful(
        "composite/sobjects",
        method="POST",
        data=json.dumps({"allOrNone": True, "records": records}),
    )
    assert created is not None
    assert [r["success"] for r in created] == [True, True, True]
    ids = [r["id"] for r in created]
    fetched = sf.restful(
        "composite/sobjects/Lead", params={"ids": ",".join(ids), "fields": "LastName"}
    )
    assert [r["LastName"] for r in fetched] == [f"Coll {tag} {i}" for i in range(3)]
    deleted = sf.restful("composite/sobjects", method="DELETE", params={"ids": ",".join(ids)})
    assert [r["success"] for r in deleted] == [True, True, True]


def test_composite_with_references(sf: Salesforce) -> None:
    body = {
        "allOrNone": True,
        "compositeRequest": [
            {
                "method": "POST",
                "url": "/services/data/v59.0/sobjects/Account",
                "referenceId": "acct",
                "body": {"Name": f"Composite {marker()}"},
            },
            {
                "method": "POST",
                "url": "/services/data/v59.0/sobjects/Contact",
                "referenceId": "con",
                "body": {"LastName": "Ref", "AccountId": "@{acct.id}"},
            },
        ],
    }
    result = sf.restful("composite", method="POST", data=json.dumps(body))
    assert result is not None
    statuses = [r["httpStatusCode"] for r in result["compositeResponse"]]
    assert statuses == [201, 201]


def test_bulk2_query_pages_until_null_locator(sf: Salesforce, sfemu_server: Any) -> None:
    expected = sfemu_server.org.count("Lead")
    pages = list(sf.bulk2.Lead.query("SELECT Id, LastName FROM Lead", max_records=1000, wait=0))
    assert len(pages) == -(-expected // 1000)
    rows = [row for page in pages for row in list(csv.reader(io.StringIO(page)))[1:]]
    assert len(rows) == expected


def test_bulk2_insert_and_upsert(sf: Salesforce, sfemu_server: Any) -> None:
    tag = marker()
    inserted = sf.bulk2.Lead.insert(
        records=[
            {"LastName": f"Bulk {tag} A", "Company": "C"},
            {"LastName": f"Bulk {tag} B", "Company": "C"},
            {"LastName": f"Bulk {tag} Bad"},
        ],
        wait=0,
    )
    assert inserted[0]["numberRecordsProcessed"] == 3
    assert inserted[0]["numberRecordsFailed"] == 1
    failed = sf.bulk2.Lead.get_failed_records(inserted[0]["job_id"])
    assert "REQUIRED_FIELD_MISSING" in failed
    upserted = sf.bulk2.Lead.upsert(
        records=[
            {EXT_FIELD: f"B-{tag}", "LastName": "Bulk", "Company": "C"},
            {EXT_FIELD: f"B-{tag}-2", "LastName": "Bulk", "Company": "C"},
        ],
        external_id_field=EXT_FIELD,
        wait=0,
    )
    assert upserted[0]["numberRecordsFailed"] == 0
    ok = sf.bulk2.Lead.get_successful_records(upserted[0]["job_id"])
    assert ok.splitlines()[0].startswith('"sf__Id","sf__Created"')
    unprocessed = sf.bulk2.Lead.get_unprocessed_records(upserted[0]["job_id"])
    header = next(csv.reader(io.StringIO(unprocessed)))
    assert sorted(header) == sorted([EXT_FIELD, "LastName", "Company"])


def test_limits_and_api_usage(sf: Salesforce, sfemu_server: Any) -> None:
    limits = sf.limits()
    assert limits["DailyApiRequests"]["Max"] == sfemu_server.org.daily_api_limit
    usage = sf.api_usage["api-usage"]
    assert usage.total == sfemu_server.org.daily_api_limit
    assert usage.used >= 1


def test_malformed_query_raises_malformed_request(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.query("SELECT Nope FROM Lead")
    assert info.value.status == 400
    assert info.value.content[0]["errorCode"] == "INVALID_FIELD"


def test_unknown_record_raises_resource_not_found(sf: Salesforce) -> None:
    with pytest.raises(SalesforceResourceNotFound):
        sf.Lead.get_by_custom_id(EXT_FIELD, "does-not-exist")


def test_bad_token_raises_expired_session(sfemu_server: Any, sf_session: requests.Session) -> None:
    sf_session.trust_env = False
    stale = Salesforce(
        instance_url=sfemu_server.base_url,
        session_id="00Dbogus!token",
        session=sf_session,
        version="59.0",
    )
    with pytest.raises(SalesforceExpiredSession):
        stale.query("SELECT Id FROM Lead LIMIT 1")


def test_exhausted_daily_limit_raises_refused_request(sf: Salesforce, sfemu_server: Any) -> None:
    stats = sfemu_server.state.stats
    org = sfemu_server.org
    used_before = stats.daily_used
    stats.set_daily_used(org.daily_api_limit, org.now())
    try:
        with pytest.raises(SalesforceRefusedRequest) as info:
            sf.query("SELECT Id FROM Lead LIMIT 1")
        assert info.value.content[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
    finally:
        stats.set_daily_used(used_before, org.now())


def test_server_error_raises_general_error(sf: Salesforce, sfemu_server: Any) -> None:
    sfemu_server.state.faults.add({"kind": "http_500", "endpoint": "limits", "count": 1})
    with pytest.raises(SalesforceGeneralError) as info:
        sf.limits()
    assert info.value.status == 500
    assert sf.limits()["DailyApiRequests"]["Max"] == sfemu_server.org.daily_api_limit
