"""The one-time operations' tables, registered on the store's MetaData so ``create_all`` has them.

* ``operations``: one row per operation an admin started: kind, parameters, who, status,
  progress, the resume cursor, result counts and errors. ``active_kind`` equals ``kind`` while the
  operation is queued or running and is NULL otherwise; the unique key on
  ``(account_id, active_kind)`` is the guard that lets one kind run only once at a time per
  account, on SQLite and Postgres alike (NULLs never collide).
* ``operation_items``: what an operation did to each item (a user mapping, a disposition), so
  a resumed operation still reports everything and the admin can read why.
* ``users_sync_runs``: the result of every "sync users", newest first (the time of the last sync).
* ``lead_status_links``: which Salesforce lead status a disposition mirrors, matched by the
  status id, and since when the status is missing from Salesforce (the "kept and flagged" state of
  a disposition still in use).

The user mapping itself is the sync engine's ``user_mappings`` table (``store/sync_tables.py``).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from ringsync.store.tables import Base
from ringsync.store.types import UTCDateTime, json_type

_META = Base.metadata
KIND_LENGTH = 32


def _account(*, primary_key: bool = False) -> Column[int]:
    return Column(
        "account_id",
        Integer,
        ForeignKey("accounts.id", ondelete="CASCADE"),
        nullable=False,
        primary_key=primary_key,
    )


operations = Table(
    "operations",
    _META,
    Column("id", Integer, primary_key=True),
    _account(),
    Column("kind", String(KIND_LENGTH), nullable=False),
    Column("params", json_type(), nullable=False),
    Column("started_by", Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("status", String(16), nullable=False),
    Column("active_kind", String(KIND_LENGTH), nullable=True),
    Column("progress_done", Integer, nullable=False),
    Column("progress_total", Integer, nullable=True),
    Column("cursor", json_type(), nullable=True),
    Column("counts", json_type(), nullable=False),
    Column("errors", json_type(), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("cancel_requested", Boolean, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("started_at", UTCDateTime(), nullable=True),
    Column("finished_at", UTCDateTime(), nullable=True),
    UniqueConstraint("account_id", "active_kind"),
    Index("ix_operations_account_kind_id", "account_id", "kind", "id"),
)

operation_items = Table(
    "operation_items",
    _META,
    Column("id", Integer, primary_key=True),
    _account(),
    Column(
        "operation_id",
        Integer,
        ForeignKey("operations.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("action", String(32), nullable=False),
    Column("target", String(64), nullable=False),
    Column("label", String(320), nullable=False),
    Column("reason", Text, nullable=False),
    Column("detail", json_type(), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Index("ix_operation_items_account_operation", "account_id", "operation_id", "id"),
)

users_sync_runs = Table(
    "users_sync_runs",
    _META,
    Column("id", Integer, primary_key=True),
    _account(),
    Column(
        "operation_id",
        Integer,
        ForeignKey("operations.id", ondelete="SET NULL"),
        nullable=True,
    ),
    Column("at", UTCDateTime(), nullable=False),
    Column("result", json_type(), nullable=False),
    Index("ix_users_sync_runs_account_at", "account_id", "at"),
)

lead_status_links = Table(
    "lead_status_links",
    _META,
    _account(primary_key=True),
    Column(
        "disposition_id",
        Integer,
        ForeignKey("dispositions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("salesforce_status_id", String(18), nullable=False),
    Column("api_name", String(255), nullable=False),
    Column("missing_since", UTCDateTime(), nullable=True),
    Column("synced_at", UTCDateTime(), nullable=False),
    UniqueConstraint("account_id", "salesforce_status_id"),
)

OPERATION_TABLES: tuple[Table, ...] = (
    operations,
    operation_items,
    users_sync_runs,
    lead_status_links,
)

__all__ = [
    "KIND_LENGTH",
    "OPERATION_TABLES",
    "lead_status_links",
    "operation_items",
    "operations",
    "users_sync_runs",
]
