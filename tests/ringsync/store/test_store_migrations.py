from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import PrimaryKeyConstraint, UniqueConstraint, inspect

from ringsync.store.db import create_db_engine, open_database
from ringsync.store.migrate import (
    current_revisions,
    downgrade,
    head_revisions,
    is_up_to_date,
    upgrade,
)
from ringsync.store.tables import ACCOUNT_SCOPED_TABLES, Base

EXPECTED_TABLES = {
    "accounts",
    "activities",
    "contact_list_members",
    "contact_lists",
    "contact_stats",
    "contacts",
    "custom_property_defs",
    "dispositions",
    "outbox",
    "sync_settings_drafts",
    "sync_settings_versions",
    "users",
}


def _table_of(diff: object) -> str | None:
    """Return the table an autogenerate diff entry is about (entries are tuples or lists)."""
    entry = diff[0] if isinstance(diff, list) else diff
    for part in entry if isinstance(entry, tuple) else ():
        table = getattr(part, "table", None)
        name = getattr(table, "name", None) or getattr(part, "name", None)
        if isinstance(part, str) and part in EXPECTED_TABLES:
            return part
        if isinstance(name, str) and name in EXPECTED_TABLES:
            return name
    return None


def test_migrations_create_exactly_the_modelled_schema(empty_url: str) -> None:
    engine = create_db_engine(empty_url)
    try:
        assert current_revisions(engine) == ()
        assert not is_up_to_date(engine)
        upgrade(engine)
        assert current_revisions(engine) == head_revisions()
        tables = set(inspect(engine).get_table_names())
        assert tables >= EXPECTED_TABLES
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diffs = compare_metadata(context, Base.metadata)
        assert [d for d in diffs if _table_of(d) in EXPECTED_TABLES] == []
        downgrade(engine)
        assert set(inspect(engine).get_table_names()) - {"alembic_version"} == set()
        upgrade(engine)
        upgrade(engine)  # a second upgrade is a no-op
        assert is_up_to_date(engine)
    finally:
        engine.dispose()


def test_open_database_migrates_by_url(empty_url: str) -> None:
    database = open_database(empty_url)
    try:
        assert is_up_to_date(database.engine)
    finally:
        database.dispose()


def test_every_table_below_accounts_carries_account_id_first_in_a_key() -> None:
    scoped = set(ACCOUNT_SCOPED_TABLES)
    assert scoped == EXPECTED_TABLES - {"accounts"}
    for name in scoped:
        table = Base.metadata.tables[name]
        keys = [list(index.columns) for index in table.indexes]
        keys += [
            list(constraint.columns)
            for constraint in table.constraints
            if isinstance(constraint, UniqueConstraint | PrimaryKeyConstraint)
        ]
        leading = {columns[0].name for columns in keys if columns}
        assert "account_id" in leading, name
