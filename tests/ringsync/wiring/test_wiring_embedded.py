"""The product wiring on the embedded runner: wake -> engine -> sfemu; polling; lifespan."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from rich.console import Console
from starlette.testclient import TestClient

from ringsync.commands.demo_events import record
from ringsync.commands.demo_setup import DemoWorld, initial_pull
from ringsync.domain.accounts import create_account
from ringsync.runtime.serving import attach_runner, create_product_app
from ringsync.runtime.wiring import build_product, poll_due
from ringsync.salesforce.tokens import TokenCipher, generate_key
from ringsync.store.repositories.connections import set_credentials
from ringsync.store.repositories.sync_links import list_links
from ringsync.web.api.admin_salesforce import STATE_ATTRIBUTE

TIMEOUT_SECONDS = 30.0


def _wait_for(predicate: Any, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_woken_runner_sends_an_activity_to_salesforce(world: DemoWorld) -> None:
    initial_pull(world, Console(quiet=True))
    with world.product.database.read() as session:
        link = list_links(session, world.account_id)[0]
    org = world.emulator.state.sfemu.org
    assert not org.get(link.record_id).get("Total_Outbound_Calls__c")
    runner = world.product.runner
    runner.start()
    try:
        record(
            world.product.database,
            world.account_id,
            link.contact_id,
            0,  # the pattern's first event: an outbound call
            clock=world.product.clock,
        )
        runner.wake(world.account_id)

        _wait_for(
            lambda: org.get(link.record_id).get("Total_Outbound_Calls__c") == 1,
            "the outbound call total to reach Salesforce",
        )
    finally:
        assert runner.stop(10.0)
    assert org.get(link.record_id).get("Last_Outbound_Call_Date__c") is not None


def test_an_account_is_due_when_it_never_ran_or_its_interval_passed(world: DemoWorld) -> None:
    due = poll_due(world.product.database)
    with world.product.database.write() as session:
        create_account(session, "No connection, never polled")
    now = datetime.now(UTC)

    assert due(now) == [world.account_id]

    initial_pull(world, Console(quiet=True))
    assert due(datetime.now(UTC)) == []
    assert due(datetime.now(UTC) + timedelta(seconds=31)) == [world.account_id]


def test_the_polling_runner_pulls_a_new_record_by_itself(world: DemoWorld) -> None:
    runner = world.product.runner
    runner.start()
    try:
        _wait_for(
            lambda: _links(world) > 40,
            "the scheduled poll to pull the org",
        )
    finally:
        assert runner.stop(10.0)


def _links(world: DemoWorld) -> int:
    with world.product.database.read() as session:
        return len(list_links(session, world.account_id))


class RecordingRunner:
    """A runner that only records what the app asked of it."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def submit(self, task: str, /, **kwargs: Any) -> str:
        self.calls.append(f"submit {task}")
        return "job"

    def wake(self, account_id: int) -> None:
        self.calls.append(f"wake {account_id}")

    def start(self) -> None:
        self.calls.append("start")

    def stop(self, timeout: float | None = None) -> bool:
        self.calls.append(f"stop {timeout}")
        return True


def test_the_served_app_starts_and_stops_the_runner_with_it(world: DemoWorld) -> None:
    fake = RecordingRunner()
    world.product.runner = fake
    app = create_product_app(world.product)

    with TestClient(app) as client:
        assert fake.calls == ["start"]
        assert client.get("/sign-in").status_code == 200
    assert fake.calls == ["start", "stop 30.0"]
    assert app.state.ringsync.runner is fake
    assert getattr(app.state, STATE_ATTRIBUTE) is world.product.access


def test_a_runner_that_does_not_stop_in_time_is_reported(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class SlowRunner(RecordingRunner):
        def stop(self, timeout: float | None = None) -> bool:
            super().stop(timeout)
            return False

    app = FastAPI()
    attach_runner(app, SlowRunner(), stop_timeout=2.0)

    with TestClient(app):
        pass

    assert "the runner did not stop within 2 s" in caplog.text


def test_the_admin_signs_in_and_an_api_event_reaches_salesforce(world: DemoWorld) -> None:
    initial_pull(world, Console(quiet=True))
    with world.product.database.read() as session:
        link = list_links(session, world.account_id)[-1]
    org = world.emulator.state.sfemu.org
    app = create_product_app(world.product)

    with TestClient(app, base_url="http://127.0.0.1") as client:
        signed_in = client.post(
            "/api/v1/session",
            json={"email": world.admin_email, "password": world.admin_password},
        )
        assert signed_in.status_code == 200, signed_in.text
        csrf = {"X-CSRF-Token": signed_in.json()["csrf_token"]}
        integration = client.get("/api/v1/admin/integration").json()
        assert integration["connected"] is True
        assert integration["instance_url"] == world.sfemu_url
        sent = client.post(
            "/api/v1/events",
            headers=csrf,
            json={
                "type": "sms.received",
                "occurred_at": "2026-03-02T08:33:16-07:00",
                "contact_id": link.contact_id,
                "body": "Is the offer still open?",
                "idempotency_key": "wiring-test-1",
            },
        )
        assert sent.status_code == 201, sent.text

        _wait_for(
            lambda: org.get(link.record_id).get("Total_Inbound_Texts__c") == 1,
            "the text total to reach Salesforce",
        )
    assert org.get(link.record_id).get("Last_Inbound_Text__c") == "Is the offer still open?"
    assert org.get(link.record_id).get("Last_Inbound_Message_Time__c") == "08:33:16-07:00"


def test_a_connection_that_cannot_be_decrypted_is_one_warning_not_a_traceback(
    world: DemoWorld, caplog: pytest.LogCaptureFixture
) -> None:
    other_keys = TokenCipher([generate_key()])
    with world.product.database.write() as session:
        set_credentials(session, world.account_id, other_keys.encrypt("{}"))
    fresh = build_product(world.settings, database=world.product.database, http=world.http)
    runner = fresh.runner  # a new process: no client cached from before the keys changed
    runner.start()
    try:
        runner.submit("sync_inbound", account_id=world.account_id)
        runner.submit("sync_outbound", account_id=world.account_id)
        _wait_for(
            lambda: caplog.text.count("sync not run: A stored Salesforce token cannot be") >= 2,
            "both tasks to report the connection",
        )
    finally:
        assert runner.stop(10.0)
    assert "Traceback" not in caplog.text
    assert "failed" not in caplog.text
    assert _links(world) == 0
