"""Set-based statements for recording a batch of activities in one transaction.

Each helper runs one statement for the whole batch (or one per group of rows with the same
columns): lock the named contacts, look up a phone identity's contact id, insert the new
activities (``ON CONFLICT DO NOTHING``), read the stored activities behind known keys, read and
write the touched contacts' tracking stats.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from ringsync.store.repositories.dialect import (
    insert_many_returning,
    is_postgres,
    upsert_insert,
)
from ringsync.store.tables import Activity, Contact, ContactStats, table_of

_ACTIVITIES = table_of(Activity)
_CONTACTS = table_of(Contact)
_STATS = table_of(ContactStats)


def lock_contacts(session: Session, account_id: int, contact_ids: Collection[int]) -> set[int]:
    """Lock the account's contacts among ``contact_ids`` (ascending id order); return those found.

    One ``SELECT ... FOR UPDATE`` (SQLite has no row locks: its write transaction serialises).
    Ids of other accounts' contacts are simply not found.
    """
    if not contact_ids:
        return set()
    c = _CONTACTS.c
    stmt = (
        select(c.id)
        .where(c.account_id == account_id, c.id.in_(sorted(set(contact_ids))))
        .order_by(c.id)
    )
    if is_postgres(session):
        stmt = stmt.with_for_update()
    return {int(row_id) for row_id in session.connection().execute(stmt).scalars()}


def contact_id_by_identity(
    session: Session, account_id: int, phone: str, extension: str
) -> int | None:
    """Return the id of the account's contact with this E.164 phone and extension, or None."""
    c = _CONTACTS.c
    stmt = select(c.id).where(
        c.account_id == account_id, c.phone == phone, c.extension == extension
    )
    found = session.connection().execute(stmt).scalar_one_or_none()
    return None if found is None else int(found)


def contact_ids_by_identity(
    session: Session, account_id: int, identities: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    """Return the ids of the account's contacts among (phone, extension) identities."""
    wanted = set(identities)
    if not wanted:
        return {}
    c = _CONTACTS.c
    phones = sorted({phone for phone, _ in wanted})
    stmt = select(c.id, c.phone, c.extension).where(c.account_id == account_id, c.phone.in_(phones))
    found: dict[tuple[str, str], int] = {}
    for row_id, phone, extension in session.connection().execute(stmt):
        if (phone, extension) in wanted:
            found[(phone, extension)] = int(row_id)
    return found


def insert_new(session: Session, rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Insert activities whose external id is not stored yet; return new ids by external id.

    Every row has the same keys and a distinct ``external_id``; a row whose key is already
    stored (by an earlier request or a concurrent one) is skipped and missing from the result.
    """
    if not rows:
        return {}
    stmt = (
        upsert_insert(session, _ACTIVITIES)
        .on_conflict_do_nothing(index_elements=["account_id", "external_id"])
        .returning(_ACTIVITIES.c.id, _ACTIVITIES.c.external_id)
    )
    returned = insert_many_returning(session, stmt, _ACTIVITIES, list(rows))
    return {str(external_id): int(row_id) for row_id, external_id in returned}


def stored_by_key(
    session: Session, account_id: int, external_ids: Collection[str]
) -> dict[str, dict[str, Any]]:
    """Return the stored activities behind these external ids (what a replay is compared with)."""
    if not external_ids:
        return {}
    c = _ACTIVITIES.c
    stmt = select(c.id, c.contact_id, c.kind, c.direction, c.occurred_at, c.external_id).where(
        c.account_id == account_id, c.external_id.in_(sorted(external_ids))
    )
    return {
        str(row["external_id"]): dict(row) for row in session.connection().execute(stmt).mappings()
    }


def stats_rows(
    session: Session, account_id: int, contact_ids: Collection[int]
) -> dict[int, dict[str, Any]]:
    """Return the stored tracking stats of these contacts by contact id (absent: none yet)."""
    if not contact_ids:
        return {}
    s = _STATS.c
    stmt = select(_STATS).where(s.account_id == account_id, s.contact_id.in_(sorted(contact_ids)))
    return {
        int(row["contact_id"]): dict(row) for row in session.connection().execute(stmt).mappings()
    }


def write_stats(
    session: Session,
    account_id: int,
    updates: Sequence[dict[str, Any]],
    inserts: Sequence[dict[str, Any]],
) -> None:
    """Update existing stats rows and insert new ones; each dict has ``contact_id`` and columns.

    Rows are grouped by their set of columns, one executemany per group.
    """
    s = _STATS.c
    for columns, group in _by_columns(updates).items():
        names = [name for name in columns if name != "contact_id"]
        rows = [
            {"p_contact_id": row["contact_id"], **{f"v_{name}": row[name] for name in names}}
            for row in group
        ]
        stmt = (
            update(_STATS)
            .where(s.account_id == account_id, s.contact_id == bindparam("p_contact_id"))
            .values({name: bindparam(f"v_{name}", type_=s[name].type) for name in names})
        )
        session.connection().execute(stmt, rows)
    for _columns, group in _by_columns(inserts).items():
        rows = [{"account_id": account_id, **row} for row in group]
        session.connection().execute(_STATS.insert(), rows)


def _by_columns(rows: Sequence[dict[str, Any]]) -> dict[tuple[str, ...], list[dict[str, Any]]]:
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    return groups


__all__ = [
    "contact_id_by_identity",
    "contact_ids_by_identity",
    "insert_new",
    "lock_contacts",
    "stats_rows",
    "stored_by_key",
    "write_stats",
]
