"""Contacts and custom property definitions of one account."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from sqlalchemy import ColumnElement, bindparam, func, literal_column, select
from sqlalchemy.orm import Session

from ringsync.store.repositories.dialect import (
    execute_many,
    insert_many_returning,
    is_sqlite,
    upsert_insert,
)
from ringsync.store.tables import Contact, CustomPropertyDef, table_of

_TABLE = table_of(Contact)
IDENTITY_COLUMNS = ("account_id", "phone", "extension")


def get(
    session: Session, account_id: int, contact_id: int, *, for_update: bool = False
) -> Contact | None:
    """Return the account's contact with this id, or None (never another account's)."""
    stmt = select(Contact).where(Contact.account_id == account_id, Contact.id == contact_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).one_or_none()


_LOCK = (
    select(_TABLE.c.id)
    .where(_TABLE.c.account_id == bindparam("p_account_id"), _TABLE.c.id == bindparam("p_id"))
    .with_for_update()
)


def lock(session: Session, account_id: int, contact_id: int) -> bool:
    """Lock the account's contact row for this transaction; False when there is no such contact."""
    params = {"p_account_id": account_id, "p_id": contact_id}
    return session.connection().execute(_LOCK, params).first() is not None


def by_identity(session: Session, account_id: int, phone: str, extension: str) -> Contact | None:
    """Return the account's contact with this E.164 phone and extension, or None."""
    stmt = select(Contact).where(
        Contact.account_id == account_id, Contact.phone == phone, Contact.extension == extension
    )
    return session.scalars(stmt).one_or_none()


def list_page(
    session: Session, account_id: int, *, after_id: int = 0, limit: int = 100
) -> list[Contact]:
    """Return up to ``limit`` contacts with ids above ``after_id`` (keyset paging)."""
    stmt = (
        select(Contact)
        .where(Contact.account_id == account_id, Contact.id > after_id)
        .order_by(Contact.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def add(session: Session, contact: Contact) -> Contact:
    """Insert a new contact and assign its id."""
    session.add(contact)
    session.flush()
    return contact


def _phone_among(session: Session, phones: list[str]) -> ColumnElement[bool]:
    """Return ``phone IN (...)``; on SQLite the list travels as one JSON parameter.

    Two thousand bound values cost SQLAlchemy more to expand than SQLite takes to run the
    query; ``json_each`` (SQLite's JSON1, built in since 3.38) reads them from one string.
    """
    if not is_sqlite(session):
        return _TABLE.c.phone.in_(phones)
    listed = func.json_each(bindparam("p_phones", orjson.dumps(phones).decode()))
    return _TABLE.c.phone.in_(select(listed.table_valued("value").c.value))


def existing_for(
    session: Session, account_id: int, keys: Iterable[tuple[str, str]], columns: Sequence[str]
) -> dict[tuple[str, str], dict[str, Any]]:
    """Fetch the named columns of the account's contacts among ``keys`` (phone, extension)."""
    wanted = set(keys)
    if not wanted:
        return {}
    phones = sorted({phone for phone, _ in wanted})
    names = {"id", "phone", "extension", "version", *columns}
    cols = [_TABLE.c[name] for name in sorted(names)]
    stmt = select(*cols).where(_TABLE.c.account_id == account_id, _phone_among(session, phones))
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for row in session.execute(stmt).mappings():
        key = (row["phone"], row["extension"])
        if key in wanted:
            found[key] = dict(row)
    return found


def _upsert(session: Session, update_columns: Sequence[str]) -> Any:
    stmt = upsert_insert(session, _TABLE)
    sets: dict[str, Any] = {name: stmt.excluded[name] for name in update_columns}
    sets["version"] = _TABLE.c.version + literal_column("1")
    return stmt.on_conflict_do_update(index_elements=list(IDENTITY_COLUMNS), set_=sets)


def bulk_upsert(
    session: Session, rows: Sequence[dict[str, Any]], update_columns: Sequence[str]
) -> None:
    """Insert or update many contacts of one account in one executemany (see `ids_for`).

    Inserted rows start at version 1; updated rows get ``version + 1`` and the given columns.
    """
    if not rows:
        return
    execute_many(session, _upsert(session, update_columns), _TABLE, list(rows))


def bulk_upsert_ids(
    session: Session, rows: Sequence[dict[str, Any]], update_columns: Sequence[str]
) -> dict[tuple[str, str], int]:
    """Insert or update many contacts of one account; return their ids by (phone, extension).

    Same writes as `bulk_upsert`, with the ids read back by RETURNING instead of a query.
    """
    if not rows:
        return {}
    stmt = _upsert(session, update_columns).returning(
        _TABLE.c.id, _TABLE.c.phone, _TABLE.c.extension
    )
    returned = insert_many_returning(session, stmt, _TABLE, list(rows))
    return {(phone, extension): int(row_id) for row_id, phone, extension in returned}


def insert_new_ids(session: Session, rows: Sequence[dict[str, Any]]) -> dict[tuple[str, str], int]:
    """Insert many new contacts of one account; return the ids of those inserted.

    ``ON CONFLICT DO NOTHING``: a row whose phone identity is already stored (another writer
    got there first) is left out of the result, so the caller can report it as taken.
    """
    if not rows:
        return {}
    stmt = (
        upsert_insert(session, _TABLE)
        .on_conflict_do_nothing(index_elements=list(IDENTITY_COLUMNS))
        .returning(_TABLE.c.id, _TABLE.c.phone, _TABLE.c.extension)
    )
    returned = insert_many_returning(session, stmt, _TABLE, list(rows))
    return {(phone, extension): int(row_id) for row_id, phone, extension in returned}


def ids_for(
    session: Session, account_id: int, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    """Return the ids of the account's contacts among ``keys`` (phone, extension)."""
    found = existing_for(session, account_id, keys, ())
    return {key: int(row["id"]) for key, row in found.items()}


def custom_defs(session: Session, account_id: int) -> dict[str, CustomPropertyDef]:
    """Return the account's custom property definitions by name."""
    stmt = select(CustomPropertyDef).where(CustomPropertyDef.account_id == account_id)
    return {d.name: d for d in session.scalars(stmt)}


def add_custom_def(session: Session, definition: CustomPropertyDef) -> CustomPropertyDef:
    """Insert a custom property definition."""
    session.add(definition)
    session.flush()
    return definition
