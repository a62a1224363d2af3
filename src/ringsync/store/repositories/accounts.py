"""Accounts (tenants)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ringsync.store.tables import Account


def get(session: Session, account_id: int) -> Account | None:
    """Return the account with this id, or None."""
    return session.get(Account, account_id)


def list_all(session: Session) -> list[Account]:
    """List every account by id."""
    return list(session.scalars(select(Account).order_by(Account.id)))


def add(session: Session, account: Account) -> Account:
    """Insert an account and assign its id."""
    session.add(account)
    session.flush()
    return account
