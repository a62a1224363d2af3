"""The ``salesforce_connections`` table: how each account reaches its Salesforce org.

One row per account. Everything secret (client secret, JWT private key, password, refresh and
access tokens) sits in ``credentials``, one Fernet token of a JSON object encrypted with
``TokenCipher``, so a copied database or backup leaks no credential. The rest (method, login
URL, client id, username, instance URL, state) is plain so ``ringsync status`` can show it
without the encryption keys.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text

from ringsync.store.tables import Base
from ringsync.store.types import UTCDateTime

salesforce_connections = Table(
    "salesforce_connections",
    Base.metadata,
    Column(
        "account_id",
        Integer,
        ForeignKey("accounts.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("method", String(24), nullable=False),
    Column("login_url", String(255), nullable=False),
    Column("client_id", String(255), nullable=False),
    Column("username", String(255), nullable=True),
    Column("instance_url", String(255), nullable=True),
    Column("credentials", Text, nullable=False),
    Column("state", String(16), nullable=False),
    Column("last_error", Text, nullable=True),
    Column("connected_at", UTCDateTime(), nullable=False),
    Column("checked_at", UTCDateTime(), nullable=True),
)

CONNECTION_TABLES: tuple[Table, ...] = (salesforce_connections,)

__all__ = ["CONNECTION_TABLES", "salesforce_connections"]
