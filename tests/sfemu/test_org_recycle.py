"""Recycle bin, undelete, and the getUpdated / getDeleted replication windows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sfemu.clock import ManualClock
from sfemu.errors import SalesforceError
from sfemu.org import Org

LEAD = {"LastName": "Smith", "Company": "Acme"}


def _fails(call: Callable[..., object], *args: Any, **kwargs: Any) -> SalesforceError:
    with pytest.raises(SalesforceError) as info:
        call(*args, **kwargs)
    return info.value


def test_delete_moves_to_recycle_bin_and_undelete_restores(org: Org, clock: ManualClock) -> None:
    lead_id = org.create("Lead", LEAD)
    clock.advance(5)
    org.delete(lead_id)
    err = _fails(org.get, lead_id)
    assert (err.error_code, err.status, err.message) == (
        "ENTITY_IS_DELETED",
        404,
        "entity is deleted",
    )
    assert err.rest_body() == [
        {"message": "entity is deleted", "errorCode": "ENTITY_IS_DELETED", "fields": []}
    ]
    kept = org.get(lead_id, include_deleted=True)
    assert kept["IsDeleted"] is True
    assert kept["SystemModstamp"] == "2026-01-15T12:00:05.000+0000"
    assert [r["Id"] for r in org.iter_records("Lead", include_deleted=True)] == [lead_id]
    assert list(org.iter_records("Lead")) == []
    assert org.count("Lead") == 0
    assert _fails(org.delete, lead_id).error_code == "ENTITY_IS_DELETED"
    assert _fails(org.update, "Lead", lead_id, {"City": "x"}).error_code == "ENTITY_IS_DELETED"
    clock.advance(5)
    org.undelete(lead_id)
    restored = org.get(lead_id)
    assert restored["IsDeleted"] is False
    assert restored["LastModifiedDate"] == "2026-01-15T12:00:10.000+0000"
    assert org.count("Lead") == 1
    assert _fails(org.undelete, lead_id).error_code == "UNDELETE_FAILED"


def test_deleted_records_release_unique_values_until_undeleted(org: Org) -> None:
    org.add_custom_field("Lead", "Ext_Key", "string", length=20, external_id=True, unique=True)
    first = org.create("Lead", {**LEAD, "Ext_Key__c": "K1"})
    org.delete(first)
    assert org.find_by_field("Lead", "Ext_Key__c", "K1") == []
    second = org.create("Lead", {**LEAD, "Ext_Key__c": "K1"})
    err = _fails(org.undelete, first)
    assert err.error_code == "DUPLICATE_VALUE"
    assert second[:15] in err.message
    org.delete(second)
    org.undelete(first)
    assert org.find_by_field("Lead", "Ext_Key__c", "k1") == [first]


def test_get_updated_window(org: Org, clock: ManualClock) -> None:
    start = clock()
    a = org.create("Lead", LEAD)
    clock.advance(90)  # 12:01:30
    b = org.create("Lead", LEAD)
    clock.advance(150)  # 12:04:00
    org.create("Contact", {"LastName": "Other type"})
    body = org.get_updated("Lead", start, clock())
    assert body == {"ids": [a, b], "latestDateCovered": "2026-01-15T12:04:00.000+0000"}
    # seconds are truncated to the minute: 12:01:59 covers up to 12:01:00, so b is left out
    body = org.get_updated("Lead", start, start + timedelta(seconds=119))
    assert body == {"ids": [a], "latestDateCovered": "2026-01-15T12:01:00.000+0000"}
    # an end in the future is capped at the current minute
    body = org.get_updated("Lead", start, clock() + timedelta(hours=1))
    assert body["latestDateCovered"] == "2026-01-15T12:04:00.000+0000"


def test_get_updated_excludes_deleted_records(org: Org, clock: ManualClock) -> None:
    start = clock()
    a = org.create("Lead", LEAD)
    b = org.create("Lead", LEAD)
    org.delete(b)
    clock.advance(120)
    assert org.get_updated("Lead", start, clock())["ids"] == [a]


@pytest.mark.parametrize(
    ("offset_start", "offset_end", "message"),
    [
        (0, 0, "startDate must chronologically precede endDate by more than one minute"),
        (0, 30, "startDate must chronologically precede endDate by more than one minute"),
        (-31 * 86400, 0, "startDate cannot be more than 30 days ago"),
        (600, 1200, "startDate cannot be in the future"),
    ],
)
def test_get_updated_rejects_bad_windows(
    org: Org, clock: ManualClock, offset_start: int, offset_end: int, message: str
) -> None:
    now = clock()
    err = _fails(
        org.get_updated,
        "Lead",
        now + timedelta(seconds=offset_start),
        now + timedelta(seconds=offset_end),
    )
    assert (err.error_code, err.message, err.status) == ("INVALID_REPLICATION_DATE", message, 400)


def test_get_deleted_window_and_limits(org: Org, clock: ManualClock) -> None:
    start = clock()
    a = org.create("Lead", LEAD)
    b = org.create("Lead", LEAD)
    clock.advance(30)
    org.delete(a)
    clock.advance(60)
    org.delete(b)
    clock.advance(60)
    body = org.get_deleted("Lead", start, clock())
    assert body == {
        "deletedRecords": [
            {"id": a, "deletedDate": "2026-01-15T12:00:30.000+0000"},
            {"id": b, "deletedDate": "2026-01-15T12:01:30.000+0000"},
        ],
        "earliestDateAvailable": "2026-01-15T12:00:00.000+0000",
        "latestDateCovered": "2026-01-15T12:02:00.000+0000",
    }
    org.undelete(a)
    assert [r["id"] for r in org.get_deleted("Lead", start, clock())["deletedRecords"]] == [b]
    assert org.get_deleted("Contact", start, clock())["deletedRecords"] == []
    clock.advance(16 * 86400)
    err = _fails(org.get_deleted, "Lead", start, clock())
    assert err.message == "startDate cannot be more than 15 days ago"
    # 20 days back is fine for getUpdated (30-day window) but not for getDeleted
    assert org.get_updated("Lead", start, clock())["ids"] == [a]


def test_naive_window_bounds_count_as_utc(org: Org, clock: ManualClock) -> None:
    lead_id = org.create("Lead", LEAD)
    clock.advance(120)
    naive_start = clock().replace(tzinfo=None) - timedelta(minutes=5)
    assert org.get_updated("Lead", naive_start, clock())["ids"] == [lead_id]


def test_too_many_ids(org: Org, clock: ManualClock, monkeypatch: pytest.MonkeyPatch) -> None:
    from sfemu import replication

    monkeypatch.setattr(replication, "MAX_IDS", 2)
    start = clock()
    for _ in range(3):
        org.create("Lead", LEAD)
    clock.advance(120)
    err = _fails(org.get_updated, "Lead", start, clock())
    assert err.error_code == "EXCEEDED_ID_LIMIT"


def test_replication_of_non_replicateable_type(org: Org) -> None:
    now = datetime(2026, 1, 15, 11, 0, tzinfo=UTC)
    err = _fails(org.get_updated, "LeadStatus", now, now + timedelta(minutes=30))
    assert err.error_code == "INVALID_TYPE_FOR_OPERATION"
