"""Contact lists and their members, within one account."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ringsync.store.repositories.dialect import upsert_insert
from ringsync.store.tables import Contact, ContactList, ContactListMember, table_of

_MEMBERS = table_of(ContactListMember)


def get(session: Session, account_id: int, list_id: int) -> ContactList | None:
    """Return the account's list with this id, or None."""
    stmt = select(ContactList).where(
        ContactList.account_id == account_id, ContactList.id == list_id
    )
    return session.scalars(stmt).one_or_none()


def by_name(session: Session, account_id: int, name: str) -> ContactList | None:
    """Return the account's list with this name, or None."""
    stmt = select(ContactList).where(ContactList.account_id == account_id, ContactList.name == name)
    return session.scalars(stmt).one_or_none()


def list_all(session: Session, account_id: int) -> list[ContactList]:
    """List the account's lists by name."""
    stmt = select(ContactList).where(ContactList.account_id == account_id)
    return list(session.scalars(stmt.order_by(ContactList.name)))


def add(session: Session, contact_list: ContactList) -> ContactList:
    """Insert a list and assign its id."""
    session.add(contact_list)
    session.flush()
    return contact_list


def remove(session: Session, contact_list: ContactList) -> None:
    """Delete a list and (by cascade) its memberships."""
    session.execute(
        delete(_MEMBERS).where(
            _MEMBERS.c.account_id == contact_list.account_id, _MEMBERS.c.list_id == contact_list.id
        )
    )
    session.delete(contact_list)
    session.flush()


def known_contact_ids(session: Session, account_id: int, contact_ids: Sequence[int]) -> set[int]:
    """Return which of ``contact_ids`` belong to the account."""
    if not contact_ids:
        return set()
    stmt = select(Contact.id).where(
        Contact.account_id == account_id, Contact.id.in_(list(contact_ids))
    )
    return set(session.scalars(stmt))


def add_members(
    session: Session, account_id: int, list_id: int, contact_ids: Sequence[int], at: datetime
) -> None:
    """Add contacts to a list; contacts already on it stay as they are."""
    if not contact_ids:
        return
    stmt = upsert_insert(session, _MEMBERS).on_conflict_do_nothing(
        index_elements=["list_id", "contact_id"]
    )
    rows = [
        {"list_id": list_id, "contact_id": cid, "account_id": account_id, "added_at": at}
        for cid in contact_ids
    ]
    session.execute(stmt, rows)


def remove_members(
    session: Session, account_id: int, list_id: int, contact_ids: Sequence[int]
) -> int:
    """Take contacts off a list; return how many memberships were removed."""
    stmt = delete(_MEMBERS).where(
        _MEMBERS.c.account_id == account_id,
        _MEMBERS.c.list_id == list_id,
        _MEMBERS.c.contact_id.in_(list(contact_ids)),
    )
    return int(session.execute(stmt).rowcount)  # type: ignore[attr-defined]  # CursorResult


def member_ids(session: Session, account_id: int, list_id: int) -> list[int]:
    """Return the contact ids on a list, ascending."""
    stmt = (
        select(_MEMBERS.c.contact_id)
        .where(_MEMBERS.c.account_id == account_id, _MEMBERS.c.list_id == list_id)
        .order_by(_MEMBERS.c.contact_id)
    )
    return [int(cid) for cid in session.scalars(stmt)]


def count_members(session: Session, account_id: int, list_id: int) -> int:
    """Count the contacts on a list."""
    stmt = select(func.count()).where(
        _MEMBERS.c.account_id == account_id, _MEMBERS.c.list_id == list_id
    )
    return int(session.scalar(stmt) or 0)
