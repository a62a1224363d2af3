"""Tables for signed-in browser sessions and API tokens, registered on the store's MetaData.

Both keep only a SHA-256 digest of the secret the client holds: a stolen database copy cannot
be replayed. SHA-256 rather than argon2 is deliberate: these secrets are 32 random bytes, so no
dictionary or brute-force attack applies and a slow hash would only cost time on every request.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table

from ringsync.store.tables import Base
from ringsync.store.types import UTCDateTime

DIGEST_LENGTH = 64

web_sessions = Table(
    "web_sessions",
    Base.metadata,
    Column("digest", String(DIGEST_LENGTH), primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Index("ix_web_sessions_account_user", "account_id", "user_id"),
)

api_tokens = Table(
    "api_tokens",
    Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("digest", String(DIGEST_LENGTH), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),
    Column("created_by", Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime(), nullable=True),
    Index("ix_api_tokens_account_id", "account_id", "id"),
)

__all__ = ["DIGEST_LENGTH", "api_tokens", "web_sessions"]
