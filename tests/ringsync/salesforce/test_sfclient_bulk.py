"""Bulk API 2.0 through the client against sfemu: streamed query pages and ingest outcomes."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest

from ringsync.errors import MappingError
from ringsync.salesforce.bulk import to_csv
from ringsync.salesforce.client import SalesforceClient


def _leads(count: int) -> list[dict[str, Any]]:
    return [
        {"LastName": f"L{n}", "Company": "Acme", "Phone": f"+1415555{n:04d}"} for n in range(count)
    ]


def test_bulk_query_streams_pages_until_the_null_locator(
    sf_client: SalesforceClient, sf_http: httpx2.Client
) -> None:
    sf_client.collections_create("Lead", _leads(450))
    pages: list[str] = []
    sf_http.event_hooks["request"].append(
        lambda request: (
            pages.append(request.url.path) if request.url.path.endswith("/results") else None
        )
    )
    rows = sf_client.bulk_query_iter(
        "SELECT Id, Phone, Email FROM Lead ORDER BY Phone", page_size=200
    )
    first = next(rows)
    assert len(pages) == 1  # later pages are not fetched yet
    assert first["Phone"] == "+14155550000"
    assert first["Email"] is None  # empty CSV cell = null
    rest = list(rows)
    assert len(rest) == 449
    assert len(pages) == 3
    assert rest[-1]["Phone"] == "+14155550449"


def test_bulk_query_rows_keep_quotes_line_breaks_and_non_ascii_text(
    sf_client: SalesforceClient,
) -> None:
    # Result pages are decoded as they are read (not copied whole into a str): a multi-byte
    # character or a quoted line break must come out exactly as stored.
    street = 'Zürich "Haus" 7\r\nFloor 2, Suite 😀'
    sf_client.collections_create(
        "Lead", [{"LastName": "Ünal", "Company": "Acme", "Street": street, "Phone": "+14155550999"}]
    )
    rows = list(sf_client.bulk_query_iter("SELECT LastName, Street FROM Lead", page_size=200))
    assert rows == [{"LastName": "Ünal", "Street": street}]


def test_bulk_query_of_a_bad_soql_fails_clearly(sf_client: SalesforceClient) -> None:
    with pytest.raises(MappingError, match="No such column 'Nope'") as info:
        list(sf_client.bulk_query_iter("SELECT Nope FROM Lead WHERE Phone = '+14155550100'"))
    assert info.value.context["endpoint"] == "jobs/query"
    assert "SELECT" not in str(info.value)
    assert "4155550100" not in str(info.value)


def test_bulk_ingest_reports_every_row(sf_client: SalesforceClient) -> None:
    rows = _leads(3)
    del rows[1]["Company"]
    result = sf_client.bulk_ingest("Lead", "insert", rows)
    assert result.state == "JobComplete"
    by_status: dict[str, list[Any]] = {}
    for row in result.rows:
        by_status.setdefault(row.status, []).append(row)
    assert len(by_status["success"]) == 2
    assert all(r.created and r.id for r in by_status["success"])
    [failed] = by_status["failed"]
    assert failed.error_code == "REQUIRED_FIELD_MISSING"
    assert failed.row["Phone"] == "+14155550001"
    assert result.failed == (failed,)
    assert sf_client.count("SELECT COUNT() FROM Lead") == 2


def test_bulk_upsert_by_external_id(sf_client: SalesforceClient, sf_org: Any) -> None:
    sf_org.add_custom_field(
        "Lead", "Phone_E164", "string", length=40, external_id=True, unique=True
    )
    rows = [dict(r, Phone_E164__c=r["Phone"]) for r in _leads(2)]
    first = sf_client.bulk_ingest("Lead", "upsert", rows, external_id_field="Phone_E164__c")
    assert [r.created for r in first.rows] == [True, True]
    rows[0]["LastName"] = "Changed"
    second = sf_client.bulk_ingest("Lead", "upsert", rows, external_id_field="Phone_E164__c")
    assert [r.created for r in second.rows] == [False, False]
    names = {r["LastName"] for r in sf_client.query_all("SELECT LastName FROM Lead")}
    assert names == {"Changed", "L1"}


def test_bulk_ingest_refuses_bad_arguments(sf_client: SalesforceClient) -> None:
    with pytest.raises(ValueError, match="operation"):
        sf_client.bulk_ingest("Lead", "merge", [])
    with pytest.raises(ValueError, match="external_id_field"):
        sf_client.bulk_ingest("Lead", "upsert", [])


def test_bulk_ingest_of_nothing_makes_no_job(sf_client: SalesforceClient, sf_state: Any) -> None:
    sf_state.stats.reset()
    result = sf_client.bulk_ingest("Lead", "insert", [])
    assert result.rows == ()
    assert sf_state.stats.api_calls_total == 0


def test_csv_rendering_of_values() -> None:
    from datetime import UTC, datetime

    text = to_csv(
        [
            {"A": "x,y", "B": None, "C": True},
            {"A": 'say "hi"', "D": datetime(2026, 1, 1, tzinfo=UTC)},
        ]
    ).decode()
    assert text.splitlines() == [
        "A,B,C,D",
        '"x,y",#N/A,true,',
        '"say ""hi""",,,2026-01-01T00:00:00.000Z',
    ]
