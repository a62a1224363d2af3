"""The 0002_leases migration matches the lease table the code uses, up and down."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, inspect

from ringsync.runtime.lease_table import leases
from ringsync.store.db import create_db_engine
from ringsync.store.migrate import current_revisions, downgrade, upgrade
from ringsync.store.tables import Base


def test_the_lease_table_lives_on_the_store_metadata() -> None:
    assert Base.metadata.tables["leases"] is leases


def test_the_migration_creates_exactly_the_declared_lease_table(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'm.db'}")
    try:
        upgrade(engine, "0002_leases")
        assert current_revisions(engine) == ("0002_leases",)
        only_leases = MetaData(naming_convention=dict(Base.metadata.naming_convention))
        leases.to_metadata(only_leases)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = [
                change
                for change in compare_metadata(context, only_leases)
                if "leases" in repr(change)
            ]
        assert diff == []
        assert inspect(engine).get_pk_constraint("leases")["name"] == "pk_leases"
    finally:
        engine.dispose()


def test_downgrade_drops_the_lease_table_and_upgrade_restores_it(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'd.db'}")
    try:
        upgrade(engine, "0002_leases")
        downgrade(engine, "0001")
        assert "leases" not in inspect(engine).get_table_names()
        assert "accounts" in inspect(engine).get_table_names()
        upgrade(engine, "0002_leases")
        assert "leases" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
