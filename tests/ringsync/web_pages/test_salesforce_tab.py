"""The Salesforce tab as the server renders it: who may open it, its sections, legends and notes."""

from __future__ import annotations

import re
from typing import Any


def test_anonymous_visitor_gets_the_sign_in_page(people: Any) -> None:
    response = people.anonymous.get("/salesforce")
    assert response.status_code == 401
    assert 'action="/sign-in"' in response.text


def test_agent_gets_the_refusal_page_and_no_tab_link(people: Any) -> None:
    response = people.agent.client.get("/salesforce")
    assert response.status_code == 403
    assert "Only an admin of this account can open this page." in response.text
    contacts = people.agent.client.get("/contacts")
    assert contacts.status_code == 200
    assert 'href="/salesforce"' not in contacts.text


def test_agent_cannot_fetch_a_section_either(people: Any) -> None:
    assert people.agent.client.get("/salesforce/sections/settings").status_code == 403
    assert people.anonymous.get("/salesforce/sections/settings").status_code == 401


def test_admin_sees_every_section(people: Any) -> None:
    response = people.admin.client.get("/salesforce")
    assert response.status_code == 200
    text = response.text
    for section in ("connection", "settings", "mapping-lead", "mapping-contact", "operations"):
        assert f'id="{section}"' in text
    for section in ("users", "logs"):
        assert f'id="{section}"' in text
    assert 'src="/static/salesforce.js"' in text
    assert re.search(r'<meta name="csrf-token" content="[^"]+">', text)


def test_the_page_has_no_inline_script_or_style(people: Any) -> None:
    text = people.admin.client.get("/salesforce").text
    assert "<style" not in text
    assert " style=" not in text
    for match in re.finditer(r"<script([^>]*)>", text):
        assert "src=" in match.group(1)


def test_settings_show_the_arrows_and_the_not_recommended_note(people: Any) -> None:
    text = people.admin.client.get("/salesforce").text
    assert "↔" in text
    assert "←" in text
    assert "Creating records in Salesforce from ringsync is allowed but not recommended" in text
    assert 'name="object_mode" value="leads" checked' in text  # the default
    assert 'name="priority" value="Lead"' in text


def test_mapping_rows_carry_the_legends(people: Any) -> None:
    text = people.admin.client.get("/salesforce/sections/mapping").text
    lead = text.split('id="mapping-contact"')[0]
    phone_row = re.search(r'<tr data-field="Phone".*?</tr>', lead, re.S)
    assert phone_row is not None
    assert "🔒" in phone_row.group(0)
    assert "disabled" in phone_row.group(0)  # the locked row's direction cannot change
    email_row = re.search(r'<tr data-field="Email".*?</tr>', lead, re.S)
    assert email_row is not None
    assert "🗑️" in email_row.group(0)
    assert 'aria-label="Delete the mapping of Email"' in email_row.group(0)
    # a property already mapped is offered with the prohibited legend
    assert re.search(r'<option value="email">🚫 Email \(mapped to Email\)</option>', lead)


def test_unknown_section_is_a_404_page(people: Any) -> None:
    response = people.admin.client.get("/salesforce/sections/nope")
    assert response.status_code == 404
    assert "This page has no such section." in response.text


def test_a_connected_account_shows_its_org_before_any_script_runs(people: Any) -> None:
    from ringsync.domain.connections import (
        ConnectionMethod,
        ConnectionSpec,
        ConnectionState,
        save_connection,
    )
    from ringsync.salesforce.tokens import TokenCipher, generate_key

    database = people.admin.client.app.state.ringsync.database
    with database.write() as session:
        save_connection(
            session,
            people.admin.account_id,
            ConnectionSpec(ConnectionMethod.OAUTH, "https://test.salesforce.com", "my-app"),
            TokenCipher([generate_key()]),
            state=ConnectionState.CONNECTED,
            instance_url="https://acme--dev.sandbox.my.salesforce.com",
        )
    html = people.admin.client.get("/salesforce/sections/connection").text
    assert 'data-state="connected"' in html
    assert "<strong>Connected</strong> to Salesforce." in html
    assert "acme--dev.sandbox.my.salesforce.com" in html
    assert 'value="my-app"' in html  # the connect form is prefilled for a reconnect
    assert re.search(r'<button type="button" id="disconnect-button" class="secondary"\s*>', html)
    # another account is still not connected
    other = people.other_admin.client.get("/salesforce/sections/connection").text
    assert 'data-state="disconnected"' in other
