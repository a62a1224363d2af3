"""Pending "Connect Salesforce" sign-ins: one-time OAuth ``state`` values and their PKCE verifiers.

A row lives from the moment an admin starts the authorization-code flow until the callback
takes it (or it expires). Only the SHA-256 digest of the ``state`` is stored, bound to the
digest of the admin's session; the PKCE verifier and any client secret are Fernet-encrypted.
Taking a row deletes it, so a replayed callback finds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
)
from sqlalchemy.orm import Session

from ringsync.store.tables import Base
from ringsync.store.types import UTCDateTime

DIGEST_LENGTH = 64

salesforce_oauth_states = Table(
    "salesforce_oauth_states",
    Base.metadata,
    Column("digest", String(DIGEST_LENGTH), primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("session_digest", String(DIGEST_LENGTH), nullable=False),
    Column("login_url", String(255), nullable=False),
    Column("client_id", String(255), nullable=False),
    Column("redirect_uri", String(500), nullable=False),
    Column("secrets", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Index("ix_salesforce_oauth_states_account_expires", "account_id", "expires_at"),
)


@dataclass(frozen=True)
class PendingAuthorization:
    """One started sign-in; ``secrets`` is the encrypted verifier (and client secret)."""

    digest: str
    account_id: int
    user_id: int
    session_digest: str
    login_url: str
    client_id: str
    redirect_uri: str
    secrets: str = field(repr=False)
    created_at: datetime
    expires_at: datetime


def add(session: Session, pending: PendingAuthorization) -> None:
    """Store a started sign-in."""
    session.execute(
        insert(salesforce_oauth_states).values(
            digest=pending.digest,
            account_id=pending.account_id,
            user_id=pending.user_id,
            session_digest=pending.session_digest,
            login_url=pending.login_url,
            client_id=pending.client_id,
            redirect_uri=pending.redirect_uri,
            secrets=pending.secrets,
            created_at=pending.created_at,
            expires_at=pending.expires_at,
        )
    )


def take(session: Session, digest: str) -> PendingAuthorization | None:
    """Return the sign-in stored under ``digest`` and delete it (a state works once)."""
    t = salesforce_oauth_states
    row = session.execute(select(t).where(t.c.digest == digest)).first()
    if row is None:
        return None
    session.execute(delete(t).where(t.c.digest == digest))
    m = row._mapping
    return PendingAuthorization(
        digest=m["digest"],
        account_id=int(m["account_id"]),
        user_id=int(m["user_id"]),
        session_digest=m["session_digest"],
        login_url=m["login_url"],
        client_id=m["client_id"],
        redirect_uri=m["redirect_uri"],
        secrets=m["secrets"],
        created_at=m["created_at"],
        expires_at=m["expires_at"],
    )


def purge(session: Session, account_id: int, now: datetime) -> int:
    """Delete the account's expired sign-ins; return how many went."""
    t = salesforce_oauth_states
    result = session.execute(delete(t).where(t.c.account_id == account_id, t.c.expires_at <= now))
    return int(result.rowcount)  # type: ignore[attr-defined]  # CursorResult


__all__ = ["PendingAuthorization", "add", "purge", "salesforce_oauth_states", "take"]
