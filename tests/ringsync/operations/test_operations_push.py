"""Push contacts and push one contact through the engine against sfemu."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ringsync.clock import FrozenClock
from ringsync.domain.contact_values import Origin
from ringsync.domain.contacts import create_contact, update_contact
from ringsync.errors import NotFoundError
from ringsync.operations.model import OperationKind, OperationRefusedError, OperationStatus
from ringsync.operations.runner import OperationRunner
from ringsync.operations.store import items
from ringsync.store.db import Database
from ringsync.store.repositories.sync_links import list_links

PUSH = OperationKind.PUSH_CONTACTS
PUSH_ONE = OperationKind.PUSH_ONE
Configure = Callable[..., None]


def _contact(
    database: Database, account_id: int, clock: FrozenClock, phone: str, **values: Any
) -> int:
    with database.write() as session:
        change = create_contact(
            session, account_id, {"phone": phone, "last_name": "Ringsync", **values}, clock=clock
        )
    return change.contact.id


def _records(org: Any, sobject: str) -> list[dict[str, Any]]:
    return [r for r in org.iter_records(sobject) if not r.get("IsDeleted")]


def test_push_is_refused_when_no_direction_lets_ringsync_write(
    runner: OperationRunner, account_id: int, configure: Configure
) -> None:
    configure(create_direction="inbound", update_direction="inbound")

    with pytest.raises(OperationRefusedError, match="both the create and the update direction"):
        runner.start(account_id, PUSH)
    with pytest.raises(OperationRefusedError, match="are inbound"):
        runner.preview(account_id, PUSH)
    assert runner.latest(account_id) is None


def test_push_creates_contacts_as_the_priority_object(
    runner: OperationRunner,
    database: Database,
    account_id: int,
    clock: FrozenClock,
    configure: Configure,
    sf_org: Any,
) -> None:
    configure(create_direction="both", object_mode="both", priority="Contact")
    first = _contact(database, account_id, clock, "+14155550131")
    second = _contact(database, account_id, clock, "+14155550132")

    preview = runner.preview(account_id, PUSH)
    done = runner.run(account_id, PUSH)

    assert done.status is OperationStatus.SUCCEEDED, done.errors
    assert preview.counts == {"create": 2}
    assert {i.detail["sobject"] for i in preview.items} == {"Contact"}
    assert done.counts["queued"] == 2
    assert done.counts["created"] == preview.counts["create"]
    assert sorted(r["Phone"] for r in _records(sf_org, "Contact")) == [
        "+14155550131",
        "+14155550132",
    ]
    assert _records(sf_org, "Lead") == []
    with database.read() as session:
        linked = {link.contact_id: link.sobject for link in list_links(session, account_id)}
    assert linked == {first: "Contact", second: "Contact"}


def test_push_with_creates_inbound_updates_linked_contacts_and_skips_the_rest(
    runner: OperationRunner,
    database: Database,
    account_id: int,
    clock: FrozenClock,
    configure: Configure,
    sf_org: Any,
) -> None:
    configure(create_direction="both")
    linked = _contact(database, account_id, clock, "+14155550141", company="Old Co")
    runner.run(account_id, PUSH)
    configure(create_direction="inbound", update_direction="both")
    _contact(database, account_id, clock, "+14155550142")
    with database.write() as session:
        update_contact(
            session, account_id, linked, {"company": "New Co"}, origin=Origin.RINGSYNC, clock=clock
        )
    clock.advance(60)

    preview = runner.preview(account_id, PUSH)
    done = runner.run(account_id, PUSH)

    assert done.status is OperationStatus.SUCCEEDED, done.errors
    assert preview.counts == {"update": 1, "skip": 1}
    assert [i.reason for i in preview.items if i.action == "skip"] == [
        "create direction is inbound"
    ]
    update = next(i for i in preview.items if i.action == "update")
    assert "company" in update.detail["fields"]
    assert "owner" not in update.detail["fields"]  # a push never blanks a Salesforce value
    assert done.counts["queued"] == 1
    assert done.counts["skipped_by_direction"] == 1
    assert done.counts["updated"] == 1
    leads = _records(sf_org, "Lead")
    assert [(r["Phone"], r["Company"]) for r in leads] == [("+14155550141", "New Co")]


def test_a_second_push_sends_nothing_new(
    runner: OperationRunner,
    database: Database,
    account_id: int,
    clock: FrozenClock,
    configure: Configure,
    sf_org: Any,
) -> None:
    configure(create_direction="both")
    _contact(database, account_id, clock, "+14155550151")
    runner.run(account_id, PUSH)
    clock.advance(60)

    again = runner.run(account_id, PUSH)

    assert again.status is OperationStatus.SUCCEEDED, again.errors
    assert again.counts.get("created", 0) == 0
    assert again.counts.get("updated", 0) == 0
    assert len(_records(sf_org, "Lead")) == 1


def test_push_one_creates_only_the_priority_object_for_that_contact(
    runner: OperationRunner,
    database: Database,
    account_id: int,
    clock: FrozenClock,
    configure: Configure,
    sf_org: Any,
) -> None:
    configure(create_direction="both", object_mode="both", priority="Lead")
    chosen = _contact(database, account_id, clock, "+14155550161")

    preview = runner.preview(account_id, PUSH_ONE, {"contact_id": chosen})
    done = runner.run(account_id, PUSH_ONE, {"contact_id": chosen})

    assert done.status is OperationStatus.SUCCEEDED, done.errors
    assert [(i.action, i.reason) for i in preview.items] == [("create", "created as a Lead")]
    leads = _records(sf_org, "Lead")
    assert [r["Phone"] for r in leads] == ["+14155550161"]
    assert _records(sf_org, "Contact") == []
    with database.read() as session:
        result = items(session, account_id, done.id)[-1]
    assert (result.action, result.detail["sobject"]) == ("linked", "Lead")
    assert result.detail["record_id"] == leads[0]["Id"]


def test_push_one_is_refused_when_the_direction_forbids_what_the_contact_needs(
    runner: OperationRunner, database: Database, account_id: int, clock: FrozenClock
) -> None:
    unlinked = _contact(database, account_id, clock, "+14155550171")

    with pytest.raises(
        OperationRefusedError, match="cannot be pushed: create direction is inbound"
    ):
        runner.start(account_id, PUSH_ONE, {"contact_id": unlinked})


def test_push_one_needs_an_existing_contact(runner: OperationRunner, account_id: int) -> None:
    with pytest.raises(OperationRefusedError, match="needs contact_id"):
        runner.start(account_id, PUSH_ONE)
    with pytest.raises(NotFoundError, match="contact 999999 does not exist"):
        runner.start(account_id, PUSH_ONE, {"contact_id": 999_999})
