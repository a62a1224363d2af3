"""Salesforce connections: one row per account; ``credentials`` is stored as given (ciphertext).

Also the encrypted column of pending sign-ins (``salesforce_oauth_states.secrets``), paged and
replaced here for key rotation only (the sign-in flow itself uses ``ringsync.store.oauth_states``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, select, update
from sqlalchemy.orm import Session

from ringsync.store.connections import salesforce_connections
from ringsync.store.oauth_states import salesforce_oauth_states

_TABLE = salesforce_connections
_STATES = salesforce_oauth_states


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
    unless_state: str | None = None,
) -> None:
    """Record the outcome of a connection check (instance URL kept unless a new one is given).

    With ``unless_state``, a connection in that state is left as it is.
    """
    values: dict[str, object] = {"state": state, "checked_at": checked_at, "last_error": last_error}
    if instance_url is not None:
        values["instance_url"] = instance_url
    statement = update(_TABLE).where(_TABLE.c.account_id == account_id)
    if unless_state is not None:
        statement = statement.where(_TABLE.c.state != unless_state)
    session.execute(statement.values(**values))


def set_state_where(
    session: Session,
    account_id: int,
    *,
    state: str,
    checked_at: datetime,
    last_error: str | None,
    connected_at: datetime | None,
    only_from: str | None = None,
) -> bool:
    """Set the state of the connection made at ``connected_at`` (and in ``only_from``, if given).

    Return whether a row changed: a connection replaced since (a reconnect) is left alone.
    """
    statement = update(_TABLE).where(_TABLE.c.account_id == account_id)
    if connected_at is not None:
        statement = statement.where(_TABLE.c.connected_at == connected_at)
    if only_from is not None:
        statement = statement.where(_TABLE.c.state == only_from)
    result = session.execute(
        statement.values(state=state, checked_at=checked_at, last_error=last_error)
    )
    return bool(getattr(result, "rowcount", 0))


def set_credentials(session: Session, account_id: int, credentials: str) -> None:
    """Replace the encrypted credentials blob (a rotated token or a re-encryption)."""
    session.execute(
        update(_TABLE).where(_TABLE.c.account_id == account_id).values(credentials=credentials)
    )


def credentials_page(session: Session, *, after: int, limit: int) -> list[tuple[int, str]]:
    """Return up to ``limit`` (account id, encrypted credentials) above ``after``, by id."""
    rows = session.execute(
        select(_TABLE.c.account_id, _TABLE.c.credentials)
        .where(_TABLE.c.account_id > after)
        .order_by(_TABLE.c.account_id)
        .limit(limit)
    )
    return [(int(r.account_id), str(r.credentials)) for r in rows]


def replace_credentials(session: Session, account_id: int, old: str, new: str) -> bool:
    """Replace the credentials only if they are still ``old``; tell whether they were."""
    result = session.execute(
        update(_TABLE)
        .where(_TABLE.c.account_id == account_id, _TABLE.c.credentials == old)
        .values(credentials=new)
    )
    return bool(getattr(result, "rowcount", 0))


@dataclass(frozen=True)
class SealedSignIn:
    """A pending sign-in's key, owner, expiry and encrypted secrets (never shown)."""

    digest: str
    account_id: int
    expires_at: datetime
    secrets: str = field(repr=False)


def oauth_secrets_page(session: Session, *, after: str, limit: int) -> list[SealedSignIn]:
    """Return up to ``limit`` pending sign-ins whose digest sorts above ``after``."""
    rows = session.execute(
        select(_STATES.c.digest, _STATES.c.account_id, _STATES.c.expires_at, _STATES.c.secrets)
        .where(_STATES.c.digest > after)
        .order_by(_STATES.c.digest)
        .limit(limit)
    )
    return [
        SealedSignIn(str(r.digest), int(r.account_id), r.expires_at, str(r.secrets)) for r in rows
    ]


def oauth_secrets_of(session: Session, digest: str) -> str | None:
    """Return the encrypted secrets of one pending sign-in, or None when it is gone."""
    found = session.execute(select(_STATES.c.secrets).where(_STATES.c.digest == digest)).first()
    return str(found.secrets) if found is not None else None


def replace_oauth_secrets(session: Session, digest: str, old: str, new: str) -> bool:
    """Replace a pending sign-in's secrets only if they are still ``old``."""
    result = session.execute(
        update(_STATES)
        .where(_STATES.c.digest == digest, _STATES.c.secrets == old)
        .values(secrets=new)
    )
    return bool(getattr(result, "rowcount", 0))


def remove(session: Session, account_id: int) -> bool:
    """Delete the account's connection; tell whether there was one."""
    result = session.execute(delete(_TABLE).where(_TABLE.c.account_id == account_id))
    return bool(getattr(result, "rowcount", 0))


__all__ = [
    "ConnectionRow",
    "SealedSignIn",
    "credentials_page",
    "get",
    "list_all",
    "oauth_secrets_of",
    "oauth_secrets_page",
    "put",
    "remove",
    "replace_credentials",
    "replace_oauth_secrets",
    "set_credentials",
    "set_state",
    "set_state_where",
]
