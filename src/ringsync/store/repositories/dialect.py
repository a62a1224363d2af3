"""Pick the INSERT construct that supports ON CONFLICT for the session's backend."""

from __future__ import annotations

import sqlite3
from operator import itemgetter
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def upsert_insert(session: Session, table: Table) -> Any:
    """Return an INSERT for ``table`` with ``on_conflict_do_*`` methods for this backend."""
    return insert_for(session.get_bind().dialect.name, table)


def insert_for(name: str, table: Table) -> Any:
    """Return the ON CONFLICT-capable INSERT for ``table`` on the backend called ``name``."""
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"database backend {name!r} is not supported")


def is_sqlite(session: Session) -> bool:
    """Tell whether the session talks to SQLite."""
    return session.get_bind().dialect.name == "sqlite"


def is_postgres(session: Session) -> bool:
    """Tell whether the session talks to Postgres (row locks and SKIP LOCKED work)."""
    return session.get_bind().dialect.name == "postgresql"


def _driver_rows(
    dialect: Any, order: list[str], table: Table, rows: list[dict[str, Any]]
) -> list[Any]:
    """Return each row's values in ``order``, through the columns' own bind processors.

    The processors come from each type's dialect implementation (what SQLAlchemy itself
    applies), so timestamps land in the same text as ORM writes. A value object shared by
    consecutive rows (one ``now``, one provenance dict) is processed once.
    """
    getter = itemgetter(*order)
    processors = [
        (index, proc)
        for index, name in enumerate(order)
        if (proc := table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) is not None
    ]
    last_in: list[Any] = [object()] * len(order)
    last_out: list[Any] = [None] * len(order)
    params: list[Any] = []
    for row in rows:
        values = list(getter(row)) if len(order) > 1 else [getter(row)]
        for index, proc in processors:
            value = values[index]
            if value is not last_in[index]:
                last_in[index] = value
                last_out[index] = proc(value)
            values[index] = last_out[index]
        params.append(tuple(values))
    return params


def execute_many(session: Session, stmt: Any, table: Table, rows: list[dict[str, Any]]) -> None:
    """Run ``stmt`` once per row (no RETURNING), fast on SQLite.

    On SQLite the statement is compiled once and the rows go to the driver's ``executemany``
    with the columns' own bind processors applied, skipping SQLAlchemy's per-row parameter
    assembly (about half the cost of a bulk upsert). Other backends take the normal path.
    Every row must have the same keys.
    """
    if not rows:
        return
    dialect = session.get_bind().dialect
    if dialect.name != "sqlite":
        session.execute(stmt, rows)
        return
    compiled = stmt.compile(dialect=dialect, column_keys=list(rows[0]))
    order = list(compiled.positiontup or [])
    params = _driver_rows(dialect, order, table, rows)
    session.connection().exec_driver_sql(compiled.string, params)


def _sqlite_variable_limit(session: Session) -> int:
    """Return how many ``?`` one statement may bind on this SQLite build (32,766 by default)."""
    driver = session.connection().connection.driver_connection
    if driver is None:  # a detached connection: assume SQLite's historic limit
        return 999
    return int(driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))


def insert_many_returning(
    session: Session, stmt: Any, table: Table, rows: list[dict[str, Any]]
) -> list[Any]:
    """Run an INSERT that has RETURNING for every row and return the returned rows.

    On SQLite the rows go in as multi-row ``VALUES`` statements (as many rows as the
    variable limit allows), with the same bind processing as `execute_many`: one statement
    per ~1,000 rows, cheaper than ``executemany`` and it hands back the ids without a second
    query. Other backends use SQLAlchemy's own "insertmanyvalues". Every row must have the
    same keys.
    """
    if not rows:
        return []
    dialect = session.get_bind().dialect
    if dialect.name != "sqlite":
        return list(session.execute(stmt, rows))
    compiled = stmt.compile(dialect=dialect, column_keys=list(rows[0]))
    order = list(compiled.positiontup or [])
    group = "(" + ", ".join("?" * len(order)) + ")"
    head, found, tail = compiled.string.partition(f"VALUES {group}")
    if not found or group in tail:
        raise NotImplementedError("cannot batch this INSERT: its VALUES clause is not plain")
    params = _driver_rows(dialect, order, table, rows)
    per_statement = max(1, _sqlite_variable_limit(session) // len(order))
    connection = session.connection()
    returned: list[Any] = []
    for start in range(0, len(params), per_statement):
        chunk = params[start : start + per_statement]
        sql = f"{head}VALUES {', '.join([group] * len(chunk))}{tail}"
        flat = [value for values in chunk for value in values]
        returned.extend(connection.exec_driver_sql(sql, tuple(flat)).all())
    return returned
