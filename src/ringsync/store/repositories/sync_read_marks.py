"""When (by our clock) each object's last inbound read started.

Salesforce stamps edits with its own clock. Knowing how long ago, by our clock, the last read
started bounds the stamps of every edit made since: Salesforce's time now minus that, even when
its clock was set back in between.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ringsync.store.repositories.dialect import upsert_insert
from ringsync.store.sync_tables import sync_read_marks

_T = sync_read_marks


def last_read_at(session: Session, account_id: int, sobject: str) -> datetime | None:
    """Return when the last read of ``sobject`` started, or None before the first one."""
    stmt = select(_T.c.read_at).where(_T.c.account_id == account_id, _T.c.sobject == sobject)
    found: datetime | None = session.execute(stmt).scalar_one_or_none()
    return found


def mark_read(session: Session, account_id: int, sobject: str, read_at: datetime) -> None:
    """Remember that a read of ``sobject`` started at ``read_at`` (call once it is applied)."""
    stmt = upsert_insert(session, _T).values(
        account_id=account_id, sobject=sobject, read_at=read_at
    )
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["account_id", "sobject"], set_={"read_at": read_at}
        )
    )


__all__ = ["last_read_at", "mark_read"]
