"""The operations migration creates exactly the modelled tables and can be rolled back."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from ringsync.operations.tables import OPERATION_TABLES
from ringsync.store.db import create_db_engine
from ringsync.store.migrate import downgrade, upgrade
from ringsync.store.tables import Base

NAMES = {table.name for table in OPERATION_TABLES}


def _about_ours(diff: object) -> bool:
    entry = diff[0] if isinstance(diff, list) else diff
    for part in entry if isinstance(entry, tuple) else ():
        table = getattr(part, "table", None)
        name = getattr(table, "name", None) or getattr(part, "name", None)
        if part in NAMES or name in NAMES:
            return True
    return False


def test_migration_matches_the_tables_and_rolls_back(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'ops.db'}")
    try:
        upgrade(engine)
        assert set(inspect(engine).get_table_names()) >= NAMES
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diffs = compare_metadata(context, Base.metadata)
        assert [d for d in diffs if _about_ours(d)] == []

        downgrade(engine, "0004_web_auth")
        assert NAMES.isdisjoint(inspect(engine).get_table_names())
        upgrade(engine)
        assert set(inspect(engine).get_table_names()) >= NAMES
    finally:
        engine.dispose()


def test_one_active_operation_per_account_and_kind_is_a_database_rule() -> None:
    table = Base.metadata.tables["operations"]
    keys = {
        tuple(c.name for c in constraint.columns)
        for constraint in table.constraints
        if constraint.__class__.__name__ == "UniqueConstraint"
    }
    assert ("account_id", "active_kind") in keys
