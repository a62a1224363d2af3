"""Sync log, runs, failed records, health and provenance through the admin API."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest

from ringsync.clock import FrozenClock
from ringsync.domain.contact_values import Origin
from ringsync.domain.contacts import create_contact, update_contact
from ringsync.store.db import Database
from ringsync.store.repositories import sync_failed, sync_links, sync_log
from ringsync.store.repositories.sync_log import LogAction, LogEntry, RunStatus

A = "/api/v1/admin"
_phones = itertools.count(200)


def new_contact(database: Database, clock: FrozenClock, account_id: int) -> int:
    with database.write() as session:
        values = {"phone": f"+1 415 555 0{next(_phones)}", "first_name": "Ada"}
        return create_contact(session, account_id, values, clock=clock).contact.id


@pytest.fixture
def history(world: Any, database: Database, clock: FrozenClock) -> dict[str, Any]:
    """Give account A two runs and five log rows a minute apart."""
    account = world.admin.account_id
    contact = new_contact(database, clock, account)
    start = clock.now()
    with database.write() as session:
        inbound = sync_log.start_run(session, account, "inbound", "Lead", start)
        outbound = sync_log.start_run(session, account, "outbound", None, start)
        entries = [
            LogEntry(
                "inbound", LogAction.CREATED, "new in Salesforce", "Lead", "00Q000000000001AAA"
            ),
            LogEntry(
                "inbound",
                LogAction.UPDATED,
                "changed in Salesforce",
                "Lead",
                "00Q000000000002AAA",
                contact,
                {"first_name": ("Ada", "Adah"), "phone": ("+14155550100", "+14155550199")},
            ),
            LogEntry("inbound", LogAction.SKIPPED, "echo", "Lead", "00Q000000000002AAA"),
        ]
        for minute, entry in enumerate(entries):
            at = start + timedelta(minutes=minute)
            sync_log.add_entries(session, account, [_in_run(entry, inbound)], at)
        failed = LogEntry(
            "outbound", LogAction.FAILED, "refused", "Lead", None, contact, error_code="REQUIRED"
        )
        sync_log.add_entries(session, account, [_in_run(failed, outbound)], start)
        sync_log.finish_run(
            session, account, inbound, RunStatus.SUCCEEDED, {"created": 1}, start, None
        )
    return {"contact": contact, "inbound": inbound, "outbound": outbound, "start": start}


def _in_run(entry: LogEntry, run_id: int) -> LogEntry:
    return LogEntry(**{**entry.__dict__, "run_id": run_id})


def test_the_log_pages_newest_first_with_an_opaque_cursor(
    world: Any, history: dict[str, Any]
) -> None:
    client = world.admin.client
    first = client.get(f"{A}/sync-log?limit=3").json()
    assert [e["action"] for e in first["items"]] == ["failed", "skipped", "updated"]
    assert first["next_cursor"]
    second = client.get(f"{A}/sync-log?limit=3&cursor={first['next_cursor']}").json()
    assert [e["action"] for e in second["items"]] == ["created"]
    assert second["next_cursor"] is None


def test_the_log_masks_phones_and_filters_by_record_contact_action_run_and_time(
    world: Any, history: dict[str, Any]
) -> None:
    client = world.admin.client
    updated = client.get(f"{A}/sync-log?action=updated").json()["items"]
    assert len(updated) == 1
    assert updated[0]["fields"]["first_name"] == ["Ada", "Adah"]
    assert "4155550199" not in str(updated[0]["fields"]["phone"])
    by_record = client.get(f"{A}/sync-log?record=00Q000000000002AAA").json()["items"]
    assert {e["action"] for e in by_record} == {"updated", "skipped"}
    by_contact = client.get(f"{A}/sync-log?contact={history['contact']}").json()["items"]
    assert {e["action"] for e in by_contact} == {"updated", "failed"}
    by_run = client.get(f"{A}/sync-log?run={history['outbound']}").json()["items"]
    assert [e["error_code"] for e in by_run] == ["REQUIRED"]
    since = (history["start"] + timedelta(minutes=1)).isoformat()
    until = (history["start"] + timedelta(minutes=2)).isoformat()
    window = client.get(f"{A}/sync-log", params={"since": since, "until": until}).json()
    assert [e["action"] for e in window["items"]] == ["updated"]


def test_bad_log_filters_are_each_explained(world: Any, expect_error: Any) -> None:
    client = world.admin.client
    naive = client.get(f"{A}/sync-log?since=2026-03-01T09:00:00&until=2026-03-02T09:00:00")
    error = expect_error(naive, 422, "validation_error")
    assert {d["field"] for d in error["details"]} == {"since", "until"}
    expect_error(client.get(f"{A}/sync-log?cursor=not-a-cursor"), 422, "validation_error")
    expect_error(client.get(f"{A}/sync-log?action=exploded"), 422, "validation_error")
    expect_error(client.get(f"{A}/sync-log?limit=0"), 422, "validation_error")


def test_runs_list_and_detail(world: Any, history: dict[str, Any], expect_error: Any) -> None:
    client = world.admin.client
    runs = client.get(f"{A}/runs").json()["items"]
    assert [r["id"] for r in runs] == [history["outbound"], history["inbound"]]
    detail = client.get(f"{A}/runs/{history['inbound']}").json()
    assert (detail["status"], detail["totals"], detail["log_entries"]) == (
        "succeeded",
        {"created": 1},
        3,
    )
    expect_error(client.get(f"{A}/runs/987654"), 404, "not_found")


def _fail(database: Database, clock: FrozenClock, account: int, contact: int, code: str) -> int:
    with database.write() as session:
        return sync_failed.record_failure(
            session,
            account,
            contact_id=contact,
            sobject="Lead",
            record_id=None,
            operation="update",
            payload={"properties": ["first_name"], "salesforce": {"FirstName": "Ada"}},
            error_code=code,
            message=f"Salesforce said {code}",
            at=clock.now(),
        )


def test_failed_records_can_be_retried_and_ignored_and_health_counts_them(
    world: Any, database: Database, clock: FrozenClock, expect_error: Any
) -> None:
    admin = world.admin
    account = admin.account_id
    retried = _fail(database, clock, account, new_contact(database, clock, account), "REQUIRED")
    ignored = _fail(database, clock, account, new_contact(database, clock, account), "REQUIRED")
    other = _fail(database, clock, account, new_contact(database, clock, account), "TOO_LONG")
    health = admin.client.get(f"{A}/health").json()
    assert health["failed_by_category"] == {"REQUIRED": 2, "TOO_LONG": 1}
    assert health["failed_open"] == 3
    assert health["outbox"]["pending"] == 3  # the three contacts' creates
    listed = admin.client.get(f"{A}/failed-records").json()["items"]
    assert [f["id"] for f in listed] == [retried, ignored, other]
    assert listed[0]["payload"]["properties"] == ["first_name"]
    again = admin.call("POST", f"{A}/failed-records/{retried}/retry")
    assert again.status_code == 200, again.text
    assert again.json()["status"] == "retrying"
    assert admin.client.get(f"{A}/health").json()["outbox"]["pending"] == 4
    dropped = admin.call("POST", f"{A}/failed-records/{ignored}/ignore")
    assert dropped.json()["status"] == "ignored"
    twice = expect_error(
        admin.call("POST", f"{A}/failed-records/{ignored}/ignore"), 409, "conflict"
    )
    assert "is ignored" in twice["message"]
    assert [
        f["id"] for f in admin.client.get(f"{A}/failed-records?status=ignored").json()["items"]
    ] == [ignored]
    expect_error(admin.call("POST", f"{A}/failed-records/123456/retry"), 404, "not_found")


def test_health_of_a_quiet_account(world: Any, history: dict[str, Any]) -> None:
    health = world.admin.client.get(f"{A}/health").json()
    assert health["connected"] is False
    assert health["api_budget"] is None
    assert health["failed_open"] == 0
    latest = {(r["direction"], r["object"]) for r in health["last_runs"]}
    assert latest == {("inbound", "Lead"), ("outbound", None)}


def test_provenance_shows_each_fields_side_time_and_masked_previous_value(
    connected: Any, database: Database, clock: FrozenClock
) -> None:
    admin = connected.admin
    contact = new_contact(database, clock, admin.account_id)
    clock.advance(60)
    with database.write() as session:
        update_contact(
            session,
            admin.account_id,
            contact,
            {"first_name": "Adah", "phone": "+1 415 555 0999"},
            origin=Origin.SALESFORCE,
            clock=clock,
        )
        sync_links.save(
            session,
            admin.account_id,
            sync_links.LinkRow(contact, "Lead", "00Q000000000009AAA"),
            clock.now(),
        )
    body = admin.client.get(f"{A}/contacts/{contact}/provenance").json()
    assert body["fields"]["first_name"]["side"] == "salesforce"
    assert body["fields"]["first_name"]["previous"] == "Ada"
    assert "4155550" not in (body["fields"]["phone"]["previous"] or "")
    assert body["salesforce"] == {
        "object": "Lead",
        "record_id": "00Q000000000009AAA",
        "url": "https://sfemu.test/00Q000000000009AAA",
        "last_synced_at": clock.now().isoformat().replace("+00:00", "Z"),
    }
