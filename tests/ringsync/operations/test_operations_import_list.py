"""Import a Salesforce campaign or saved filter into a ringsync list, with the priority applied."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ringsync.clock import FrozenClock
from ringsync.domain.contacts import find_contact_by_phone, get_contact
from ringsync.domain.lists import list_lists, list_members
from ringsync.operations.model import OperationKind, OperationRefusedError, OperationStatus
from ringsync.operations.runner import OperationRunner
from ringsync.operations.store import items
from ringsync.store.db import Database

IMPORT = OperationKind.IMPORT_LIST
PULL = OperationKind.PULL_CONTACTS
Configure = Callable[..., None]


def _lead(org: Any, phone: str, company: str = "Acme") -> str:
    return str(org.create("Lead", {"LastName": "Lead", "Company": company, "Phone": phone}))


def _members(database: Database, account_id: int, name: str) -> list[str]:
    with database.read() as session:
        found = {v.name: v.id for v in list_lists(session, account_id)}
        phones = []
        for contact_id in list_members(session, account_id, found[name]):
            phones.append(get_contact(session, account_id, contact_id).phone)
    return sorted(phones)


@pytest.fixture
def campaign(sf_org: Any, clock: FrozenClock, configure: Configure) -> dict[str, str]:
    configure(object_mode="both", priority="Lead")
    shared_lead = _lead(sf_org, "415-555-0181")
    shared_contact = sf_org.create("Contact", {"LastName": "Twin", "Phone": "(415) 555-0181"})
    other_lead = _lead(sf_org, "415-555-0182")
    no_phone = sf_org.create("Contact", {"LastName": "Silent"})
    campaign_id = sf_org.create("Campaign", {"Name": "Spring"})
    for key, record in (
        ("LeadId", shared_lead),
        ("ContactId", shared_contact),
        ("LeadId", other_lead),
        ("ContactId", no_phone),
    ):
        sf_org.create("CampaignMember", {"CampaignId": campaign_id, key: record})
    clock.advance(60)
    return {"campaign": campaign_id, "shared_lead": shared_lead, "shared_contact": shared_contact}


def test_campaign_import_applies_the_lead_priority_to_shared_phones(
    runner: OperationRunner, database: Database, account_id: int, campaign: dict[str, str]
) -> None:
    params = {"source": "campaign", "campaign_id": campaign["campaign"], "list_name": "Spring"}

    done = runner.run(account_id, IMPORT, params)

    assert done.status is OperationStatus.SUCCEEDED, done.errors
    assert done.counts == {"added": 2, "skipped": 2}
    assert _members(database, account_id, "Spring") == ["+14155550181", "+14155550182"]
    with database.read() as session:
        outcome = {i.target: i.reason for i in items(session, account_id, done.id)}
    assert "Lead priority" in outcome[f"Contact:{campaign['shared_contact']}"]
    assert outcome[f"Lead:{campaign['shared_lead']}"] == "linked record"
    assert any(reason == "no phone number" for reason in outcome.values())


def test_preview_matches_the_run_when_members_are_already_synced(
    runner: OperationRunner, database: Database, account_id: int, campaign: dict[str, str]
) -> None:
    runner.run(account_id, PULL)
    params = {
        "source": "campaign",
        "campaign_id": campaign["campaign"],
        "list_name": "Spring",
        "sync": False,
    }

    preview = runner.preview(account_id, IMPORT, params)
    with database.read() as session:
        assert list_lists(session, account_id) == []  # a preview creates no list
    done = runner.run(account_id, IMPORT, params)
    again = runner.run(account_id, IMPORT, params)

    assert preview.counts == done.counts == again.counts == {"added": 2, "skipped": 2}
    assert "the list 'Spring' will be created" in preview.notes
    assert _members(database, account_id, "Spring") == ["+14155550181", "+14155550182"]


def test_saved_filter_import_quotes_values_and_checks_fields(
    runner: OperationRunner,
    database: Database,
    account_id: int,
    clock: FrozenClock,
    sf_org: Any,
) -> None:
    _lead(sf_org, "415-555-0191", company="O'Brien & Sons")
    _lead(sf_org, "415-555-0192", company="Other")
    clock.advance(60)
    where = [{"field": "Company", "op": "=", "value": "O'Brien & Sons"}]
    params = {"source": "filter", "object": "Lead", "where": where, "list_name": "Irish"}

    done = runner.run(account_id, IMPORT, params)

    assert done.status is OperationStatus.SUCCEEDED, done.errors
    assert _members(database, account_id, "Irish") == ["+14155550191"]
    with database.read() as session:
        assert find_contact_by_phone(session, account_id, "+14155550192") is not None


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"source": "list_view", "list_name": "X"}, "object must be Lead or Contact"),
        ({"source": "campaign", "list_name": "X"}, "campaign_id is required"),
        ({"source": "campaign", "campaign_id": "701"}, "list_name is required"),
        ({"source": "crm", "list_name": "X"}, "source must be one of"),
        (
            {"source": "filter", "object": "Lead", "list_name": "X", "where": []},
            "where must be a non-empty list",
        ),
        (
            {
                "source": "filter",
                "object": "Lead",
                "list_name": "X",
                "where": [{"field": "Company", "op": "LIKEISH", "value": "a"}],
            },
            "unknown operator 'LIKEISH'",
        ),
    ],
    ids=["list-view", "no-campaign", "no-name", "bad-source", "empty-where", "bad-operator"],
)
def test_bad_parameters_are_refused_with_the_reason(
    runner: OperationRunner, account_id: int, params: dict[str, Any], message: str
) -> None:
    with pytest.raises(OperationRefusedError, match=message):
        runner.start(account_id, IMPORT, params)


def test_a_filter_on_an_unknown_field_is_refused_in_the_preview(
    runner: OperationRunner, account_id: int
) -> None:
    where = [{"field": "Nope__c", "op": "=", "value": "x"}]
    params = {"source": "filter", "object": "Lead", "where": where, "list_name": "X"}

    with pytest.raises(OperationRefusedError, match="Field 'Nope__c' is not in the describe"):
        runner.preview(account_id, IMPORT, params)
