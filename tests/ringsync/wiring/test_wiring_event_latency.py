"""Event latency: an activity posted to the events API reaches Salesforce within about a second.

The event wakes the embedded runner, whose debounce window (0.5 s) coalesces a burst into one
outbound run. Polling only ever submits inbound runs, so an outbound run proves the wake. The
bound is generous (shared CI machines); a regression to "waits for the next poll" (30 s and
more) or to "never sent" still fails it.
"""

from __future__ import annotations

import time

from rich.console import Console
from starlette.testclient import TestClient

from ringsync.commands.demo_setup import DemoWorld, initial_pull
from ringsync.runtime.serving import create_product_app
from ringsync.store.repositories.sync_links import list_links
from ringsync.store.repositories.sync_log import list_runs

GENEROUS_BOUND_SECONDS = 5.0


def test_an_api_event_wakes_the_runner_and_is_sent_within_about_a_second(
    world: DemoWorld,
) -> None:
    initial_pull(world, Console(quiet=True))
    database = world.product.database
    with database.read() as session:
        link = list_links(session, world.account_id)[0]
        outbound_before = [
            r for r in list_runs(session, world.account_id) if r.direction == "outbound"
        ]
    org = world.emulator.state.sfemu.org
    assert not org.get(link.record_id).get("Total_Inbound_Texts__c")
    app = create_product_app(world.product)

    with TestClient(app, base_url="http://127.0.0.1") as client:
        signed_in = client.post(
            "/api/v1/session",
            json={"email": world.admin_email, "password": world.admin_password},
        )
        assert signed_in.status_code == 200, signed_in.text
        csrf = {"X-CSRF-Token": signed_in.json()["csrf_token"]}
        sent = client.post(
            "/api/v1/events",
            headers=csrf,
            json={
                "type": "sms.received",
                "occurred_at": "2026-03-02T08:33:16-07:00",
                "contact_id": link.contact_id,
                "body": "Still there?",
                "idempotency_key": "latency-test-1",
            },
        )
        assert sent.status_code == 201, sent.text
        posted = time.monotonic()
        arrived = None
        while time.monotonic() - posted < GENEROUS_BOUND_SECONDS:
            if org.get(link.record_id).get("Total_Inbound_Texts__c") == 1:
                arrived = time.monotonic() - posted
                break
            time.sleep(0.05)

    assert arrived is not None, f"the event was not in Salesforce {GENEROUS_BOUND_SECONDS} s later"
    with database.read() as session:
        outbound_after = [
            r for r in list_runs(session, world.account_id) if r.direction == "outbound"
        ]
    assert len(outbound_after) > len(outbound_before)
    assert org.get(link.record_id).get("Last_Inbound_Text__c") == "Still there?"
