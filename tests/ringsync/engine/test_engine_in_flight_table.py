"""Migration 0008 creates its two tables exactly as modelled and reverts to 0007 cleanly."""

from __future__ import annotations

from pathlib import Path

from fixtures.migrations import check_tables_round_trip


def test_the_in_flight_and_read_mark_tables_migrate_as_modelled_and_revert(tmp_path: Path) -> None:
    check_tables_round_trip(
        tmp_path / "in-flight.db", {"sync_in_flight", "sync_read_marks"}, "0007_run_lease_token"
    )
