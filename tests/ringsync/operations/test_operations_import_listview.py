"""Import a Salesforce list view into a ringsync list: SOQL or results paging, priority, preview."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx2
import pytest

from ringsync.clock import FrozenClock
from ringsync.domain.contacts import get_contact
from ringsync.domain.lists import list_lists, list_members
from ringsync.operations.model import OperationKind, OperationRefusedError, OperationStatus
from ringsync.operations.runner import OperationRunner
from ringsync.operations.store import items
from ringsync.store.db import Database

IMPORT = OperationKind.IMPORT_LIST
PULL = OperationKind.PULL_CONTACTS
Configure = Callable[..., None]


def _lead(org: Any, last: str, phone: str | None, company: str = "Acme") -> str:
    values = {"LastName": last, "Company": company}
    if phone is not None:
        values["Phone"] = phone
    return str(org.create("Lead", values))


def _view(org: Any, **spec: Any) -> str:
    from sfemu.listviews import define_list_view

    defaults = {"sobject": "Lead", "label": "Acme", "developer_name": "Acme"}
    return define_list_view(org, {**defaults, **spec}).id


def _members(database: Database, account_id: int, name: str) -> list[str]:
    with database.read() as session:
        found = {v.name: v.id for v in list_lists(session, account_id)}
        return sorted(
            get_contact(session, account_id, contact_id).phone
            for contact_id in list_members(session, account_id, found[name])
        )


def _outcomes(database: Database, account_id: int, operation_id: int) -> dict[str, str]:
    with database.read() as session:
        return {
            i.target: f"{i.action}: {i.reason}" for i in items(session, account_id, operation_id)
        }


def _calls(sf_http: httpx2.Client, endpoint: str) -> int:
    calls: dict[str, dict[str, int]] = sf_http.get("/__sfemu/stats").json()["calls"]
    return sum(calls.get(endpoint, {}).values())


def _params(view_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "source": "list_view",
        "object": "Lead",
        "list_view_id": view_id,
        "list_name": "Acme",
        **extra,
    }


def test_a_soql_compatible_view_imports_its_records(
    runner: OperationRunner,
    database: Database,
    account_id: int,
    clock: FrozenClock,
    sf_org: Any,
    sf_http: httpx2.Client,
) -> None:
    _lead(sf_org, "One", "415-555-0101")
    _lead(sf_org, "Two", "(415) 555-0102")
    _lead(sf_org, "Silent", None)
    _lead(sf_org, "Elsewhere", "415-555-0109", company="Globex")
    view_id = _view(sf_org, columns=["Name", "Company"], filter="Company = 'Acme'")
    clock.advance(60)

    done = runner.run(account_id, IMPORT, _params(view_id))

    assert done.status is OperationStatus.SUCCEEDED, done.errors
    assert done.counts == {"added": 2, "skipped": 1}
    assert _members(database, account_id, "Acme") == ["+14155550101", "+14155550102"]
    assert "skipped: no phone number" in _outcomes(database, account_id, done.id).values()
    assert _calls(sf_http, "sobjects/{sobject}/listviews/{view_id}/describe") == 1
    assert _calls(sf_http, "sobjects/{sobject}/listviews/{view_id}/results") == 0


def test_preview_matches_the_run_and_creates_nothing(
    runner: OperationRunner, database: Database, account_id: int, clock: FrozenClock, sf_org: Any
) -> None:
    _lead(sf_org, "One", "415-555-0111")
    _lead(sf_org, "Two", "415-555-0112")
    _lead(sf_org, "Three", "415-555-0113", company="Globex")
    view_id = _view(sf_org, filter="Company = 'Acme'")
    clock.advance(60)
    runner.run(account_id, PULL)
    params = _params(view_id, sync=False)

    preview = runner.preview(account_id, IMPORT, params)
    with database.read() as session:
        assert list_lists(session, account_id) == []
    done = runner.run(account_id, IMPORT, params)

    assert preview.counts == done.counts == {"added": 2}
    assert "the list 'Acme' will be created" in preview.notes
    assert {i.target for i in preview.items} == set(_outcomes(database, account_id, done.id))
    assert _members(database, account_id, "Acme") == ["+14155550111", "+14155550112"]


def test_a_phone_that_is_a_lead_and_a_contact_imports_only_the_priority_record(
    runner: OperationRunner,
    database: Database,
    account_id: int,
    clock: FrozenClock,
    sf_org: Any,
    configure: Configure,
) -> None:
    configure(object_mode="both", priority="Contact")
    shared_lead = _lead(sf_org, "Twin", "415-555-0121")
    other_lead = _lead(sf_org, "Solo", "415-555-0122")
    contact = str(sf_org.create("Contact", {"LastName": "Twin", "Phone": "+1 415 555 0121"}))
    view_id = _view(sf_org, filter="Company = 'Acme'")
    clock.advance(60)
    runner.run(account_id, PULL)

    done = runner.run(account_id, IMPORT, _params(view_id, sync=False))

    assert done.status is OperationStatus.SUCCEEDED, done.errors
    outcome = _outcomes(database, account_id, done.id)
    assert outcome[f"Lead:{shared_lead}"].startswith("skipped: phone")
    assert "is also Contact" in outcome[f"Lead:{shared_lead}"]
    assert "Contact priority" in outcome[f"Lead:{shared_lead}"]
    assert outcome[f"Contact:{contact}"] == "added: linked record"
    assert outcome[f"Lead:{other_lead}"] == "added: linked record"
    assert done.counts == {"added": 2, "skipped": 1}
    assert _members(database, account_id, "Acme") == ["+14155550121", "+14155550122"]


def test_a_view_soql_cannot_run_is_paged_through_its_results(
    runner: OperationRunner,
    database: Database,
    account_id: int,
    clock: FrozenClock,
    sf_org: Any,
    sf_http: httpx2.Client,
) -> None:
    _lead(sf_org, "One", "415-555-0131")
    _lead(sf_org, "Two", "415-555-0132", company="Globex")
    view_id = _view(
        sf_org, columns=["Name", "Phone"], filter="Company = 'Acme'", soql_compatible=False
    )
    clock.advance(60)

    done = runner.run(account_id, IMPORT, _params(view_id))

    assert done.status is OperationStatus.SUCCEEDED, done.errors
    assert _members(database, account_id, "Acme") == ["+14155550131"]
    assert _calls(sf_http, "sobjects/{sobject}/listviews/{view_id}/results") == 1


def test_a_results_only_view_without_a_phone_column_is_refused(
    runner: OperationRunner, account_id: int, sf_org: Any
) -> None:
    view_id = _view(sf_org, columns=["Name"], soql_compatible=False)

    with pytest.raises(OperationRefusedError, match="has no Phone column"):
        runner.preview(account_id, IMPORT, _params(view_id))


def test_an_unknown_view_is_refused_in_the_preview(
    runner: OperationRunner, account_id: int, sf_org: Any
) -> None:
    contacts_view = _view(sf_org, sobject="Contact", label="C", developer_name="C")

    with pytest.raises(OperationRefusedError, match="no Lead list view has the id 00B"):
        runner.preview(account_id, IMPORT, _params(contacts_view))


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"object": "Account", "list_view_id": "00BDn0000000001"}, "object must be Lead or"),
        ({"object": "Lead"}, "list_view_id is required"),
        ({"object": "Lead", "list_view_id": "00QDn0000000001"}, "must be a list view id"),
        (
            {"object": "Lead", "list_view_id": "00BDn0000000001", "where": []},
            "unexpected parameter 'where'",
        ),
    ],
    ids=["object", "missing-id", "not-a-view-id", "extra"],
)
def test_bad_list_view_parameters_are_refused(
    runner: OperationRunner, account_id: int, params: dict[str, Any], message: str
) -> None:
    with pytest.raises(OperationRefusedError, match=message):
        runner.start(account_id, IMPORT, {"source": "list_view", "list_name": "X", **params})
