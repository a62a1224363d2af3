"""The pending-sign-in table: its migration matches the model, and a state works only once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from ringsync.domain.accounts import create_account
from ringsync.domain.users import create_user
from ringsync.store import oauth_states
from ringsync.store.db import Database, create_db_engine
from ringsync.store.migrate import downgrade, upgrade
from ringsync.store.tables import Base

TABLE = "salesforce_oauth_states"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _about_ours(diff: object) -> bool:
    entry = diff[0] if isinstance(diff, list) else diff
    return TABLE in repr(entry)


def test_the_migration_creates_exactly_the_modelled_table(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'states.db'}")
    try:
        upgrade(engine)
        assert TABLE in inspect(engine).get_table_names()
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diffs = compare_metadata(context, Base.metadata)
        assert [d for d in diffs if _about_ours(d)] == []
        downgrade(engine, "0005_connections")
        assert TABLE not in inspect(engine).get_table_names()
        upgrade(engine)
        assert TABLE in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def _pending(account_id: int, user_id: int, digest: str, expires_at: datetime) -> object:
    return oauth_states.PendingAuthorization(
        digest=digest,
        account_id=account_id,
        user_id=user_id,
        session_digest="s" * 64,
        login_url="https://login.example",
        client_id="app",
        redirect_uri="http://localhost/cb",
        secrets="sealed",
        created_at=NOW,
        expires_at=expires_at,
    )


def test_take_works_once_and_purge_drops_only_expired_states(database: Database) -> None:
    with database.write() as session:
        account = create_account(session, "States").id
        user = create_user(session, account, email="states@example.com", role="admin").id
        live = _pending(account, user, "a" * 64, NOW + timedelta(minutes=10))
        stale = _pending(account, user, "b" * 64, NOW - timedelta(minutes=1))
        for pending in (live, stale):
            assert isinstance(pending, oauth_states.PendingAuthorization)
            oauth_states.add(session, pending)
    with database.write() as session:
        assert oauth_states.purge(session, account, NOW) == 1
    with database.write() as session:
        taken = oauth_states.take(session, "a" * 64)
    assert taken is not None
    assert (taken.client_id, taken.expires_at) == ("app", NOW + timedelta(minutes=10))
    assert "sealed" not in repr(taken)
    with database.write() as session:
        assert oauth_states.take(session, "a" * 64) is None
        assert oauth_states.take(session, "b" * 64) is None
