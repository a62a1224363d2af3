"""Lead status links and disposition usage: the repository behind "pull lead statuses"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from ringsync.operations.tables import lead_status_links
from ringsync.store.tables import Activity, Contact


@dataclass(frozen=True)
class StatusLink:
    """Which Salesforce lead status a disposition mirrors, and since when the status is gone."""

    disposition_id: int
    salesforce_status_id: str
    api_name: str
    missing_since: datetime | None


def status_links(session: Session, account_id: int) -> dict[int, StatusLink]:
    """Return the account's lead status links by disposition id."""
    c = lead_status_links.c
    rows = session.execute(select(lead_status_links).where(c.account_id == account_id))
    return {
        int(r.disposition_id): StatusLink(
            int(r.disposition_id), r.salesforce_status_id, r.api_name, r.missing_since
        )
        for r in rows
    }


def put_status_link(
    session: Session,
    account_id: int,
    disposition_id: int,
    salesforce_status_id: str,
    api_name: str,
    at: datetime,
) -> None:
    """Link a disposition to a Salesforce lead status (clearing any "missing" flag)."""
    c = lead_status_links.c
    session.execute(
        delete(lead_status_links).where(
            c.account_id == account_id,
            (c.disposition_id == disposition_id) | (c.salesforce_status_id == salesforce_status_id),
        )
    )
    session.execute(
        insert(lead_status_links).values(
            account_id=account_id,
            disposition_id=disposition_id,
            salesforce_status_id=salesforce_status_id,
            api_name=api_name,
            missing_since=None,
            synced_at=at,
        )
    )


def flag_status_missing(
    session: Session, account_id: int, disposition_id: int, at: datetime
) -> None:
    """Mark a linked disposition's status as gone from Salesforce (kept because it is in use)."""
    c = lead_status_links.c
    session.execute(
        update(lead_status_links)
        .where(
            c.account_id == account_id,
            c.disposition_id == disposition_id,
            c.missing_since.is_(None),
        )
        .values(missing_since=at)
    )


def disposition_usage(session: Session, account_id: int) -> dict[int, int]:
    """Return disposition id -> how many contacts and activities use it (only used ones)."""
    usage: dict[int, int] = {}
    for model in (Contact, Activity):
        stmt = (
            select(model.disposition_id, func.count())
            .where(model.account_id == account_id, model.disposition_id.is_not(None))
            .group_by(model.disposition_id)
        )
        for disposition_id, n in session.execute(stmt):
            if disposition_id is not None:
                usage[disposition_id] = usage.get(disposition_id, 0) + int(n)
    return usage


__all__ = [
    "StatusLink",
    "disposition_usage",
    "flag_status_missing",
    "put_status_link",
    "status_links",
]
