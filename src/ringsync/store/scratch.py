"""Throw-away Postgres databases for tests and benchmarks: create, migrate, drop."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import OperationalError

from ringsync.store.migrate import upgrade

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def postgres_unreachable(admin_url: str = DEFAULT_ADMIN_URL) -> str | None:
    """Return why Postgres at ``admin_url`` cannot be used, or None when it answers."""
    engine = create_engine(admin_url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        first_line = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        return f"Postgres at {make_url(admin_url).render_as_string()} is unreachable: {first_line}"
    finally:
        engine.dispose()
    return None


@contextmanager
def scratch_postgres(admin_url: str = DEFAULT_ADMIN_URL, *, migrate: bool = True) -> Iterator[str]:
    """Create a fresh database ``ringsync_test_<random>``, migrate it, yield its URL, drop it."""
    name = f"ringsync_test_{secrets.token_hex(6)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        if migrate:
            upgrade(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
