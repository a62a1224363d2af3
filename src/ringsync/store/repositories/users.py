"""Users (agents, admins, extensions and destinations) of one account."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ringsync.store.tables import User


def get(session: Session, account_id: int, user_id: int) -> User | None:
    """Return the account's user with this id, or None."""
    stmt = select(User).where(User.account_id == account_id, User.id == user_id)
    return session.scalars(stmt).one_or_none()


def by_email(session: Session, account_id: int, email: str) -> User | None:
    """Return the account's user with this email (case-insensitive), or None."""
    stmt = select(User).where(
        User.account_id == account_id, func.lower(User.email) == email.lower()
    )
    return session.scalars(stmt).one_or_none()


def list_all(session: Session, account_id: int, *, status: str | None = None) -> list[User]:
    """List the account's users by id, optionally only those with ``status``."""
    stmt = select(User).where(User.account_id == account_id)
    if status is not None:
        stmt = stmt.where(User.status == status)
    return list(session.scalars(stmt.order_by(User.id)))


def add(session: Session, user: User) -> User:
    """Insert a user and assign its id."""
    session.add(user)
    session.flush()
    return user
