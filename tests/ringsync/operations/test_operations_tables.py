"""The operations migration creates exactly the modelled tables and can be rolled back."""

from __future__ import annotations

from pathlib import Path

from fixtures.migrations import check_tables_round_trip
from ringsync.operations.tables import OPERATION_TABLES
from ringsync.store.tables import Base

NAMES = {table.name for table in OPERATION_TABLES}


def test_migration_matches_the_tables_and_rolls_back(tmp_path: Path) -> None:
    check_tables_round_trip(tmp_path / "ops.db", NAMES, "0004_web_auth")


def test_one_active_operation_per_account_and_kind_is_a_database_rule() -> None:
    table = Base.metadata.tables["operations"]
    keys = {
        tuple(c.name for c in constraint.columns)
        for constraint in table.constraints
        if constraint.__class__.__name__ == "UniqueConstraint"
    }
    assert ("account_id", "active_kind") in keys
