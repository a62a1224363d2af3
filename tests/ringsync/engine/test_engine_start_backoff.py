"""An account whose sync cannot start backs off (doubling up to its poll interval), warns once."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest

from ringsync.clock import FrozenClock
from ringsync.errors import ConfigError
from ringsync.runtime.backoff import AccountBackoff
from ringsync.runtime.tasks import SYNC_INBOUND, TaskContext
from ringsync.runtime.wiring import engine_tasks, poll_due
from ringsync.salesforce.client import SalesforceClient
from ringsync.settings import load_settings
from ringsync.store.db import Database
from ringsync.store.repositories.connections import ConnectionRow, put
from ringsync.sync.engine import SyncEngine

FIRST = timedelta(seconds=5)
POLL_INTERVAL = timedelta(seconds=300)  # the sync settings' default


class Connection:
    """The account's Salesforce client, or the error that keeps it from being built."""

    def __init__(self, client: SalesforceClient) -> None:
        self.client = client
        self.error: str | None = None

    def __call__(self, account_id: int) -> SalesforceClient:
        if self.error is not None:
            raise ConfigError(self.error, account=account_id)
        return self.client


@pytest.fixture
def connection(
    database: Database, account_id: int, sf_client: SalesforceClient, clock: FrozenClock
) -> Connection:
    with database.write() as session:
        put(
            session,
            ConnectionRow(
                account_id,
                "password",
                "https://sfemu.test",
                "id",
                None,
                None,
                "x",
                connected_at=clock.now(),
            ),
        )
    return Connection(sf_client)


def _context(database: Database, clock: FrozenClock) -> TaskContext:
    return TaskContext(
        task=SYNC_INBOUND,
        job_id="backoff-test",
        settings=load_settings(),
        database=database,
        clock=clock,
        stop_event=threading.Event(),
        submit=lambda name, /, **kwargs: name,
    )


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and "sync not run" in r.getMessage()
    ]


def test_an_account_that_fails_before_any_run_backs_off_and_warns_once_per_error(
    database: Database,
    account_id: int,
    clock: FrozenClock,
    connection: Connection,
    caplog: pytest.LogCaptureFixture,
) -> None:
    engine = SyncEngine(database, connection, clock=clock)
    backoff = AccountBackoff(first=FIRST)
    sync_inbound = engine_tasks(lambda: engine, backoff)[SYNC_INBOUND]
    due = poll_due(database, backoff)
    ctx = _context(database, clock)
    connection.error = "no usable Salesforce connection"
    assert account_id in due(clock.now())

    doubling = [FIRST * n for n in (1, 2, 4, 8, 16, 32)] + [POLL_INTERVAL] * 2
    for wait in doubling:
        assert sync_inbound(ctx, account_id=account_id) is None
        failed_at = clock.now()
        assert account_id not in due(failed_at)
        assert account_id not in due(failed_at + wait - timedelta(seconds=1))
        assert account_id in due(failed_at + wait)
        clock.advance(wait)

    assert _warnings(caplog) == [
        f"account {account_id}: inbound sync not run: no usable Salesforce connection"
    ]

    connection.error = "the stored token cannot be decrypted"
    sync_inbound(ctx, account_id=account_id)
    assert len(_warnings(caplog)) == 2
    assert _warnings(caplog)[-1].endswith("the stored token cannot be decrypted")


def test_an_account_that_starts_again_is_polled_normally_and_says_so(
    database: Database,
    account_id: int,
    clock: FrozenClock,
    connection: Connection,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    engine = SyncEngine(database, connection, clock=clock)
    backoff = AccountBackoff(first=FIRST)
    sync_inbound = engine_tasks(lambda: engine, backoff)[SYNC_INBOUND]
    ctx = _context(database, clock)
    connection.error = "no usable Salesforce connection"
    sync_inbound(ctx, account_id=account_id)
    sync_inbound(ctx, account_id=account_id)
    connection.error = None

    assert isinstance(sync_inbound(ctx, account_id=account_id), list)

    assert f"account {account_id}: inbound sync runs again" in caplog.text
    assert not backoff.waiting(account_id, SYNC_INBOUND, clock.now(), POLL_INTERVAL)
    assert account_id not in poll_due(database, backoff)(clock.now())  # it has just run
    assert account_id in poll_due(database, backoff)(clock.now() + POLL_INTERVAL)


def test_the_sweep_names_connected_accounts_whose_outbox_rows_nobody_holds(
    database: Database, account_id: int, clock: FrozenClock, connection: Connection
) -> None:
    # A change whose wake-up message was lost (broker down or restarted empty) is found by the
    # beat's sweep; rows a live run has claimed are left to that run until the claim lapses.
    from ringsync.domain.contacts import create_contact
    from ringsync.runtime.wiring import outbox_due
    from ringsync.store.repositories import outbox

    due = outbox_due(database)
    assert due(clock.now()) == []  # nothing pending
    with database.write() as session:
        change = create_contact(session, account_id, {"phone": "+14155550188"}, clock=clock)
    assert change.outbox_id is not None  # the new contact waits in the outbox
    assert due(clock.now()) == []  # a fresh row still has its own wake-up coming
    later = clock.now() + timedelta(seconds=11)
    assert due(later) == [account_id]
    with database.write() as session:
        claimed = outbox.claim(session, account_id, "worker-1", later)
    assert claimed  # a live run holds every pending row now
    assert due(later) == []
    assert due(later + timedelta(minutes=6)) == [account_id]  # its claim lapsed
