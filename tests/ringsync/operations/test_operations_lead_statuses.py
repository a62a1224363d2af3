"""Pull lead statuses against sfemu: create, rename, reorder, flags, and never delete one in use."""

from __future__ import annotations

from typing import Any

import pytest

from ringsync.clock import FrozenClock
from ringsync.domain.contacts import create_contact
from ringsync.domain.dispositions import (
    DispositionView,
    create_disposition,
    list_dispositions,
)
from ringsync.operations import lead_statuses
from ringsync.operations.model import OperationKind, OperationRefusedError, OperationStatus
from ringsync.operations.runner import OperationRunner
from ringsync.operations.status_links import status_links
from ringsync.operations.store import items
from ringsync.store.db import Database

PULL = OperationKind.PULL_LEAD_STATUSES
DEFAULT_LABELS = [
    "Open - Not Contacted",
    "Working - Contacted",
    "Closed - Converted",
    "Closed - Not Converted",
]


def _dispositions(database: Database, account_id: int) -> dict[str, DispositionView]:
    with database.read() as session:
        return {d.name: d for d in list_dispositions(session, account_id)}


def _pull(runner: OperationRunner, account_id: int) -> dict[str, list[str]]:
    operation = runner.run(account_id, PULL)
    assert operation.status is OperationStatus.SUCCEEDED, operation.errors
    grouped: dict[str, list[str]] = {}
    with runner.env.database.read() as session:
        for item in items(session, account_id, operation.id):
            grouped.setdefault(item.action, []).append(item.label)
    return grouped


def _status_id(sf_org: Any, label: str) -> str:
    return next(r["Id"] for r in sf_org.iter_records("LeadStatus") if r["MasterLabel"] == label)


def test_imports_every_status_with_order_default_and_converted_flags(
    runner: OperationRunner, database: Database, account_id: int
) -> None:
    outcome = _pull(runner, account_id)

    assert outcome == {"created": DEFAULT_LABELS}
    found = _dispositions(database, account_id)
    assert [(n, d.sort_order) for n, d in sorted(found.items(), key=lambda x: x[1].sort_order)] == [
        (label, n) for n, label in enumerate(DEFAULT_LABELS, start=1)
    ]
    assert [n for n, d in found.items() if d.is_default] == ["Open - Not Contacted"]
    assert [n for n, d in found.items() if d.is_converted] == ["Closed - Converted"]
    assert found["Working - Contacted"].salesforce_status == "Working - Contacted"


def test_a_second_pull_changes_nothing(runner: OperationRunner, account_id: int) -> None:
    _pull(runner, account_id)

    assert _pull(runner, account_id) == {"unchanged": DEFAULT_LABELS}


def test_a_renamed_status_renames_its_disposition_in_place(
    runner: OperationRunner, database: Database, account_id: int, sf_org: Any
) -> None:
    _pull(runner, account_id)
    before = _dispositions(database, account_id)["Working - Contacted"]
    # Renaming a status changes its label; its id and API name stay.
    sf_org.set_system_fields(_status_id(sf_org, "Working - Contacted"), {"MasterLabel": "Working"})

    outcome = _pull(runner, account_id)

    assert outcome["updated"] == ["Working"]
    after = _dispositions(database, account_id)
    assert "Working - Contacted" not in after
    assert after["Working"].id == before.id


def test_order_default_and_converted_changes_follow_salesforce(
    runner: OperationRunner, database: Database, account_id: int, sf_org: Any
) -> None:
    _pull(runner, account_id)
    sf_org.set_system_fields(_status_id(sf_org, "Open - Not Contacted"), {"IsDefault": False})
    sf_org.set_system_fields(
        _status_id(sf_org, "Working - Contacted"),
        {"IsDefault": True, "SortOrder": 9, "IsConverted": True},
    )

    _pull(runner, account_id)

    found = _dispositions(database, account_id)
    assert [n for n, d in found.items() if d.is_default] == ["Working - Contacted"]
    assert found["Working - Contacted"].sort_order == 9
    assert found["Working - Contacted"].is_converted is True


def test_a_status_gone_from_salesforce_is_removed_when_unused(
    runner: OperationRunner, database: Database, account_id: int, sf_org: Any
) -> None:
    _pull(runner, account_id)
    sf_org.purge(_status_id(sf_org, "Closed - Not Converted"))

    outcome = _pull(runner, account_id)

    assert outcome["removed"] == ["Closed - Not Converted"]
    assert "Closed - Not Converted" not in _dispositions(database, account_id)


def test_a_status_gone_from_salesforce_is_kept_and_flagged_while_a_contact_uses_it(
    runner: OperationRunner,
    database: Database,
    account_id: int,
    sf_org: Any,
    clock: FrozenClock,
) -> None:
    _pull(runner, account_id)
    used = _dispositions(database, account_id)["Closed - Not Converted"]
    with database.write() as session:
        create_contact(
            session, account_id, {"phone": "+14155550101", "disposition_id": used.id}, clock=clock
        )
    sf_org.purge(_status_id(sf_org, "Closed - Not Converted"))

    outcome = _pull(runner, account_id)

    assert outcome["kept"] == ["Closed - Not Converted"]
    assert _dispositions(database, account_id)["Closed - Not Converted"].id == used.id
    with database.read() as session:
        link = status_links(session, account_id)[used.id]
    assert link.missing_since == clock.now()
    assert _pull(runner, account_id)["kept"] == ["Closed - Not Converted"]


def test_a_status_that_comes_back_clears_the_flag(
    runner: OperationRunner,
    database: Database,
    account_id: int,
    sf_org: Any,
    clock: FrozenClock,
) -> None:
    _pull(runner, account_id)
    used = _dispositions(database, account_id)["Closed - Not Converted"]
    with database.write() as session:
        create_contact(
            session, account_id, {"phone": "+14155550102", "disposition_id": used.id}, clock=clock
        )
    sf_org.purge(_status_id(sf_org, "Closed - Not Converted"))
    _pull(runner, account_id)
    sf_org.add_lead_status("Closed - Not Converted", sort_order=4)

    outcome = _pull(runner, account_id)

    assert outcome["updated"] == ["Closed - Not Converted"]
    with database.read() as session:
        link = status_links(session, account_id)[used.id]
    assert link.missing_since is None
    assert link.salesforce_status_id == _status_id(sf_org, "Closed - Not Converted")


def test_hand_made_dispositions_are_left_alone_and_same_names_are_adopted(
    runner: OperationRunner, database: Database, account_id: int
) -> None:
    with database.write() as session:
        mine = create_disposition(session, account_id, "Left voicemail", sort_order=50)
        same = create_disposition(session, account_id, "working - contacted", sort_order=7)

    outcome = _pull(runner, account_id)

    found = _dispositions(database, account_id)
    assert found["Left voicemail"] == mine
    assert found["Working - Contacted"].id == same.id
    assert outcome["updated"] == ["Working - Contacted"]
    assert len(found) == 5


def test_a_rename_onto_a_taken_name_is_skipped_with_the_reason(
    runner: OperationRunner, database: Database, account_id: int, sf_org: Any
) -> None:
    _pull(runner, account_id)
    with database.write() as session:
        create_disposition(session, account_id, "Callback")
    sf_org.set_system_fields(_status_id(sf_org, "Working - Contacted"), {"MasterLabel": "Callback"})

    preview = runner.preview(account_id, PULL)

    skipped = [i for i in preview.items if i.action == "skipped"]
    assert [(i.label, i.reason) for i in skipped] == [
        ("Working - Contacted", "cannot rename to 'Callback': another disposition has that name")
    ]
    _pull(runner, account_id)
    assert "Working - Contacted" in _dispositions(database, account_id)


def test_preview_matches_the_run_and_writes_nothing(
    runner: OperationRunner,
    database: Database,
    account_id: int,
    sf_org: Any,
    clock: FrozenClock,
) -> None:
    _pull(runner, account_id)
    used = _dispositions(database, account_id)["Closed - Converted"]
    with database.write() as session:
        create_contact(
            session, account_id, {"phone": "+14155550103", "disposition_id": used.id}, clock=clock
        )
    sf_org.purge(_status_id(sf_org, "Closed - Converted"))
    sf_org.purge(_status_id(sf_org, "Closed - Not Converted"))
    sf_org.set_system_fields(_status_id(sf_org, "Working - Contacted"), {"MasterLabel": "Working"})
    sf_org.add_lead_status("Nurture", sort_order=5)
    before = _dispositions(database, account_id)

    preview = runner.preview(account_id, PULL)

    assert _dispositions(database, account_id) == before
    assert preview.api_calls == 1
    done = runner.run(account_id, PULL)
    assert (
        preview.counts
        == done.counts
        == {
            "kept": 1,
            "removed": 1,
            "unchanged": 1,
            "updated": 1,
            "created": 1,
        }
    )
    with database.read() as session:
        ran = items(session, account_id, done.id)
    assert [i.as_dict() for i in ran] == [i.as_dict() for i in preview.items]


def test_parameters_are_refused(runner: OperationRunner, account_id: int) -> None:
    with pytest.raises(OperationRefusedError, match="takes no parameter 'x'"):
        runner.start(account_id, PULL, {"x": 1})


def test_match_prefers_the_status_id_over_names() -> None:
    link = lead_statuses.status_links.StatusLink(1, "01J000000000001AAA", "Old", None)
    linked = lead_statuses.LocalDisposition(1, "Other name", 1, False, False, "Old", link, 0)
    by_name = lead_statuses.LocalDisposition(2, "Fresh", 2, False, False, None, None, 0)
    status = lead_statuses.SalesforceStatus("01J000000000001AAA", "Fresh", "Fresh", 1, False, False)

    pairs, new = lead_statuses.match_statuses([status], [by_name, linked])

    assert [(d.id, s.id) for d, s in pairs] == [(1, status.id)]
    assert new == []
