"""The contact page: its Salesforce record, its mapped values and who last wrote each one."""

from __future__ import annotations

import re
from typing import Any

from ringsync.clock import FrozenClock
from ringsync.domain.connections import (
    ConnectionMethod,
    ConnectionSpec,
    ConnectionState,
    save_connection,
)
from ringsync.domain.contact_values import Origin
from ringsync.domain.contacts import create_contact, update_contact
from ringsync.salesforce.tokens import TokenCipher, generate_key
from ringsync.store.db import Database
from ringsync.store.repositories import sync_links
from ringsync.store.repositories.sync_links import LinkRow

RECORD_ID = "00Q000000000042AAA"


def _contact(database: Database, account_id: int, clock: FrozenClock) -> int:
    with database.write() as session:
        made = create_contact(
            session,
            account_id,
            {"phone": "+14155550188", "first_name": "Grace", "last_name": "Hopper"},
            origin=Origin.SALESFORCE,
            clock=clock,
        )
        update_contact(
            session,
            account_id,
            made.contact.id,
            {"first_name": "Amazing Grace"},
            origin=Origin.RINGSYNC,
            clock=clock,
        )
    return made.contact.id


def _link(database: Database, account_id: int, contact_id: int, clock: FrozenClock) -> None:
    with database.write() as session:
        sync_links.save(
            session,
            account_id,
            LinkRow(contact_id, "Lead", RECORD_ID, {}, None, clock.now()),
            clock.now(),
        )
        save_connection(
            session,
            account_id,
            ConnectionSpec(ConnectionMethod.OAUTH, "https://login.salesforce.com", "client"),
            TokenCipher([generate_key()]),
            state=ConnectionState.CONNECTED,
            instance_url="https://acme.my.salesforce.com",
            clock=clock,
        )


def test_an_unlinked_contact_says_so_and_shows_its_provenance(
    people: Any, database: Database, clock: FrozenClock
) -> None:
    contact_id = _contact(database, people.admin.account_id, clock)
    response = people.agent.client.get(f"/contacts/{contact_id}")
    assert response.status_code == 200
    html = response.text
    assert "This contact is not linked to a Salesforce record yet." in html
    row = re.search(r'<tr data-property="first_name">.*?</tr>', html, re.S)
    assert row is not None
    assert "Amazing Grace" in row.group(0)
    assert "<td>ringsync</td>" in row.group(0)  # we wrote it last
    assert "<td>Grace</td>" in row.group(0)  # what it held before
    last = re.search(r'<tr data-property="last_name">.*?</tr>', html, re.S)
    assert last is not None
    assert "<td>Salesforce</td>" in last.group(0)
    assert "<code>LastName</code>" in last.group(0)


def test_a_linked_contact_links_to_its_record_in_the_org(
    people: Any, database: Database, clock: FrozenClock
) -> None:
    account = people.admin.account_id
    contact_id = _contact(database, account, clock)
    _link(database, account, contact_id, clock)
    html = people.admin.client.get(f"/contacts/{contact_id}").text
    assert "Linked to Lead" in html
    assert f'href="https://acme.my.salesforce.com/{RECORD_ID}"' in html
    assert 'rel="noopener noreferrer"' in html


def test_another_accounts_contact_is_not_found(
    people: Any, database: Database, clock: FrozenClock
) -> None:
    contact_id = _contact(database, people.admin.account_id, clock)
    response = people.other_admin.client.get(f"/contacts/{contact_id}")
    assert response.status_code == 404
    assert "This contact does not exist in your account." in response.text
    assert "Grace" not in response.text
    assert people.admin.client.get("/contacts/999999999").status_code == 404
    for odd in ("abc", "-1", "9" * 40):
        page = people.admin.client.get(f"/contacts/{odd}")
        assert page.status_code == 404
        assert "This contact does not exist in your account." in page.text


def test_anonymous_visitor_must_sign_in(
    people: Any, database: Database, clock: FrozenClock
) -> None:
    contact_id = _contact(database, people.admin.account_id, clock)
    response = people.anonymous.get(f"/contacts/{contact_id}")
    assert response.status_code == 401
    assert 'action="/sign-in"' in response.text


def test_the_contacts_list_links_to_each_contact(
    people: Any, database: Database, clock: FrozenClock
) -> None:
    contact_id = _contact(database, people.admin.account_id, clock)
    html = people.agent.client.get("/contacts").text
    assert f'<a href="/contacts/{contact_id}">' in html
