"""The ``leases`` table, registered on the store's MetaData so ``create_all`` includes it.

One row per lease name (for example ``account:42:sync``). The row is never deleted: a release
clears ``holder`` and expires the lease, so ``token`` keeps growing across acquisitions and a
late writer holding an older token can always be told apart from the current holder.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, String, Table

from ringsync.store.tables import Base
from ringsync.store.types import UTCDateTime

KEY_LENGTH = 200
HOLDER_LENGTH = 200

leases = Table(
    "leases",
    Base.metadata,
    Column("key", String(KEY_LENGTH), primary_key=True),
    Column("holder", String(HOLDER_LENGTH), nullable=True),
    Column("token", BigInteger, nullable=False),
    Column("acquired_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
)

__all__ = ["HOLDER_LENGTH", "KEY_LENGTH", "leases"]
