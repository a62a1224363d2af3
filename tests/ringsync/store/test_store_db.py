import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import event, text

from ringsync.domain.accounts import create_account
from ringsync.store.db import Database, create_db_engine, open_database
from ringsync.store.repositories import activities
from ringsync.store.tables import Activity, Contact, ContactStats


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    yield database
    database.dispose()


def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(sqlite_db: Database) -> None:
    with sqlite_db.read() as s:
        assert s.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert s.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert s.execute(text("PRAGMA busy_timeout")).scalar() == 10_000
        assert s.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL


def test_write_transactions_begin_immediate_and_reads_do_not(sqlite_db: Database) -> None:
    seen: list[str] = []

    @event.listens_for(sqlite_db.engine, "before_cursor_execute")
    def remember(_c: object, _cur: object, statement: str, *_args: object) -> None:
        if statement.startswith("BEGIN"):
            seen.append(statement)

    with sqlite_db.write() as s:
        create_account(s, "Acme")
    with sqlite_db.read() as s:
        s.execute(text("SELECT 1"))
    assert seen == ["BEGIN IMMEDIATE", "BEGIN"]


def _create_then_fail(database: Database) -> None:
    with database.write() as s:
        create_account(s, "Gone")
        raise RuntimeError("boom")


def test_a_failed_write_rolls_back_everything(sqlite_db: Database) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        _create_then_fail(sqlite_db)
    with sqlite_db.read() as s:
        assert s.execute(text("SELECT count(*) FROM accounts")).scalar() == 0


def test_foreign_keys_are_enforced(sqlite_db: Database) -> None:
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), sqlite_db.write() as s:
        s.add(
            Contact(
                account_id=424242,
                phone="+14155550100",
                extension="",
                created_at=datetime.now(UTC),
                updated_at=datetime.now(UTC),
            )
        )


def test_two_writers_wait_for_each_other_instead_of_failing(sqlite_db: Database) -> None:
    errors: list[BaseException] = []

    def write(name: str) -> None:
        try:
            for index in range(20):
                with sqlite_db.write() as s:
                    create_account(s, f"{name}-{index}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in ("a", "b", "c")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with sqlite_db.read() as s:
        assert s.execute(text("SELECT count(*) FROM accounts")).scalar() == 60


def test_times_keep_utc_and_original_offsets(database: Database, account_id: int) -> None:
    pdt = timezone(timedelta(hours=-7))
    when = datetime(2026, 3, 1, 8, 33, 16, tzinfo=pdt)
    with database.write() as s:
        contact = Contact(
            account_id=account_id,
            phone="+14155550100",
            extension="",
            created_at=when,
            updated_at=when,
        )
        s.add(contact)
        s.flush()
        activities.write_stats(
            s, account_id, contact.id, {"last_inbound_call_time": when, "keys": {}}, exists=False
        )
        contact_id = contact.id
    with database.read() as s:
        stored = s.get(Contact, contact_id)
        row = activities.stats_row(s, account_id, contact_id)
    assert stored is not None
    assert stored.created_at == when
    assert stored.created_at.tzinfo is UTC
    assert row is not None
    assert row["last_inbound_call_time"].isoformat() == "2026-03-01T08:33:16-07:00"


def test_naive_datetimes_are_refused(database: Database, account_id: int) -> None:
    from sqlalchemy.exc import StatementError

    naive = Activity(
        account_id=account_id,
        contact_id=1,
        kind="call",
        direction="inbound",
        occurred_at=datetime(2026, 3, 1),
        external_id="x",
        created_at=datetime.now(UTC),
    )
    with database.write() as s:
        s.add(naive)
        with pytest.raises(StatementError, match="naive datetime"):
            s.flush()
        s.rollback()


def test_in_memory_sqlite_works_for_quick_tools() -> None:
    database = open_database("sqlite://")
    try:
        with database.write() as s:
            assert create_account(s, "Mem").id == 1
        with database.read() as s:
            assert s.query(ContactStats).count() == 0
    finally:
        database.dispose()


def test_unsupported_backends_are_named() -> None:
    from ringsync.store.repositories.dialect import insert_for
    from ringsync.store.tables import Account, table_of

    with pytest.raises(NotImplementedError, match="'mysql' is not supported"):
        insert_for("mysql", table_of(Account))
    engine = create_db_engine("sqlite://")
    assert engine.dialect.name == "sqlite"
    engine.dispose()
