"""Batch reads the sync engine needs: contacts by id or phone, with their tracking stats."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ringsync.store.tables import Contact, ContactStats, table_of

_STATS = table_of(ContactStats)


def contacts_by_ids(session: Session, account_id: int, ids: Collection[int]) -> list[Contact]:
    """Return the account's contacts with these ids (missing ids are left out)."""
    if not ids:
        return []
    stmt = select(Contact).where(Contact.account_id == account_id, Contact.id.in_(list(ids)))
    return list(session.scalars(stmt))


def contacts_by_phones(session: Session, account_id: int, phones: Collection[str]) -> list[Contact]:
    """Return the account's contacts whose E.164 phone is one of ``phones`` (any extension)."""
    if not phones:
        return []
    stmt = select(Contact).where(Contact.account_id == account_id, Contact.phone.in_(list(phones)))
    return list(session.scalars(stmt))


def stats_rows(
    session: Session, account_id: int, contact_ids: Collection[int]
) -> dict[int, dict[str, Any]]:
    """Return the stored tracking stats rows of these contacts, keyed by contact id."""
    if not contact_ids:
        return {}
    stmt = select(_STATS).where(
        _STATS.c.account_id == account_id, _STATS.c.contact_id.in_(list(contact_ids))
    )
    return {int(row.contact_id): dict(row._mapping) for row in session.execute(stmt)}


__all__ = ["contacts_by_ids", "contacts_by_phones", "stats_rows"]
