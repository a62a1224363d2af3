"""Reads the runner's schedule needs: which accounts are connected, when each last polled.

Polling is driven by rows, not by a clock in the runner: an account is due when its newest
inbound run started longer ago than its poll interval (or it never ran).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ringsync.store.connections import salesforce_connections
from ringsync.store.sync_tables import sync_links, sync_runs

INBOUND = "inbound"


def connected_accounts(session: Session) -> list[int]:
    """Return the ids of accounts that have a stored Salesforce connection, ascending."""
    c = salesforce_connections.c
    return [int(a) for a in session.scalars(select(c.account_id).order_by(c.account_id))]


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
