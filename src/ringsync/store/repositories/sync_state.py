"""Inbound cursors, the pending-create registry and the user mapping of one account."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from ringsync.store.repositories.dialect import upsert_insert
from ringsync.store.sync_tables import sync_cursors, sync_pending_creates, user_mappings


@dataclass(frozen=True)
class Cursor:
    """Where inbound reading of one object stands.

    ``modstamp`` is the newest SystemModstamp applied; ``seen`` maps each record read within
    the overlap window below it to the key of the values read (boundary de-duplication: a
    re-read record with the same key is dropped); ``deleted_until`` is the end of the last
    getDeleted window.
    """

    sobject: str
    modstamp: datetime | None = None
    seen: Mapping[str, str] = field(default_factory=dict)
    deleted_until: datetime | None = None


def get_cursor(session: Session, account_id: int, sobject: str) -> Cursor:
    """Return an object's cursor (an empty one before the first run)."""
    c = sync_cursors.c
    row = session.execute(
        select(sync_cursors).where(c.account_id == account_id, c.sobject == sobject)
    ).first()
    if row is None:
        return Cursor(sobject)
    return Cursor(
        sobject,
        row.modstamp,
        _seen(row.boundary_ids),
        row.deleted_until,
    )


def _seen(raw: object) -> dict[str, str]:
    if isinstance(raw, Mapping):
        return {str(k): str(v) for k, v in raw.items()}
    return {}


def save_cursor(session: Session, account_id: int, cursor: Cursor, at: datetime) -> None:
    """Store an object's cursor (call only after the batch it covers is applied)."""
    values = {
        "modstamp": cursor.modstamp,
        "boundary_ids": dict(cursor.seen),
        "deleted_until": cursor.deleted_until,
        "updated_at": at,
    }
    stmt = upsert_insert(session, sync_cursors).values(
        account_id=account_id, sobject=cursor.sobject, **values
    )
    session.execute(
        stmt.on_conflict_do_update(index_elements=["account_id", "sobject"], set_=values)
    )


# --- pending creates ------------------------------------------------------------------------
@dataclass(frozen=True)
class PendingCreate:
    """A phone number whose Salesforce record is being (or was) created by us."""

    e164: str
    sobject: str
    contact_id: int | None
    created_at: datetime
    record_id: str | None


def reserve(
    session: Session, account_id: int, e164: str, sobject: str, contact_id: int, at: datetime
) -> PendingCreate | None:
    """Reserve ``e164`` for one create; return the existing entry when it is already taken."""
    stmt = (
        upsert_insert(session, sync_pending_creates)
        .values(
            account_id=account_id,
            e164=e164,
            sobject=sobject,
            contact_id=contact_id,
            created_at=at,
        )
        .on_conflict_do_nothing(index_elements=["account_id", "e164"])
    )
    if session.execute(stmt).rowcount:  # type: ignore[attr-defined]  # CursorResult
        return None
    return pending(session, account_id, e164)


def pending(session: Session, account_id: int, e164: str) -> PendingCreate | None:
    """Return the registry entry of ``e164``, or None."""
    c = sync_pending_creates.c
    row = session.execute(
        select(sync_pending_creates).where(c.account_id == account_id, c.e164 == e164)
    ).first()
    if row is None:
        return None
    return PendingCreate(row.e164, row.sobject, row.contact_id, row.created_at, row.record_id)


def complete(session: Session, account_id: int, e164: str, record_id: str) -> None:
    """Note the record a reserved create produced (the entry stays: the phone now has a record)."""
    c = sync_pending_creates.c
    session.execute(
        update(sync_pending_creates)
        .where(c.account_id == account_id, c.e164 == e164)
        .values(record_id=record_id)
    )


def take_over(
    session: Session, account_id: int, e164: str, sobject: str, contact_id: int, at: datetime
) -> None:
    """Reserve ``e164`` again over a stale entry (its create died, or its record is gone)."""
    c = sync_pending_creates.c
    session.execute(
        update(sync_pending_creates)
        .where(c.account_id == account_id, c.e164 == e164)
        .values(sobject=sobject, contact_id=contact_id, created_at=at, record_id=None)
    )


def release(session: Session, account_id: int, e164: str) -> None:
    """Drop a reservation whose create failed, so a later attempt can try again."""
    c = sync_pending_creates.c
    session.execute(
        delete(sync_pending_creates).where(
            c.account_id == account_id, c.e164 == e164, c.record_id.is_(None)
        )
    )


# --- user mapping ---------------------------------------------------------------------------
def map_user(
    session: Session,
    account_id: int,
    user_id: int,
    salesforce_user_id: str,
    email: str,
    at: datetime,
) -> None:
    """Pair one of our users with a Salesforce user (replacing either side's old pairing)."""
    c = user_mappings.c
    session.execute(
        delete(user_mappings).where(
            c.account_id == account_id,
            (c.user_id == user_id) | (c.salesforce_user_id == salesforce_user_id),
        )
    )
    session.execute(
        insert(user_mappings).values(
            account_id=account_id,
            user_id=user_id,
            salesforce_user_id=salesforce_user_id,
            email=email,
            mapped_at=at,
        )
    )


def unmap_users(session: Session, account_id: int, user_ids: Collection[int]) -> int:
    """Remove the pairings of these users; return how many were removed."""
    if not user_ids:
        return 0
    c = user_mappings.c
    stmt = delete(user_mappings).where(c.account_id == account_id, c.user_id.in_(list(user_ids)))
    return int(session.execute(stmt).rowcount)  # type: ignore[attr-defined]  # CursorResult


def salesforce_ids(session: Session, account_id: int) -> dict[str, str]:
    """Return our user id (as text) -> Salesforce user id, for outbound owners."""
    c = user_mappings.c
    rows = session.execute(
        select(c.user_id, c.salesforce_user_id).where(c.account_id == account_id)
    )
    return {str(user_id): str(sf_id) for user_id, sf_id in rows}


def users_by_salesforce_id(session: Session, account_id: int) -> dict[str, int]:
    """Return Salesforce user id -> our user id, for inbound owners."""
    return {sf: int(user) for user, sf in salesforce_ids(session, account_id).items()}


__all__ = [
    "Cursor",
    "PendingCreate",
    "complete",
    "get_cursor",
    "map_user",
    "pending",
    "release",
    "reserve",
    "salesforce_ids",
    "save_cursor",
    "take_over",
    "unmap_users",
    "users_by_salesforce_id",
]
