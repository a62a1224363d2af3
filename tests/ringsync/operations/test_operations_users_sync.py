"""Sync users against sfemu: matching by email, every cleanup rule, the stored result."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from ringsync.clock import FrozenClock
from ringsync.domain.users import update_user
from ringsync.operations import users_plan
from ringsync.operations.model import OperationKind, OperationRefusedError, OperationStatus
from ringsync.operations.runner import OperationRunner
from ringsync.operations.store import items as runner_items
from ringsync.operations.users_sync import current_mappings, last_result, result_of
from ringsync.store.db import Database
from ringsync.store.repositories import sync_state
from ringsync.store.tables import User

SYNC = OperationKind.SYNC_USERS
AddUser = Callable[..., int]
AddSfUser = Callable[..., str]


def _sync(runner: OperationRunner, account_id: int, **params: Any) -> Any:
    operation = runner.run(account_id, SYNC, params)
    assert operation.status is OperationStatus.SUCCEEDED, operation.errors
    with runner.env.database.read() as session:
        return result_of(session, account_id, operation.id)


def _mappings(database: Database, account_id: int) -> dict[int, str]:
    with database.read() as session:
        return current_mappings(session, account_id)


def _map(database: Database, account_id: int, user_id: int, sf_id: str, email: str) -> None:
    with database.write() as session:
        sync_state.map_user(session, account_id, user_id, sf_id, email, FrozenClock().now())


def test_maps_by_email_ignoring_case_and_lists_unsynchronized_owners(
    runner: OperationRunner,
    database: Database,
    account_id: int,
    add_user: AddUser,
    add_sf_user: AddSfUser,
    clock: FrozenClock,
) -> None:
    ana = add_user("ana@example.com")
    sf_ana = add_sf_user("ANA@Example.COM", last_name="Ana")
    sf_bob = add_sf_user("bob@example.com", last_name="Bob")

    result = _sync(runner, account_id)

    assert _mappings(database, account_id) == {ana: sf_ana}
    assert [(i.target, i.detail["salesforce_user_id"]) for i in result.mapped] == [
        (f"user:{ana}", sf_ana)
    ]
    owners = {i.detail["salesforce_user_id"] for i in result.unsynchronized_owners}
    assert sf_bob in owners
    assert sf_ana not in owners
    assert result.at == clock.now()
    with database.read() as session:
        last = last_result(session, account_id)
    assert last is not None
    assert last.at == clock.now()
    assert [i.target for i in last.mapped] == [f"user:{ana}"]


def test_a_second_sync_reports_the_mapping_as_matched(
    runner: OperationRunner,
    database: Database,
    account_id: int,
    add_user: AddUser,
    add_sf_user: AddSfUser,
) -> None:
    ana = add_user("ana@example.com")
    sf_ana = add_sf_user("ana@example.com")
    _sync(runner, account_id)

    result = _sync(runner, account_id)

    assert [i.target for i in result.matched] == [f"user:{ana}"]
    assert result.mapped == ()
    assert _mappings(database, account_id) == {ana: sf_ana}


def test_never_creates_our_users(
    runner: OperationRunner, database: Database, account_id: int, add_sf_user: AddSfUser
) -> None:
    for n in range(3):
        add_sf_user(f"only.in.salesforce.{n}@example.com")

    result = _sync(runner, account_id)

    with database.read() as session:
        count = session.scalar(select(func.count()).where(User.account_id == account_id))
    assert count == 0
    assert len(result.unsynchronized_owners) >= 3
    assert result.mapped == ()


def test_our_user_without_a_salesforce_match_is_unmatched(
    runner: OperationRunner, account_id: int, add_user: AddUser
) -> None:
    lone = add_user("lone@example.com")

    result = _sync(runner, account_id)

    assert [(i.target, i.reason) for i in result.unmatched] == [
        (f"user:{lone}", "no Salesforce user has this email")
    ]


def test_an_email_shared_by_two_active_salesforce_users_is_not_guessed(
    runner: OperationRunner,
    database: Database,
    account_id: int,
    add_user: AddUser,
    add_sf_user: AddSfUser,
) -> None:
    add_user("twin@example.com")
    add_sf_user("twin@example.com")
    add_sf_user("Twin@example.com")

    result = _sync(runner, account_id)

    assert _mappings(database, account_id) == {}
    assert "2 active Salesforce users share this email" in result.unmatched[0].reason


def test_a_deactivated_salesforce_user_is_not_mapped(
    runner: OperationRunner,
    database: Database,
    account_id: int,
    add_user: AddUser,
    add_sf_user: AddSfUser,
) -> None:
    add_user("gone@example.com")
    add_sf_user("gone@example.com", active=False)

    result = _sync(runner, account_id)

    assert _mappings(database, account_id) == {}
    assert result.unmatched[0].reason == "the only Salesforce user with this email is deactivated"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"status": "deleted"}, "our user is deleted"),
        ({"status": "inactive"}, "our user is inactive"),
        ({"status": "suspended"}, "our user is suspended"),
        ({"kind": "extension"}, "our user is an extension"),
        ({"kind": "destination"}, "our user is a destination"),
    ],
    ids=["deleted", "inactive", "suspended", "extension", "destination"],
)
def test_mapping_removed_when_our_user_can_no_longer_own_records(
    runner: OperationRunner,
    database: Database,
    account_id: int,
    add_user: AddUser,
    add_sf_user: AddSfUser,
    clock: FrozenClock,
    change: dict[str, str],
    reason: str,
) -> None:
    ana = add_user("ana@example.com")
    sf_ana = add_sf_user("ana@example.com")
    _sync(runner, account_id)
    assert _mappings(database, account_id) == {ana: sf_ana}
    with database.write() as session:
        update_user(session, account_id, ana, change, clock=clock)

    result = _sync(runner, account_id)

    assert _mappings(database, account_id) == {}
    assert [(i.target, i.reason) for i in result.removed] == [(f"user:{ana}", reason)]
    assert result.mapped == ()
    assert [i.reason for i in result.skipped] == [reason]


def test_mapping_removed_when_the_salesforce_user_no_longer_exists(
    runner: OperationRunner,
    database: Database,
    account_id: int,
    add_user: AddUser,
) -> None:
    ana = add_user("ana@example.com")
    # A Salesforce id that the org does not have (e.g. a user from a sandbox refresh).
    _map(database, account_id, ana, "005Dn000000ZZZZIAA", "ana@example.com")

    result = _sync(runner, account_id)

    assert [(i.target, i.reason) for i in result.removed] == [
        (f"user:{ana}", users_plan.SF_MISSING)
    ]
    assert _mappings(database, account_id) == {}


def test_mapping_removed_when_the_salesforce_user_was_purged(
    runner: OperationRunner,
    database: Database,
    account_id: int,
    add_user: AddUser,
    add_sf_user: AddSfUser,
    sf_org: Any,
) -> None:
    ana = add_user("ana@example.com")
    sf_ana = add_sf_user("ana@example.com")
    _sync(runner, account_id)
    sf_org.purge(sf_ana)

    result = _sync(runner, account_id)

    assert [(i.target, i.reason) for i in result.removed] == [
        (f"user:{ana}", users_plan.SF_MISSING)
    ]
    assert [i.reason for i in result.unmatched] == ["no Salesforce user has this email"]
    assert _mappings(database, account_id) == {}


def test_mapping_removed_when_the_salesforce_user_is_deactivated(
    runner: OperationRunner,
    database: Database,
    account_id: int,
    add_user: AddUser,
    add_sf_user: AddSfUser,
    sf_org: Any,
) -> None:
    ana = add_user("ana@example.com")
    sf_ana = add_sf_user("ana@example.com")
    _sync(runner, account_id)
    sf_org.update("User", sf_ana, {"IsActive": False})

    result = _sync(runner, account_id)

    assert [(i.target, i.reason) for i in result.removed] == [
        (f"user:{ana}", users_plan.SF_DEACTIVATED)
    ]
    assert _mappings(database, account_id) == {}


def test_mapping_removed_when_the_salesforce_email_no_longer_matches(
    runner: OperationRunner,
    database: Database,
    account_id: int,
    add_user: AddUser,
    add_sf_user: AddSfUser,
    sf_org: Any,
) -> None:
    ana = add_user("ana@example.com")
    sf_ana = add_sf_user("ana@example.com")
    _sync(runner, account_id)
    sf_org.update("User", sf_ana, {"Email": "ana.new@example.com"})

    result = _sync(runner, account_id)

    assert [(i.target, i.reason) for i in result.removed] == [
        (f"user:{ana}", users_plan.SF_EMAIL_CHANGED)
    ]
    assert _mappings(database, account_id) == {}
    owners = {i.detail["salesforce_user_id"] for i in result.unsynchronized_owners}
    assert sf_ana in owners


def test_mapping_moves_when_our_email_now_matches_another_salesforce_user(
    runner: OperationRunner,
    database: Database,
    account_id: int,
    add_user: AddUser,
    add_sf_user: AddSfUser,
    clock: FrozenClock,
) -> None:
    ana = add_user("ana@example.com")
    add_sf_user("ana@example.com")
    sf_new = add_sf_user("ana@newcorp.example")
    _sync(runner, account_id)
    with database.write() as session:
        update_user(session, account_id, ana, {"email": "ana@newcorp.example"}, clock=clock)

    result = _sync(runner, account_id)

    assert [i.reason for i in result.removed] == [users_plan.SF_EMAIL_CHANGED]
    assert [i.detail["salesforce_user_id"] for i in result.mapped] == [sf_new]
    assert _mappings(database, account_id) == {ana: sf_new}


def test_preview_counts_equal_what_the_run_does(
    runner: OperationRunner,
    database: Database,
    account_id: int,
    add_user: AddUser,
    add_sf_user: AddSfUser,
    clock: FrozenClock,
) -> None:
    keep = add_user("keep@example.com")
    drop = add_user("drop@example.com")
    new = add_user("new@example.com")
    add_user("nobody@example.com")
    add_user("ext@example.com", kind="extension")
    add_sf_user("keep@example.com")
    add_sf_user("drop@example.com")
    add_sf_user("new@example.com")
    _sync(runner, account_id)
    add_user("late@example.com")
    add_sf_user("late@example.com")
    with database.write() as session:
        update_user(session, account_id, drop, {"status": "suspended"}, clock=clock)
    before = _mappings(database, account_id)

    preview = runner.preview(account_id, SYNC, {"batch_size": 2})
    assert _mappings(database, account_id) == before  # a preview writes nothing
    operation = runner.run(account_id, SYNC, {"batch_size": 2})

    assert operation.status is OperationStatus.SUCCEEDED
    assert preview.counts == operation.counts
    assert preview.counts[users_plan.MATCHED] == 2
    assert preview.counts[users_plan.REMOVED] == 1
    assert preview.counts[users_plan.MAPPED] == 1
    with database.read() as session:
        ran = runner_items(session, account_id, operation.id)
    assert [i.as_dict() for i in preview.items] == [i.as_dict() for i in ran]
    assert {i.target for i in ran if i.action == users_plan.MATCHED} == {
        f"user:{keep}",
        f"user:{new}",
    }


def test_bad_parameters_are_refused(runner: OperationRunner, account_id: int) -> None:
    with pytest.raises(OperationRefusedError, match="batch_size must be a whole number"):
        runner.start(account_id, SYNC, {"batch_size": 0})
    with pytest.raises(OperationRefusedError, match="no parameter 'colour'"):
        runner.preview(account_id, SYNC, {"colour": "red"})
    assert runner.latest(account_id, SYNC) is None


def test_preview_api_calls_equal_the_calls_the_run_makes(
    runner: OperationRunner,
    account_id: int,
    add_user: AddUser,
    add_sf_user: AddSfUser,
    sf_http: Any,
) -> None:
    for n in range(5):
        add_user(f"agent{n}@example.com")
        add_sf_user(f"agent{n}@example.com")
    add_user("ext1@example.com", kind="extension")
    add_user("ext2@example.com", kind="destination")
    _sync(runner, account_id, batch_size=2)
    add_user("late@example.com")
    preview = runner.preview(account_id, SYNC, {"batch_size": 2})
    calls: list[str] = []
    sf_http.event_hooks["request"].append(lambda request: calls.append(request.url.path))

    _sync(runner, account_id, batch_size=2)

    assert len(calls) == preview.api_calls
    assert all(path.endswith("/query") for path in calls)
