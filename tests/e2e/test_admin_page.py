"""The admin's walk through the Salesforce tab in a real browser, against a live sfemu.

One walk, in order, as an admin would do it: sign in, connect Salesforce (OAuth with PKCE
against sfemu), sync Leads and Contacts with Lead priority and save, change a field's direction,
try to map an already mapped field, run one-time operations, sync users, retry a failed record.
Each section is photographed into tests/e2e/screenshots/ (not committed).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def settle(page: Any) -> None:
    """Wait until the page's last action (API calls and section reloads) has finished."""
    expect(page.locator("body[data-busy='true']")).to_have_count(0)


def shoot(page: Any, screenshots: Path, name: str, selector: str) -> None:
    """Save a picture of one section of the page once it has settled."""
    settle(page)
    page.locator(selector).first.screenshot(path=str(screenshots / f"{name}.png"))


def sign_in(page: Any, stack: Any) -> None:
    page.goto(f"{stack.ringsync_url}/sign-in")
    page.get_by_label("Email", exact=True).fill(stack.admin_email)
    page.get_by_label("Password", exact=True).fill(stack.admin_password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/contacts$"))


def open_tab(page: Any) -> None:
    page.get_by_role("link", name="Salesforce", exact=True).click()
    expect(page).to_have_url(re.compile(r"/salesforce"))
    expect(page.locator("body[data-ready='true']")).to_have_count(1)


def connect(page: Any, stack: Any) -> None:
    page.get_by_label("Salesforce login URL").fill(stack.sfemu_url)
    page.get_by_label("Connected app consumer key (client id)").fill("sfemu-client")
    page.get_by_label("Consumer secret").fill("sfemu-secret")
    page.get_by_role("button", name="Connect Salesforce").click()
    expect(page).to_have_url(re.compile(r"/salesforce\?connected=1"))
    expect(page.locator("#connection-status")).to_contain_text("Connected")
    expect(page.locator("#connection-details [data-field='instance_url']")).to_contain_text(
        "127.0.0.1"
    )


def save_bar(page: Any) -> Any:
    return page.locator("#save-bar")


def test_admin_walks_through_the_salesforce_tab(page: Any, stack: Any, screenshots: Path) -> None:
    sign_in(page, stack)
    open_tab(page)
    expect(save_bar(page)).to_have_attribute("data-unsaved", "false")

    # Connection: OAuth with PKCE against sfemu, then the status and the API budget.
    connect(page, stack)
    shoot(page, screenshots, "1-connection", "#connection")

    # Sync settings: both objects, Lead priority; the edit is marked until saved.
    settings = page.locator("#settings")
    settings.get_by_label("Leads and Contacts").check()
    settle(page)
    expect(page.locator("#settings legend").first).to_contain_text("unsaved")
    expect(save_bar(page)).to_have_attribute("data-unsaved", "true")
    page.locator("#settings").get_by_label("Lead", exact=True).check()
    settle(page)
    expect(page.locator("#settings input[name='priority'][value='Lead']")).to_be_checked()
    expect(page.locator("#settings")).to_contain_text("not recommended")
    shoot(page, screenshots, "2-settings-unsaved", "#settings")
    page.get_by_role("button", name="Save changes").click()
    result = page.locator("#save-result")
    expect(result).to_contain_text("Saved as version 1")
    expect(result).to_contain_text("Objects to sync: Leads → Leads and Contacts")
    expect(result).to_contain_text("Priority: (none) → Lead")
    expect(save_bar(page)).to_have_attribute("data-unsaved", "false")

    # The connection check reads every saved mapped field from Salesforce.
    page.get_by_role("button", name="Check mapped fields").click()
    settle(page)
    expect(page.locator("#check-result")).to_contain_text(
        re.compile(r"All \d+ mapped fields are ready to sync")
    )

    # Field mapping: change Email's direction on Leads; the row is marked unsaved.
    lead = page.locator("#mapping-lead")
    lead.get_by_label("Direction of Email").select_option("to_salesforce")
    expect(lead.locator("tr[data-field='Email']")).to_contain_text("unsaved")
    expect(save_bar(page)).to_have_attribute("data-unsaved", "true")

    # Leaving with unsaved edits asks first; staying keeps them.
    dialogs: list[str] = []

    def stay(dialog: Any) -> None:
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.once("dialog", stay)
    page.get_by_role("link", name="Contacts", exact=True).click()
    page.wait_for_timeout(300)
    assert dialogs == ["beforeunload"]
    expect(page).to_have_url(re.compile(r"/salesforce"))

    # Mapping an already mapped field is refused with the prohibited legend.
    add = lead.locator("form.add-mapping")
    add.get_by_label("ringsync property").select_option("custom_field_1")
    add.get_by_label("Salesforce field (API name)").fill("Email")
    add.get_by_role("button", name="Add mapping").click()
    expect(add.locator(".add-problems")).to_contain_text("🚫 Prohibited")
    expect(add.locator(".add-problems")).to_contain_text("already mapped")
    shoot(page, screenshots, "3-lead-mapping", "#mapping-lead")

    page.get_by_role("button", name="Save changes").click()
    expect(result).to_contain_text("Saved as version 2")
    expect(result).to_contain_text(
        "Lead mapping of Email: Email ringsync ↔ Salesforce → Email ringsync → Salesforce"
    )
    expect(lead.locator("tr[data-field='Email']")).not_to_contain_text("unsaved")
    expect(lead.get_by_label("Direction of Email")).to_have_value("to_salesforce")
    shoot(page, screenshots, "4-contact-mapping", "#mapping-contact")

    # One-time operations: preview a pull (with the LRN estimate), run it, watch the bar.
    operations = page.locator("#operations")
    pull = operations.locator(".operation[data-kind='pull_contacts']")
    pull.get_by_role("button", name="Preview pull contacts/leads").click()
    settle(page)
    expect(pull.locator(".preview-result")).to_contain_text("Would do")
    expect(pull.locator(".preview-result")).to_contain_text("LRN")
    pull.get_by_role("button", name="Run pull contacts/leads").click()
    expect(page.locator("#operation-status")).to_contain_text("succeeded: 100 %", timeout=60_000)
    settle(page)
    assert page.locator("#operation-bar").evaluate("bar => bar.value") == 100
    expect(operations.locator("table.history tbody tr").first).to_contain_text("succeeded")
    shoot(page, screenshots, "5-operations", "#operations")

    # Sync users: the agent whose email matches a Salesforce owner gets mapped.
    page.get_by_role("button", name="Sync users").click()
    settle(page)
    users = page.locator("#users")
    expect(users).to_contain_text("Newly mapped (1)")
    expect(users).to_contain_text("Unsynchronized Salesforce owners")
    expect(page.locator("#users-status")).to_contain_text("Users synced.")
    shoot(page, screenshots, "6-users", "#users")

    # A change Salesforce refuses lands in failed records; the admin finds it and retries it.
    contact_id = refuse_one_lead(stack)
    push = operations.locator(".operation[data-kind='push_contacts']")
    push.get_by_role("button", name="Run push contacts/leads").click()
    expect(page.locator("#operation-status")).to_contain_text("100 %", timeout=60_000)
    settle(page)
    logs = page.locator("#logs")
    failed_row = logs.locator("table.failed tbody tr").first
    expect(failed_row).to_contain_text("This first name is not allowed")
    logs.get_by_label("Action").select_option("failed")
    logs.get_by_role("button", name="Filter").click()
    settle(page)
    expect(logs.locator("table.log tbody tr").first).to_contain_text("failed")
    expect(page).to_have_url(re.compile(r"action=failed"))
    shoot(page, screenshots, "7-logs-and-health", "#logs")
    failed_rows = logs.locator("table.failed tbody tr")
    retry = failed_rows.first.get_by_role("button", name=re.compile("^Retry"))
    retry.click()
    settle(page)
    expect(page.locator("#failed-status")).to_contain_text("will be retried")
    expect(failed_rows.first).to_contain_text("retry queued")

    # After real calls, the connection section shows the org's API budget in use.
    budget = page.locator("#connection-details [data-field='budget']")
    expect(budget).to_contain_text("daily API calls used")
    shoot(page, screenshots, "9-connection-budget", "#connection")

    # The contact page shows its Salesforce record and who wrote each field.
    page.goto(f"{stack.ringsync_url}/contacts/{contact_id}")
    expect(page.locator("main")).to_contain_text("Linked to Lead")
    record_link = page.get_by_role("link", name=re.compile(r"^00Q"))
    expect(record_link).to_have_attribute("href", re.compile(re.escape(stack.sfemu_url)))
    first_name = page.locator("tr[data-property='first_name']")
    expect(first_name).to_contain_text("Refuse Me")
    expect(first_name).to_contain_text("ringsync")
    shoot(page, screenshots, "8-contact", "main")


def refuse_one_lead(stack: Any) -> int:
    """Change one linked Lead's first name on our side to the value Salesforce refuses."""
    from ringsync.domain.contact_values import Origin
    from ringsync.domain.contacts import update_contact
    from ringsync.store.repositories import sync_links

    with stack.database.write() as session:
        link = sync_links.list_links(session, stack.account_id, sobject="Lead")[0]
        update_contact(
            session,
            stack.account_id,
            link.contact_id,
            {"first_name": "Refuse Me"},
            origin=Origin.RINGSYNC,
        )
    return link.contact_id


def test_agents_see_contacts_but_not_the_tab(page: Any, stack: Any) -> None:
    page.goto(f"{stack.ringsync_url}/sign-in")
    page.get_by_label("Email", exact=True).fill(stack.agent_email)
    page.get_by_label("Password", exact=True).fill(stack.admin_password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/contacts$"))
    expect(page.get_by_role("link", name="Salesforce", exact=True)).to_have_count(0)
    response = page.goto(f"{stack.ringsync_url}/salesforce")
    assert response is not None
    assert response.status == 403
    expect(page.locator("main")).to_contain_text(
        "Only an admin of this account can open this page."
    )


def test_every_control_is_labelled_and_the_keyboard_works(page: Any, stack: Any) -> None:
    sign_in(page, stack)
    open_tab(page)
    settle(page)
    unnamed = page.evaluate(
        """() => [...document.querySelectorAll(
                 "main input:not([type=hidden]), main select, main button, main textarea")]
            .filter((el) => {
              const named = el.getAttribute("aria-label") || el.getAttribute("aria-labelledby");
              if (el.tagName === "BUTTON") { return !(named || el.textContent.trim()); }
              return !(named || (el.labels && el.labels.length));
            })
            .map((el) => el.outerHTML.slice(0, 120))"""
    )
    assert unnamed == []
    assert page.locator("[tabindex]:not([tabindex='-1']):not([tabindex='0'])").count() == 0

    # Choose "Contacts" with the arrow keys only; the draft changes and is marked unsaved.
    leads_and_contacts = page.locator("#settings input[name='object_mode'][value='both']")
    leads_and_contacts.focus()
    page.keyboard.press("ArrowUp")
    settle(page)
    expect(page.locator("#settings input[name='object_mode'][value='contacts']")).to_be_checked()
    expect(save_bar(page)).to_have_attribute("data-unsaved", "true")
    expect(page.locator("#settings input[name='object_mode'][value='contacts']")).to_be_focused()

    # Saving from the keyboard moves the focus to what the save did.
    page.get_by_role("button", name="Save changes").focus()
    page.keyboard.press("Enter")
    settle(page)
    expect(page.locator("#save-result")).to_be_focused()
    expect(page.locator("#save-result")).to_contain_text(
        re.compile(r"Objects to sync: (Leads|Leads and Contacts) → Contacts")
    )


def test_importing_a_file_that_is_not_an_export_changes_nothing(
    page: Any, stack: Any, tmp_path: Path
) -> None:
    sign_in(page, stack)
    open_tab(page)
    settle(page)
    before = save_bar(page).get_attribute("data-unsaved")
    wrong = tmp_path / "wrong.json"
    wrong.write_text('{"format": "something else"}', encoding="utf-8")
    page.locator("#settings summary").click()
    page.get_by_label("Import settings from a file").set_input_files(str(wrong))
    settle(page)
    result = page.locator("#import-result")
    expect(result).to_contain_text("Nothing was imported")
    expect(result).to_contain_text("format must be")
    expect(save_bar(page)).to_have_attribute("data-unsaved", before or "false")


def test_connecting_to_a_host_that_is_not_allowed_says_why(page: Any, stack: Any) -> None:
    sign_in(page, stack)
    open_tab(page)
    settle(page)
    details = page.locator("#connect-details")
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    page.get_by_label("Salesforce login URL").fill("https://login.example.com")
    page.get_by_label("Connected app consumer key (client id)").fill("sfemu-client")
    page.get_by_role("button", name=re.compile("Connect Salesforce|Reconnect")).click()
    settle(page)
    error = page.locator("#connection-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("not an allowed Salesforce host")
    expect(page).to_have_url(re.compile(r"/salesforce"))


def test_a_running_operation_shows_progress_and_can_be_cancelled(page: Any, stack: Any) -> None:
    # The server side of cancel is the admin API's (tested there); here the API answers are
    # scripted so the page can be seen mid-run: 3 of 10 done, then cancelled on request.
    state = {"status": "running", "done": 3, "cancel_posts": 0}

    def operation() -> dict[str, Any]:
        return {
            "id": 9001,
            "kind": "pull_contacts",
            "params": {},
            "started_by": None,
            "status": state["status"],
            "progress_done": state["done"],
            "progress_total": 10,
            "counts": {},
            "errors": [],
            "attempts": 1,
            "cancel_requested": state["status"] == "cancelled",
            "created_at": "2026-03-01T12:00:00+00:00",
            "started_at": "2026-03-01T12:00:00+00:00",
            "finished_at": None,
        }

    def answer(route: Any) -> None:
        if route.request.url.endswith("/cancel"):
            state["cancel_posts"] += 1
            state["status"] = "cancelled"
        route.fulfill(status=200, content_type="application/json", body=json.dumps(operation()))

    sign_in(page, stack)
    open_tab(page)
    settle(page)
    page.route(re.compile(r".*/api/v1/admin/operations/(pull_contacts/run|9001.*)$"), answer)
    pull = page.locator(".operation[data-kind='pull_contacts']")
    pull.get_by_role("button", name="Run pull contacts/leads").click()
    status = page.locator("#operation-status")
    expect(status).to_contain_text("running: 30 % (3 of 10 done)")
    expect(page.locator("#operation-status")).to_have_attribute("aria-live", "polite")
    assert page.locator("#operation-bar").evaluate("bar => bar.value") == 30
    page.get_by_role("button", name="Cancel").click()
    expect(status).to_contain_text("cancelled")
    expect(page.get_by_role("button", name="Cancel")).to_be_hidden()
    settle(page)
    assert state["cancel_posts"] == 1


def test_a_failing_field_check_puts_the_fix_under_the_row(page: Any, stack: Any) -> None:
    # sfemu has every field the defaults map, so its answer is scripted here: Email unwritable.
    verdict = {
        "ok": False,
        "api_ok": True,
        "api_error": None,
        "daily_api_max": 100000,
        "daily_api_remaining": 99990,
        "api_budget": None,
        "fields": [
            {
                "sobject": "Lead",
                "field": "Email",
                "exists": True,
                "readable": True,
                "updateable": False,
                "ok": False,
                "fix": "give the integration user edit access to Lead.Email",
            },
            {
                "sobject": "Lead",
                "field": "Phone",
                "exists": True,
                "readable": True,
                "updateable": True,
                "ok": True,
                "fix": None,
            },
        ],
    }
    sign_in(page, stack)
    open_tab(page)
    settle(page)
    if page.locator("#connection-status[data-state='connected']").count() == 0:
        connect(page, stack)  # when this test runs on its own
        settle(page)
    page.route(
        re.compile(r".*/api/v1/admin/integration/check$"),
        lambda route: route.fulfill(
            status=200, content_type="application/json", body=json.dumps(verdict)
        ),
    )
    page.get_by_role("button", name="Check mapped fields").click()
    settle(page)
    expect(page.locator("#check-result")).to_contain_text("1 mapped field(s) need attention")
    problem = page.locator("#mapping-lead tr[data-field='Email'] + tr.check-problems")
    expect(problem).to_contain_text("give the integration user edit access to Lead.Email")
    fine = page.locator("#mapping-lead tr[data-field='Phone'] + tr.check-problems")
    expect(fine).to_have_count(0)


def test_a_refused_oauth_callback_is_explained_on_the_tab(page: Any, stack: Any) -> None:
    # The callback sends browsers back with only a code (too many attempts, a stale state...);
    # the page says what happened and what to do, and ignores text smuggled into the link.
    sign_in(page, stack)
    page.goto(f"{stack.ringsync_url}/salesforce?connect_error=too_many_requests")
    settle(page)
    error = page.locator("#connection-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("Too many connection attempts")
    page.goto(f"{stack.ringsync_url}/salesforce?connect_error=Call%20555-0100%20now")
    settle(page)
    expect(error).to_be_visible()
    expect(error).to_contain_text("Connecting to Salesforce failed (unknown)")
    expect(error).not_to_contain_text("555")
