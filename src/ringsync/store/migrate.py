"""Run Alembic migrations from code; the Alembic config lives here, not in an ini file."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import URL, Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    """Build the Alembic configuration that points at the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    return config


def _engine(engine_or_url: Engine | str | URL) -> tuple[Engine, bool]:
    if isinstance(engine_or_url, Engine):
        return engine_or_url, False
    # Imported here because ringsync.store.db imports this module at load time.
    from ringsync.store.db import create_db_engine

    return create_db_engine(engine_or_url), True


def upgrade(engine_or_url: Engine | str | URL, revision: str = "heads") -> None:
    """Bring the schema at ``engine_or_url`` up to ``revision`` (default: every newest head).

    "heads" rather than "head": features add revisions in parallel, and a branch point must not
    stop a deployment; every branch is applied.
    """
    engine, owned = _engine(engine_or_url)
    try:
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        if owned:
            engine.dispose()


def downgrade(engine_or_url: Engine | str | URL, revision: str = "base") -> None:
    """Take the schema down to ``revision`` (default: empty)."""
    engine, owned = _engine(engine_or_url)
    try:
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.downgrade(config, revision)
    finally:
        if owned:
            engine.dispose()


def current_revisions(engine: Engine) -> tuple[str, ...]:
    """Return the revisions the database is at (sorted; empty when never migrated)."""
    with engine.connect() as connection:
        return tuple(sorted(MigrationContext.configure(connection).get_current_heads()))


def head_revisions() -> tuple[str, ...]:
    """Return the newest revisions shipped with this code (sorted; one unless branched)."""
    return tuple(sorted(ScriptDirectory.from_config(alembic_config()).get_heads()))


def is_up_to_date(engine: Engine) -> bool:
    """Tell whether the database has every revision this code ships."""
    return current_revisions(engine) == head_revisions()


__all__ = [
    "alembic_config",
    "current_revisions",
    "downgrade",
    "head_revisions",
    "is_up_to_date",
    "upgrade",
]
