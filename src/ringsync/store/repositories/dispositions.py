"""Dispositions (call outcomes) of one account."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ringsync.store.tables import Disposition


def get(session: Session, account_id: int, disposition_id: int) -> Disposition | None:
    """Return the account's disposition with this id, or None."""
    stmt = select(Disposition).where(
        Disposition.account_id == account_id, Disposition.id == disposition_id
    )
    return session.scalars(stmt).one_or_none()


def by_name(session: Session, account_id: int, name: str) -> Disposition | None:
    """Return the account's disposition with this exact name, or None."""
    stmt = select(Disposition).where(Disposition.account_id == account_id, Disposition.name == name)
    return session.scalars(stmt).one_or_none()


def list_all(session: Session, account_id: int) -> list[Disposition]:
    """List the account's dispositions in display order."""
    stmt = (
        select(Disposition)
        .where(Disposition.account_id == account_id)
        .order_by(Disposition.sort_order, Disposition.name)
    )
    return list(session.scalars(stmt))


def add(session: Session, disposition: Disposition) -> Disposition:
    """Insert a disposition and assign its id."""
    session.add(disposition)
    session.flush()
    return disposition


def clear_default(session: Session, account_id: int, *, keep_id: int | None = None) -> None:
    """Unset ``is_default`` on every disposition of the account except ``keep_id``."""
    stmt = update(Disposition).where(
        Disposition.account_id == account_id, Disposition.is_default.is_(True)
    )
    if keep_id is not None:
        stmt = stmt.where(Disposition.id != keep_id)
    session.execute(stmt.values(is_default=False))


def delete(session: Session, disposition: Disposition) -> None:
    """Remove a disposition (contacts and activities keep a NULL reference)."""
    session.delete(disposition)
    session.flush()
