"""The operations, users, logs and health sections: history, results, filters, failed records."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from html import unescape
from typing import Any

from ringsync.clock import FrozenClock
from ringsync.operations import store as operations_store
from ringsync.operations.model import OperationKind, OperationStatus, PlannedItem
from ringsync.store.db import Database
from ringsync.store.repositories import sync_failed, sync_log
from ringsync.store.repositories.sync_log import LogAction, LogEntry, RunStatus


def _log(database: Database, account_id: int, clock: FrozenClock) -> int:
    now = clock.now()
    with database.write() as session:
        run = sync_log.start_run(session, account_id, "inbound", "Lead", now)
        sync_log.add_entries(
            session,
            account_id,
            [
                LogEntry(
                    "inbound",
                    LogAction.CREATED,
                    "new in Salesforce",
                    sobject="Lead",
                    record_id="00Q000000000001AAA",
                    fields={"first_name": (None, "Ada"), "phone": (None, "+14155550123")},
                    run_id=run,
                ),
                LogEntry(
                    "outbound",
                    LogAction.FAILED,
                    "update refused by Salesforce",
                    sobject="Contact",
                    record_id="003000000000001AAA",
                    error_code="FIELD_CUSTOM_VALIDATION_EXCEPTION",
                    error_message="This first name is not allowed",
                    run_id=run,
                ),
            ],
            now - timedelta(minutes=5),
        )
        sync_log.finish_run(
            session, account_id, run, RunStatus.SUCCEEDED, {"created": 1, "failed": 1}, now
        )
    return run


def test_logs_show_entries_newest_first_with_masked_phones(
    people: Any, database: Database, clock: FrozenClock
) -> None:
    _log(database, people.admin.account_id, clock)
    html = people.admin.client.get("/salesforce/sections/logs").text
    rows = re.findall(r'<tr data-action="([a-z]+)">', html)
    assert rows == ["failed", "created"]
    assert "+14155550123" not in html
    assert "0123" in html  # the last digits stay readable
    assert "This first name is not allowed" in html


def test_log_filters_narrow_the_entries(
    people: Any, database: Database, clock: FrozenClock
) -> None:
    run = _log(database, people.admin.account_id, clock)
    client = people.admin.client
    by_action = client.get("/salesforce/sections/logs?action=created").text
    assert re.findall(r'<tr data-action="([a-z]+)">', by_action) == ["created"]
    assert '<option value="created" selected>' in by_action
    by_object = client.get("/salesforce/sections/logs?sobject=Contact").text
    assert re.findall(r'<tr data-action="([a-z]+)">', by_object) == ["failed"]
    by_direction = client.get("/salesforce/sections/logs?direction=inbound").text
    assert re.findall(r'<tr data-action="([a-z]+)">', by_direction) == ["created"]
    by_record = client.get("/salesforce/sections/logs?record=003000000000001AAA").text
    assert re.findall(r'<tr data-action="([a-z]+)">', by_record) == ["failed"]
    by_run = client.get(f"/salesforce/sections/logs?run={run + 1000}").text
    assert "No log entries match these filters." in by_run
    # a full page load takes the same filters (the filter form is a plain GET form)
    page = client.get("/salesforce?action=failed").text
    assert re.findall(r'<tr data-action="([a-z]+)">', page) == ["failed"]


def test_a_filter_that_is_not_a_number_is_ignored_not_an_error(
    people: Any, database: Database, clock: FrozenClock
) -> None:
    _log(database, people.admin.account_id, clock)
    response = people.admin.client.get("/salesforce/sections/logs?contact=abc&run=x")
    assert response.status_code == 200
    assert len(re.findall(r'<tr data-action="', response.text)) == 2


def test_an_overlong_filter_is_refused(people: Any) -> None:
    response = people.admin.client.get("/salesforce/sections/logs?record=" + "x" * 41)
    assert response.status_code == 422


def test_runs_are_listed_with_their_totals(
    people: Any, database: Database, clock: FrozenClock
) -> None:
    run = _log(database, people.admin.account_id, clock)
    html = people.admin.client.get("/salesforce/sections/logs").text
    assert f'<a href="/salesforce?run={run}#logs">{run}</a>' in html
    assert "created 1, failed 1" in html


def test_failed_records_have_retry_and_ignore_and_error_counts(
    people: Any, database: Database, clock: FrozenClock
) -> None:
    account = people.admin.account_id
    with database.write() as session:
        failed_id = sync_failed.record_failure(
            session,
            account,
            contact_id=None,
            sobject="Lead",
            record_id="00Q000000000009AAA",
            operation="update",
            payload={},
            error_code="STRING_TOO_LONG",
            message="Last Name: data value too large",
            at=clock.now(),
        )
    html = people.admin.client.get("/salesforce/sections/logs").text
    assert '<span class="badge">STRING_TOO_LONG: 1</span>' in html
    assert f'aria-label="Retry failed record {failed_id}"' in html
    assert f'aria-label="Ignore failed record {failed_id}"' in html
    with database.write() as session:
        sync_failed.set_status(
            session, account, [failed_id], sync_failed.FailedStatus.RETRYING, clock.now()
        )
    html = people.admin.client.get("/salesforce/sections/logs").text
    assert "retry queued" in html
    assert f'aria-label="Retry failed record {failed_id}"' not in html


def test_the_chart_carries_its_series_and_a_table_for_screen_readers(
    people: Any, database: Database, clock: FrozenClock
) -> None:
    _log(database, people.admin.account_id, clock)
    html = people.admin.client.get("/salesforce/sections/logs").text
    found = re.search(r'data-series="([^"]*)"', html)
    assert found is not None
    series = json.loads(unescape(found.group(1)))
    assert len(series) == 24
    assert sum(b["synced"] for b in series) == 1
    assert sum(b["failed"] for b in series) == 1
    assert 'data-unit="hour"' in html
    assert "<td>1</td><td>1</td>" in html  # the table row of the hour with both


def test_operations_history_and_users_result(
    people: Any, database: Database, clock: FrozenClock
) -> None:
    account = people.admin.account_id
    now = clock.now()
    with database.write() as session:
        op = operations_store.add(session, account, OperationKind.SYNC_USERS, {}, None, now)
        operations_store.add_items(
            session,
            account,
            op.id,
            [
                PlannedItem("mapped", "user:1", "ada@example.com", "same email"),
                PlannedItem("removed", "user:2", "bob@example.com", "the user is suspended"),
            ],
            now,
        )
        operations_store.finish(session, account, op.id, OperationStatus.SUCCEEDED, now)
        operations_store.add_users_sync_run(session, account, op.id, now, {})
    html = people.admin.client.get("/salesforce").text
    history = re.search(
        rf'<tr data-operation="{op.id}" data-status="succeeded">.*?</tr>', html, re.S
    )
    assert history is not None
    assert "sync users" in history.group(0)
    assert "Newly mapped (1)" in html
    assert "Removed (1)" in html
    assert "bob@example.com" in html
    assert "the user is suspended" in html
    assert f'datetime="{now.isoformat()}" id="users-last-sync"' in html


def test_the_empty_sections_say_so(people: Any) -> None:
    html = people.admin.client.get("/salesforce").text
    assert "No one-time operation has run yet." in html
    assert "Users have not been synced yet." in html
    assert "No failed records." in html
    assert "No sync run yet." in html
    assert "Not connected. Connect Salesforce to sync Leads and Contacts." in html


def test_the_operations_say_pull_may_charge_lrn_lookups(people: Any) -> None:
    html = people.admin.client.get("/salesforce/sections/operations").text
    assert "may incur LRN lookup charges" in html
    for kind in ("pull_contacts", "push_contacts", "pull_lead_statuses"):
        assert f'class="run-operation" data-kind="{kind}"' in html
    assert 'aria-live="polite" role="status"' in html  # progress is announced


def test_sections_render_alone(people: Any) -> None:
    for name in ("connection", "settings", "mapping", "operations", "users", "logs"):
        response = people.admin.client.get(f"/salesforce/sections/{name}")
        assert response.status_code == 200
        assert f'data-section="{name}"' in response.text
        assert "<html" not in response.text


def test_the_old_address_redirects_with_its_query(people: Any) -> None:
    response = people.admin.client.get("/admin/salesforce?connected=1", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/salesforce?connected=1"
