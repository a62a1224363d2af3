"""The settings and mapping sections show the DRAFT: unsaved marks, problems in place, legends."""

from __future__ import annotations

import re
from typing import Any

from ringsync.domain.sync_settings import edit_draft, get_draft, save_draft
from ringsync.mapping.catalog import SyncObject, default_mapping
from ringsync.store.db import Database


def _edit(database: Database, account_id: int, changes: dict[str, Any]) -> None:
    with database.write() as session:
        edit_draft(session, account_id, changes, edited_by="test")


def _row(html: str, field: str) -> str:
    found = re.search(rf'<tr data-field="{field}".*?</tr>', html, re.S)
    assert found is not None, field
    return found.group(0)


def test_nothing_is_marked_unsaved_on_a_fresh_account(people: Any) -> None:
    html = people.admin.client.get("/salesforce").text
    assert 'id="save-bar" class="save-bar" data-unsaved="false"' in html
    assert "All changes are saved." in html
    assert "unsaved-mark" not in html
    assert '<button type="button" id="save-changes" class="primary" disabled>' in html


def test_a_draft_edit_is_marked_beside_its_control_and_in_the_save_bar(
    people: Any, database: Database
) -> None:
    _edit(database, people.admin.account_id, {"object_mode": "contacts"})
    html = people.admin.client.get("/salesforce").text
    assert 'data-unsaved="true"' in html
    assert "You have unsaved changes. They are not applied until you save them." in html
    assert '<button type="button" id="save-changes" class="primary" >' in html
    legend = re.search(r"<legend>Objects to sync.*?</legend>", html, re.S)
    assert legend is not None
    assert "unsaved" in legend.group(0)
    assert 'name="object_mode" value="contacts" checked' in html
    # the other settings did not change, so they carry no mark
    legend = re.search(r"<legend>When a record is created.*?</legend>", html, re.S)
    assert legend is not None
    assert "unsaved" not in legend.group(0)


def test_both_objects_without_priority_shows_the_problem_beside_priority(
    people: Any, database: Database
) -> None:
    _edit(database, people.admin.account_id, {"object_mode": "both", "priority": None})
    html = people.admin.client.get("/salesforce/sections/settings").text
    assert 'id="problem-priority"' in html
    assert "priority: choose Lead or Contact when both objects sync" in html
    # with both objects, the priority radios are enabled
    assert re.search(r'name="priority" value="Lead" aria-describedby="priority-hint"\s+>', html)


def test_priority_is_disabled_while_only_one_object_syncs(people: Any) -> None:
    html = people.admin.client.get("/salesforce/sections/settings").text
    assert re.search(r'name="priority" value="Lead"[^>]*disabled', html)


def test_saving_clears_the_marks_and_lists_the_version(people: Any, database: Database) -> None:
    account = people.admin.account_id
    _edit(database, account, {"object_mode": "both", "priority": "Contact"})
    with database.write() as session:
        save_draft(session, account, saved_by="ada@example.com")
    html = people.admin.client.get("/salesforce").text
    assert "All changes are saved." in html
    assert "Version 1, saved by ada@example.com" in html
    assert 'name="priority" value="Contact" aria-describedby="priority-hint" checked' in html


def test_a_changed_row_is_marked_and_a_removed_row_is_listed(
    people: Any, database: Database
) -> None:
    account = people.admin.account_id
    with database.read() as session:
        rows = list(get_draft(session, account).data["lead_mappings"])
    changed = [
        {**row, "direction": "from_salesforce"} if row["salesforce_field"] == "Email" else row
        for row in rows
        if row["salesforce_field"] != "Website"
    ]
    _edit(database, account, {"lead_mappings": changed})
    html = people.admin.client.get("/salesforce/sections/mapping").text
    lead = html.split('id="mapping-contact"')[0]
    email = _row(lead, "Email")
    assert "unsaved" in email
    assert '<option value="from_salesforce" selected>' in email
    assert "unsaved" not in _row(lead, "FirstName")
    assert "Removed, not yet saved: <code>Website</code>" in lead


def test_tracking_rows_only_offer_to_salesforce(people: Any) -> None:
    html = people.admin.client.get("/salesforce/sections/mapping").text
    tracking = next(m for m in default_mapping(SyncObject.LEAD) if m.kind.value == "tracking")
    row = _row(html, tracking.salesforce_field)
    assert re.findall(r'<option value="([a-z_]+)"', row) == ["to_salesforce"]
    assert "disabled" in row


def test_a_mapping_problem_is_shown_on_its_row(people: Any, database: Database) -> None:
    account = people.admin.account_id
    with database.read() as session:
        rows = list(get_draft(session, account).data["lead_mappings"])
    broken = [{**row, "direction": "both"} if row["kind"] == "tracking" else row for row in rows]
    _edit(database, account, {"lead_mappings": broken})
    html = people.admin.client.get("/salesforce/sections/mapping").text
    tracking = next(r for r in broken if r["kind"] == "tracking")
    field = tracking["salesforce_field"]
    pattern = rf'<tr data-field="{field}".*?</tr>\s*<tr class="row-problems">.*?</tr>'
    row_html = re.search(pattern, html, re.S)
    assert row_html is not None
    assert "is a tracking field and syncs to Salesforce only" in row_html.group(0)


def test_contact_mapping_says_when_contacts_do_not_sync(people: Any) -> None:
    html = people.admin.client.get("/salesforce/sections/mapping").text
    contact = html.split('id="mapping-contact"')[1]
    assert "Contacts are not synced with the current settings" in contact
    lead = html.split('id="mapping-contact"')[0]
    assert "Leads are not synced" not in lead


def test_every_mapping_control_has_a_label(people: Any) -> None:
    html = people.admin.client.get("/salesforce/sections/mapping").text
    for select_id in re.findall(r'<select id="([^"]+)"', html):
        assert f'<label class="visually-hidden" for="{select_id}">' in html
    for button in re.findall(r'<button type="button" class="icon delete-mapping"[^>]*>', html):
        assert "aria-label=" in button
