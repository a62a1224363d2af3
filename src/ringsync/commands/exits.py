"""How operator commands end on bad input: one line on stderr and exit code 2, no traceback.

Also the two things nearly every operator command starts with: the settings (a ConfigError
becomes that one line) and the store (a database that cannot be opened becomes that one line,
with any password in its URL hidden).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from ringsync.errors import ConfigError, RingsyncError, ValidationError
from ringsync.settings import ENV_FILE_VARIABLE, Settings, load_settings
from ringsync.store.db import Database, open_database

BAD_INPUT = 2

EnvFileOption = Annotated[
    Path | None,
    typer.Option(
        "--env-file",
        help="Read RINGSYNC_* settings from this file (variables already set win).",
        envvar=ENV_FILE_VARIABLE,
        show_envvar=True,
    ),
]


def fail(message: str) -> typer.Exit:
    """Print ``Error: message`` to stderr and return the exit to raise (code 2)."""
    typer.echo(f"Error: {message}", err=True)
    return typer.Exit(code=BAD_INPUT)


def describe(exc: RingsyncError) -> str:
    """Return the error's message followed by every problem it carries."""
    if isinstance(exc, ValidationError) and exc.problems:
        details = "; ".join(f"{p.field}: {p.reason}" for p in exc.problems)
        return f"{exc.message} ({details})"
    return exc.message


def use_env_file(path: Path | None) -> None:
    """Make every later ``load_settings()`` in this process (and its children) read ``path``."""
    if path is None:
        return
    if not path.is_file():
        raise fail(f"the settings file {path} does not exist")
    os.environ[ENV_FILE_VARIABLE] = str(path.resolve())


def settings_or_exit() -> Settings:
    """Load the settings, or end the command with the configuration problem."""
    try:
        return load_settings()
    except ConfigError as exc:
        raise fail(describe(exc)) from None


def safe_url(url: str) -> str:
    """Return ``url`` with any password replaced by ``***`` (for messages and status)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<not a database URL>"


def check_url(url: str) -> str:
    """Return ``url`` if SQLAlchemy can parse it, else end the command."""
    try:
        make_url(url)
    except ArgumentError:
        raise fail(
            "the database URL is not valid (expected e.g. sqlite:///var/ringsync.db or "
            "postgresql+psycopg://user@host/db)"
        ) from None
    return url


def sqlite_path(url: str) -> Path | None:
    """Return the file of a file-backed SQLite URL, else None."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database or "")


def database_failure(url: str, exc: SQLAlchemyError) -> typer.Exit:
    """Return the exit for a database that cannot be reached (no password, no traceback)."""
    reason = str(getattr(exc, "orig", None) or type(exc).__name__).strip().splitlines()[0]
    return fail(f"cannot open the database {safe_url(url)}: {reason}")


@contextmanager
def open_store(settings: Settings, *, migrate: bool) -> Iterator[Database]:
    """Yield the store named by the settings, ending the command if it cannot be opened.

    Only ``migrate=True`` (commands that write) may create a missing SQLite file; read-only
    commands report a missing database instead of creating an empty one.
    """
    url = check_url(settings.database_url)
    path = sqlite_path(url)
    if path is not None:
        if migrate:
            path.parent.mkdir(parents=True, exist_ok=True)
        elif not path.exists():
            raise fail(f"there is no database at {path} yet (run: ringsync db upgrade)")
    try:
        database = open_database(url, migrate=migrate)
    except SQLAlchemyError as exc:
        raise database_failure(url, exc) from None
    try:
        yield database
    finally:
        database.dispose()


__all__ = [
    "BAD_INPUT",
    "EnvFileOption",
    "check_url",
    "database_failure",
    "describe",
    "fail",
    "open_store",
    "safe_url",
    "settings_or_exit",
    "sqlite_path",
    "use_env_file",
]
