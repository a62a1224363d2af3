"""One-time operations and sync users through the admin API, against sfemu in process."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from ringsync.clock import FrozenClock
from ringsync.domain.users import create_user
from ringsync.operations import store as operation_store
from ringsync.operations.model import OperationKind
from ringsync.store.db import Database

A = "/api/v1/admin"
_nicknames = itertools.count(1)


@pytest.fixture
def sf_owner(sf_org: Any) -> Any:
    """Return a function that creates an active Salesforce user with an email."""

    def add(email: str) -> str:
        n = next(_nicknames)
        return str(
            sf_org.create(
                "User",
                {
                    "Username": f"owner{n}@org.sfemu.test",
                    "LastName": "Owner",
                    "Email": email,
                    "Alias": f"o{n}"[:8],
                    "CommunityNickname": f"owner{n}",
                    "IsActive": True,
                    "ProfileId": sf_org.standard_profile_id,
                },
            )
        )

    return add


def test_preview_then_run_sync_users_maps_by_email(
    connected: Any, sf_owner: Any, database: Database, clock: FrozenClock
) -> None:
    admin = connected.admin
    with database.write() as session:
        agent = create_user(
            session, admin.account_id, email="ada@example.com", name="Ada", clock=clock
        )
    sf_id = sf_owner("ADA@example.com")
    preview = admin.call("POST", f"{A}/operations/sync_users/preview")
    assert preview.status_code == 200, preview.text
    planned = preview.json()
    assert planned["kind"] == "sync_users"
    assert any(i["target"] == f"user:{agent.id}" for i in planned["items"])
    assert admin.client.get(f"{A}/users/sync").json()["last_result"] is None
    started = admin.call("POST", f"{A}/users/sync")
    assert started.status_code == 202, started.text
    operation = started.json()
    assert operation["status"] == "succeeded"
    result = admin.client.get(f"{A}/users/sync").json()
    assert result["latest_operation"]["id"] == operation["id"]
    assert result["last_result"]["last_synced_at"] is not None
    mapped = result["last_result"]["mapped"] + result["last_result"]["matched"]
    assert any(sf_id[:15] in str(item) for item in mapped)
    progress = admin.client.get(f"{A}/operations/{operation['id']}").json()
    assert progress["progress_done"] == progress["progress_total"]
    listed = admin.client.get(f"{A}/operations").json()["items"]
    assert listed[0]["id"] == operation["id"]


def test_with_a_runner_the_run_is_queued_and_handed_over(
    connected: Any, app: Any, database: Database, clock: FrozenClock
) -> None:
    submitted: list[tuple[str, dict[str, Any]]] = []

    class Recorder:
        def submit(self, task: str, /, **kwargs: Any) -> str:
            submitted.append((task, kwargs))
            return "job-1"

        def wake(self, account_id: int) -> None:
            del account_id

    app.state.ringsync.runner = Recorder()
    admin = connected.admin
    started = admin.call("POST", f"{A}/operations/pull_lead_statuses/run")
    assert started.status_code == 202, started.text
    body = started.json()
    assert body["status"] == "queued"
    assert submitted == [
        ("run_operation", {"account_id": admin.account_id, "operation_id": body["id"]})
    ]
    again = admin.call("POST", f"{A}/operations/pull_lead_statuses/run")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "conflict"
    cancelled = admin.call("POST", f"{A}/operations/{body['id']}/cancel")
    assert cancelled.json()["status"] == "cancelled"
    twice = admin.call("POST", f"{A}/operations/{body['id']}/cancel")
    assert twice.status_code == 409
    assert "nothing to cancel" in twice.json()["error"]["message"]


def test_without_a_connection_previews_and_runs_say_how_to_fix_it(
    world: Any, expect_error: Any
) -> None:
    admin = world.admin
    response = admin.call("POST", f"{A}/operations/sync_users/preview")
    error = expect_error(response, 422, "salesforce_not_connected")
    assert "connect it on the Salesforce tab" in error["message"]
    expect_error(admin.call("POST", f"{A}/users/sync"), 422, "salesforce_not_connected")
    run = admin.call("POST", f"{A}/operations/pull_lead_statuses/run")
    expect_error(run, 422, "salesforce_not_connected")
    assert admin.client.get(f"{A}/operations").json() == {"items": []}


def test_unknown_kinds_and_bad_parameters_are_refused(connected: Any, expect_error: Any) -> None:
    admin = connected.admin
    unknown = expect_error(
        admin.call("POST", f"{A}/operations/launch_rockets/run"), 422, "validation_error"
    )
    assert "sync_users" in unknown["details"][0]["reason"]
    bad = admin.call("POST", f"{A}/operations/sync_users/preview", json={"batch_size": 0})
    expect_error(bad, 422, "operation_refused")
    expect_error(admin.client.get(f"{A}/operations/999999"), 404, "not_found")


def test_a_queued_operation_shows_its_progress_but_not_its_cursor(
    connected: Any, database: Database, clock: FrozenClock
) -> None:
    admin = connected.admin
    with database.write() as session:
        queued = operation_store.add(
            session, admin.account_id, OperationKind.SYNC_USERS, {}, admin.user_id, clock.now()
        )
    progress = admin.client.get(f"{A}/operations/{queued.id}").json()
    assert progress["status"] == "queued"
    assert progress["errors"] == []
    assert "cursor" not in progress
