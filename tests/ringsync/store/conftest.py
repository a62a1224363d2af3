"""Fixtures for the store tests beyond the shared ones in ``tests/fixtures/database.py``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ringsync.store.scratch import scratch_postgres


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Yield the URL of a database with no schema at all."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    admin = request.getfixturevalue("postgres_admin_url")
    with scratch_postgres(admin, migrate=False) as url:
        yield url
