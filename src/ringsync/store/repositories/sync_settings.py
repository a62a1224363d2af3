"""Saved versions and the working draft of an account's sync settings."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ringsync.store.tables import SyncSettingsDraft, SyncSettingsVersion


def latest(session: Session, account_id: int) -> SyncSettingsVersion | None:
    """Return the newest saved version (the one in force), or None."""
    stmt = (
        select(SyncSettingsVersion)
        .where(SyncSettingsVersion.account_id == account_id)
        .order_by(SyncSettingsVersion.number.desc())
        .limit(1)
    )
    return session.scalars(stmt).one_or_none()


def get_version(session: Session, account_id: int, number: int) -> SyncSettingsVersion | None:
    """Return saved version ``number``, or None."""
    stmt = select(SyncSettingsVersion).where(
        SyncSettingsVersion.account_id == account_id, SyncSettingsVersion.number == number
    )
    return session.scalars(stmt).one_or_none()


def versions(session: Session, account_id: int) -> list[SyncSettingsVersion]:
    """List every saved version, newest first."""
    stmt = (
        select(SyncSettingsVersion)
        .where(SyncSettingsVersion.account_id == account_id)
        .order_by(SyncSettingsVersion.number.desc())
    )
    return list(session.scalars(stmt))


def next_number(session: Session, account_id: int) -> int:
    """Return the number the next saved version gets."""
    stmt = select(func.max(SyncSettingsVersion.number)).where(
        SyncSettingsVersion.account_id == account_id
    )
    return int(session.scalar(stmt) or 0) + 1


def add_version(session: Session, version: SyncSettingsVersion) -> SyncSettingsVersion:
    """Insert a saved version."""
    session.add(version)
    session.flush()
    return version


def draft(session: Session, account_id: int) -> SyncSettingsDraft | None:
    """Return the account's unsaved draft, or None."""
    stmt = select(SyncSettingsDraft).where(SyncSettingsDraft.account_id == account_id)
    return session.scalars(stmt).one_or_none()


def put_draft(session: Session, draft_row: SyncSettingsDraft) -> SyncSettingsDraft:
    """Insert or replace the account's draft."""
    merged = session.merge(draft_row)
    session.flush()
    return merged


def drop_draft(session: Session, account_id: int) -> None:
    """Delete the account's draft if there is one."""
    existing = draft(session, account_id)
    if existing is not None:
        session.delete(existing)
        session.flush()
