"""Reads the runner's schedule needs: which accounts are connected, when each last polled.

Polling is driven by rows, not by a clock in the runner: an account is due when its newest
inbound run started longer ago than its poll interval (or it never ran).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select, true
from sqlalchemy.orm import Session

from ringsync.store.connections import salesforce_connections
from ringsync.store.repositories import outbox as outbox_repo
from ringsync.store.sync_tables import sync_links, sync_runs
from ringsync.store.tables import OutboxEntry, table_of

INBOUND = "inbound"


def connected_accounts(session: Session) -> list[int]:
    """Return the ids of accounts that have a stored Salesforce connection, ascending."""
    c = salesforce_connections.c
    return [int(a) for a in session.scalars(select(c.account_id).order_by(c.account_id))]


def accounts_with_free_outbox(
    session: Session, now: datetime, *, created_before: datetime | None = None
) -> list[int]:
    """Return the connected accounts with pending outbox rows that no live claim holds.

    A row is free when nobody claimed it or its claim (or retry delay) has run out at ``now``.
    ``created_before`` leaves out rows younger than that (their own wake-up is still due).
    """
    outbox = table_of(OutboxEntry)
    connections = salesforce_connections
    free = or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until <= now)
    waiting = (
        select(outbox.c.id)
        .where(
            outbox.c.account_id == connections.c.account_id,
            outbox.c.status == outbox_repo.PENDING,
            free,
            true() if created_before is None else outbox.c.created_at <= created_before,
        )
        .exists()
    )
    stmt = select(connections.c.account_id).where(waiting).order_by(connections.c.account_id)
    return [int(a) for a in session.scalars(stmt)]


def last_inbound_starts(session: Session) -> dict[int, datetime]:
    """Return when each account's newest inbound run started (accounts that never ran: absent)."""
    c = sync_runs.c
    stmt = (
        select(c.account_id, func.max(c.started_at))
        .where(c.direction == INBOUND)
        .group_by(c.account_id)
    )
    return {int(account): started for account, started in session.execute(stmt) if started}


def count_links(session: Session, account_id: int) -> int:
    """Return how many contacts of the account are linked to a Salesforce record."""
    c = sync_links.c
    stmt = select(func.count()).select_from(sync_links).where(c.account_id == account_id)
    return int(session.scalar(stmt) or 0)


__all__ = ["connected_accounts", "count_links", "last_inbound_starts"]
