"""Activities (calls, texts) and the tracking stats they feed.

This is the per-event hot path (one transaction per event), so its statements are built once
with bind parameters and run on the session's connection: building a statement per call and
going through the ORM costs more than the database work itself.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from ringsync.store.repositories.dialect import insert_for
from ringsync.store.tables import Activity, ContactStats, table_of

_ACTIVITIES = table_of(Activity)
_STATS = table_of(ContactStats)
_STATS_SELECT = select(_STATS).where(
    _STATS.c.account_id == bindparam("p_account_id"),
    _STATS.c.contact_id == bindparam("p_contact_id"),
)
_STATS_UPDATE = update(_STATS).where(
    _STATS.c.account_id == bindparam("p_account_id"),
    _STATS.c.contact_id == bindparam("p_contact_id"),
)
_STATS_INSERT = insert(_STATS)


@cache
def _insert_if_new(dialect_name: str) -> Any:
    return (
        insert_for(dialect_name, _ACTIVITIES)
        .on_conflict_do_nothing(index_elements=["account_id", "external_id"])
        .returning(_ACTIVITIES.c.id)
    )


def insert_if_new(session: Session, values: dict[str, Any]) -> int | None:
    """Insert an activity unless its external id is known; return the new id or None."""
    stmt = _insert_if_new(session.get_bind().dialect.name)
    new_id = session.connection().execute(stmt, values).scalar_one_or_none()
    return None if new_id is None else int(new_id)


def for_contact(session: Session, account_id: int, contact_id: int) -> list[Activity]:
    """Return a contact's activities, oldest first."""
    stmt = (
        select(Activity)
        .where(Activity.account_id == account_id, Activity.contact_id == contact_id)
        .order_by(Activity.occurred_at, Activity.external_id)
    )
    return list(session.scalars(stmt))


def stats_row(session: Session, account_id: int, contact_id: int) -> dict[str, Any] | None:
    """Return a contact's stored tracking stats as a column dict, or None if none yet."""
    params = {"p_account_id": account_id, "p_contact_id": contact_id}
    row = session.connection().execute(_STATS_SELECT, params).mappings().one_or_none()
    return None if row is None else dict(row)


def write_stats(
    session: Session, account_id: int, contact_id: int, values: dict[str, Any], *, exists: bool
) -> None:
    """Store stats columns (insert the row on the contact's first activity)."""
    connection = session.connection()
    if exists:
        params = {"p_account_id": account_id, "p_contact_id": contact_id, **values}
        connection.execute(_STATS_UPDATE, params)
    else:
        connection.execute(
            _STATS_INSERT, {"account_id": account_id, "contact_id": contact_id, **values}
        )
