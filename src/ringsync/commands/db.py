"""``ringsync db upgrade`` and ``ringsync db status``: bring the schema up to date, or check it.

Workers never migrate on their own: at scale an operator runs ``ringsync db upgrade`` once, then
rolls the workers. ``db status`` exits 0 only when the database has exactly the revisions this
code ships, so it can gate a deployment step or a readiness probe.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Annotated

import orjson
import typer
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from ringsync.commands.exits import (
    check_url,
    database_failure,
    fail,
    safe_url,
    settings_or_exit,
    sqlite_path,
)
from ringsync.store.db import create_db_engine
from ringsync.store.migrate import alembic_config, current_revisions, head_revisions, upgrade

db_app = typer.Typer(name="db", help="Create or upgrade the database schema.", no_args_is_help=True)

NOT_CURRENT = 1

DatabaseUrlOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="SQLAlchemy URL of the store (default: RINGSYNC_DATABASE_URL).",
        show_default=False,
    ),
]


class SchemaState(StrEnum):
    """How a database's schema compares with the revisions this code ships."""

    CURRENT = "current"
    EMPTY = "empty"
    BEHIND = "behind"
    AHEAD = "ahead"


@dataclass(frozen=True)
class SchemaReport:
    """The database's revisions, this code's, and what that means."""

    database: str
    state: SchemaState
    current: tuple[str, ...]
    heads: tuple[str, ...]

    def advice(self) -> str:
        """Say what the operator should do about this state."""
        return {
            SchemaState.CURRENT: "up to date",
            SchemaState.EMPTY: "no schema yet: run ringsync db upgrade",
            SchemaState.BEHIND: "older than this code: run ringsync db upgrade",
            SchemaState.AHEAD: (
                "newer than this code (revisions it does not know): upgrade this ringsync"
            ),
        }[self.state]


def schema_report(engine: Engine, database: str) -> SchemaReport:
    """Compare the database's revisions with this code's heads."""
    current = current_revisions(engine)
    heads = head_revisions()
    if current == heads:
        state = SchemaState.CURRENT
    elif not current:
        state = SchemaState.EMPTY
    else:
        script = ScriptDirectory.from_config(alembic_config())
        try:
            for revision in current:
                script.get_revision(revision)
        except CommandError:
            state = SchemaState.AHEAD
        else:
            state = SchemaState.BEHIND
    return SchemaReport(database, state, current, heads)


def _url(database_url: str | None) -> str:
    return check_url(database_url if database_url is not None else settings_or_exit().database_url)


def _show(revisions: tuple[str, ...]) -> str:
    return ", ".join(revisions) or "none"


@db_app.command("upgrade")
def db_upgrade(database_url: DatabaseUrlOption = None) -> None:
    """Apply every migration this code ships (safe to run again; it then does nothing)."""
    url = _url(database_url)
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_db_engine(url)
    try:
        before = schema_report(engine, safe_url(url))
        if before.state is SchemaState.AHEAD:
            raise fail(
                f"the database {before.database} is at {_show(before.current)}, which this "
                "ringsync does not know; upgrade ringsync instead"
            )
        upgrade(engine)
        after = current_revisions(engine)
    except SQLAlchemyError as exc:
        raise database_failure(url, exc) from None
    finally:
        engine.dispose()
    if before.current == after:
        typer.echo(f"Database {before.database} is already up to date ({_show(after)}).")
    else:
        typer.echo(
            f"Upgraded database {before.database} from {_show(before.current)} to {_show(after)}."
        )


@db_app.command("status")
def db_status(
    database_url: DatabaseUrlOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show the schema revision; exit 1 unless it is exactly what this code ships."""
    url = _url(database_url)
    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise fail(f"there is no database at {path} yet (run: ringsync db upgrade)")
    engine = create_db_engine(url)
    try:
        report = schema_report(engine, safe_url(url))
    except SQLAlchemyError as exc:
        raise database_failure(url, exc) from None
    finally:
        engine.dispose()
    if as_json:
        typer.echo(orjson.dumps({**asdict(report), "advice": report.advice()}).decode())
    else:
        typer.echo(f"Database: {report.database}")
        typer.echo(f"Revision: {_show(report.current)}")
        typer.echo(f"This code: {_show(report.heads)}")
        typer.echo(f"State: {report.state.value} ({report.advice()})")
    if report.state is not SchemaState.CURRENT:
        raise typer.Exit(code=NOT_CURRENT)


__all__ = ["SchemaReport", "SchemaState", "db_app", "schema_report"]
