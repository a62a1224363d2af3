"""Salesforce connections: one row per account; ``credentials`` is stored as given (ciphertext)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, select, update
from sqlalchemy.orm import Session

from ringsync.store.connections import salesforce_connections

_TABLE = salesforce_connections


@dataclass(frozen=True)
class ConnectionRow:
    """One stored connection; ``credentials`` is the encrypted blob and never shown."""

    account_id: int
    method: str
    login_url: str
    client_id: str
    username: str | None
    instance_url: str | None
    credentials: str = field(repr=False)
    state: str = "untested"
    last_error: str | None = None
    connected_at: datetime | None = None
    checked_at: datetime | None = None


def _row(values: Row[Any]) -> ConnectionRow:
    return ConnectionRow(**dict(values._mapping))


def get(session: Session, account_id: int) -> ConnectionRow | None:
    """Return the account's connection, or None when it has none."""
    found = session.execute(select(_TABLE).where(_TABLE.c.account_id == account_id)).first()
    return _row(found) if found is not None else None


def list_all(session: Session) -> list[ConnectionRow]:
    """Return every stored connection, by account id."""
    return [_row(r) for r in session.execute(select(_TABLE).order_by(_TABLE.c.account_id))]


def put(session: Session, row: ConnectionRow) -> None:
    """Insert or replace the account's connection (a reconnect replaces every column)."""
    values = {
        "account_id": row.account_id,
        "method": row.method,
        "login_url": row.login_url,
        "client_id": row.client_id,
        "username": row.username,
        "instance_url": row.instance_url,
        "credentials": row.credentials,
        "state": row.state,
        "last_error": row.last_error,
        "connected_at": row.connected_at,
        "checked_at": row.checked_at,
    }
    session.execute(delete(_TABLE).where(_TABLE.c.account_id == row.account_id))
    session.execute(_TABLE.insert().values(**values))


def set_state(
    session: Session,
    account_id: int,
    *,
    state: str,
    checked_at: datetime,
    last_error: str | None = None,
    instance_url: str | None = None,
) -> None:
    """Record the outcome of a connection check (instance URL kept unless a new one is given)."""
    values: dict[str, object] = {"state": state, "checked_at": checked_at, "last_error": last_error}
    if instance_url is not None:
        values["instance_url"] = instance_url
    session.execute(update(_TABLE).where(_TABLE.c.account_id == account_id).values(**values))


def set_credentials(session: Session, account_id: int, credentials: str) -> None:
    """Replace the encrypted credentials blob (a rotated token or a re-encryption)."""
    session.execute(
        update(_TABLE).where(_TABLE.c.account_id == account_id).values(credentials=credentials)
    )


def remove(session: Session, account_id: int) -> bool:
    """Delete the account's connection; tell whether there was one."""
    result = session.execute(delete(_TABLE).where(_TABLE.c.account_id == account_id))
    return bool(getattr(result, "rowcount", 0))


__all__ = ["ConnectionRow", "get", "list_all", "put", "remove", "set_credentials", "set_state"]
