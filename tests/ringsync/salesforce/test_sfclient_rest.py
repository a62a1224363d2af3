"""The client against sfemu in process: records, upsert, queries, replication, errors."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx2
import pytest

from ringsync.errors import (
    FatalSyncError,
    MappingError,
    RecordNotFoundError,
    RecordRejectedError,
)
from ringsync.salesforce.client import SalesforceClient


def _lead(n: int, **extra: Any) -> dict[str, Any]:
    return {"LastName": f"Lead {n}", "Company": "Acme", "Phone": f"+1415555{n:04d}", **extra}


def test_create_get_update_delete_round_trip(sf_client: SalesforceClient) -> None:
    created = sf_client.create("Lead", _lead(1))
    assert created.success
    assert created.created
    assert created.id
    record = sf_client.get("Lead", created.id, ["Id", "LastName", "Phone"])
    assert record == {"Id": created.id, "LastName": "Lead 1", "Phone": "+14155550001"}
    sf_client.update("Lead", created.id, {"LastName": "Renamed"})
    assert sf_client.get("Lead", created.id)["LastName"] == "Renamed"
    sf_client.delete("Lead", created.id)
    with pytest.raises(RecordNotFoundError, match="ENTITY_IS_DELETED") as info:
        sf_client.get("Lead", created.id)
    assert info.value.context["status"] == 404
    assert info.value.context["record_ids"] == [created.id]


def test_missing_required_field_is_a_rejected_record(sf_client: SalesforceClient) -> None:
    with pytest.raises(RecordRejectedError, match="REQUIRED_FIELD_MISSING") as info:
        sf_client.create("Lead", {"LastName": "No company"})
    assert info.value.context["error_code"] == "REQUIRED_FIELD_MISSING"
    assert info.value.context["endpoint"] == "sobjects/{sobject}"
    assert info.value.context["sobject"] == "Lead"
    assert info.value.context["errors"][0]["fields"] == ["Company"]


def test_unknown_field_is_a_mapping_error(sf_client: SalesforceClient) -> None:
    with pytest.raises(MappingError, match="INVALID_FIELD"):
        sf_client.create("Lead", _lead(2, Nope__c="x"))


def test_unknown_record_is_not_found(sf_client: SalesforceClient) -> None:
    from sfemu.ids import to18

    with pytest.raises(RecordNotFoundError, match="NOT_FOUND"):
        sf_client.get("Lead", to18("00QDn0000009999"))


def test_malformed_id_is_a_rejected_record(sf_client: SalesforceClient) -> None:
    with pytest.raises(RecordRejectedError, match="MALFORMED_ID"):
        sf_client.get("Lead", "00Q000000000000AAA")


def test_bad_names_and_ids_never_reach_the_url(sf_client: SalesforceClient) -> None:
    with pytest.raises(ValueError, match="API name"):
        sf_client.get("Lead/../limits", "00Q000000000000AAA")
    with pytest.raises(ValueError, match="record id"):
        sf_client.get("Lead", "../../limits")


def test_upsert_percent_encodes_plus_in_external_ids(
    sf_client: SalesforceClient, sf_org: Any, sf_http: httpx2.Client
) -> None:
    sf_org.add_custom_field(
        "Lead", "Phone_E164", "string", length=40, external_id=True, unique=True
    )
    paths: list[bytes] = []
    sf_http.event_hooks["request"].append(lambda request: paths.append(request.url.raw_path))
    first = sf_client.upsert("Lead", "Phone_E164__c", "+14155550100", _lead(3))
    assert first.success
    assert first.created
    assert first.id
    again = sf_client.upsert("Lead", "Phone_E164__c", "+14155550100", {"LastName": "Again"})
    assert again.success
    assert not again.created
    assert again.id == first.id
    stored = sf_client.get("Lead", first.id, ["Phone_E164__c", "LastName"])
    assert stored["Phone_E164__c"] == "+14155550100"
    assert stored["LastName"] == "Again"
    assert b"/sobjects/Lead/Phone_E164__c/%2B14155550100" in paths[-3]


def test_query_pages_lazily_through_next_records_url(
    sf_client: SalesforceClient, sf_state: Any
) -> None:
    results = sf_client.collections_create("Lead", [_lead(n) for n in range(450)])
    assert all(r.success for r in results)
    sf_state.stats.reset()
    rows = sf_client.iter_query("SELECT Id, Phone FROM Lead ORDER BY Phone", batch_size=200)
    first = next(rows)
    assert first["Phone"] == "+14155550000"
    assert "attributes" not in first
    assert sf_state.stats.api_calls_total == 1  # only the first page so far
    rest = list(rows)
    assert len(rest) == 449
    assert sf_state.stats.api_calls_total == 3  # 200 + 200 + 50
    assert sf_client.count("SELECT COUNT() FROM Lead") == 450
    assert len(sf_client.query_all("SELECT Id FROM Lead WHERE Phone LIKE '+1415555000%'")) == 10


def test_query_all_includes_deleted_records(sf_client: SalesforceClient) -> None:
    created = sf_client.create("Lead", _lead(7))
    assert created.id
    sf_client.delete("Lead", created.id)
    assert sf_client.query_all("SELECT Id FROM Lead") == []
    deleted = sf_client.query_all("SELECT Id, IsDeleted FROM Lead", include_deleted=True)
    assert deleted == [{"Id": created.id, "IsDeleted": True}]


def test_malformed_query_is_fatal_and_echoes_no_soql(sf_client: SalesforceClient) -> None:
    with pytest.raises(FatalSyncError, match="MALFORMED_QUERY") as info:
        sf_client.query_all("SELECT FROM Lead WHERE Name = 'Secret Name'")
    assert "Secret Name" not in str(info.value)
    assert "Secret Name" not in repr(info.value.context)
    assert "Bearer" not in str(info.value)


def test_get_updated_and_get_deleted(sf_client: SalesforceClient, sf_org: Any) -> None:
    start = sf_org.now() - timedelta(minutes=5)
    kept = sf_client.create("Lead", _lead(8))
    gone = sf_client.create("Lead", _lead(9))
    assert kept.id
    assert gone.id
    sf_client.delete("Lead", gone.id)
    sf_org.advance_clock(180)
    end = sf_org.now()
    updated = sf_client.get_updated("Lead", start, end)
    assert updated.ids == (kept.id,)
    assert updated.latest_date_covered.tzinfo is not None
    assert updated.latest_date_covered <= end
    deleted = sf_client.get_deleted("Lead", start, end)
    assert [d.id for d in deleted.records] == [gone.id]
    assert deleted.records[0].deleted_at.tzinfo is not None


def test_describe_is_cached_and_typed(sf_client: SalesforceClient, sf_state: Any) -> None:
    lead = sf_client.describe("Lead")
    again = sf_client.describe("lead")
    assert again is lead
    assert sf_state.stats.calls_to("sobjects/{sobject}/describe") == 1
    last_name = lead.field("lastname")
    assert last_name is not None
    assert last_name.required_on_create
    assert last_name.length == 80
    owner = lead.field("OwnerId")
    assert owner is not None
    assert owner.relationship_name == "Owner"
    names = {o.name for o in sf_client.describe_global()}
    assert {"Lead", "Contact", "User"} <= names


def test_describe_cache_expires_after_its_ttl(
    sf_client: SalesforceClient, sf_state: Any, frozen_clock: Any
) -> None:
    sf_client.describe("Lead")
    frozen_clock.advance(15 * 60 + 1)
    sf_client.describe("Lead")
    assert sf_state.stats.calls_to("sobjects/{sobject}/describe") == 2


def test_limits_feed_the_budget(sf_client: SalesforceClient) -> None:
    limits = sf_client.limits()
    daily = limits.daily_api_requests
    assert daily is not None
    assert daily.max > 0
    snap = sf_client.budget.snapshot()
    assert snap.org_max == daily.max
    assert snap.org_used is not None
    assert snap.org_used >= 1
    assert snap.our_calls == 1
