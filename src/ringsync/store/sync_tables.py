"""The sync engine's tables, registered on the store's MetaData so ``create_all`` includes them.

* ``sync_links`` pairs one contact with one Salesforce record and keeps the base (the last
  synced values, typed JSON) and the fingerprint of the record as last read;
* ``sync_cursors`` is the inbound high-water mark per object, with the ids already applied at
  the cursor's exact SystemModstamp (boundary de-duplication);
* ``sync_runs`` and ``sync_log`` let the admin see what every run did to every record;
* ``sync_failed_records`` keeps each record Salesforce refused, listable and retryable;
* ``sync_pending_creates`` reserves a phone number while its Salesforce create is in flight;
* ``sync_in_flight`` keeps, per contact, the values of writes whose outcome is unknown (the
  response was lost), so the next read can tell our own write coming back from a Salesforce edit;
* ``sync_read_marks`` says when (by our clock) each object's last inbound read started, so a
  read can bound the stamps of edits made since even when Salesforce's clock was set back;
* ``user_mappings`` pairs our users with Salesforce users (owners).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
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


def _account(*, primary_key: bool = False) -> Column[int]:
    return Column(
        "account_id",
        Integer,
        ForeignKey("accounts.id", ondelete="CASCADE"),
        nullable=False,
        primary_key=primary_key,
    )


def _contact(*, nullable: bool) -> Column[int]:
    return Column(
        "contact_id",
        Integer,
        ForeignKey("contacts.id", ondelete="CASCADE"),
        nullable=nullable,
    )


sync_links = Table(
    "sync_links",
    _META,
    Column("id", Integer, primary_key=True),
    _account(),
    _contact(nullable=False),
    Column("sobject", String(16), nullable=False),
    Column("record_id", String(18), nullable=False),
    Column("base", json_type(), nullable=False),
    Column("fingerprint", String(32), nullable=True),
    Column("linked_at", UTCDateTime(), nullable=False),
    Column("last_synced_at", UTCDateTime(), nullable=False),
    UniqueConstraint("account_id", "sobject", "record_id"),
    UniqueConstraint("account_id", "contact_id"),
    # Record ids are unique across objects: lookups by record id alone (every inbound batch)
    # need their own index, or they scan all of the account's links.
    Index("ix_sync_links_account_record", "account_id", "record_id"),
)

sync_cursors = Table(
    "sync_cursors",
    _META,
    _account(primary_key=True),
    Column("sobject", String(16), primary_key=True),
    Column("modstamp", UTCDateTime(), nullable=True),
    Column("boundary_ids", json_type(), nullable=False),
    Column("deleted_until", UTCDateTime(), nullable=True),
    Column("updated_at", UTCDateTime(), nullable=False),
)

sync_runs = Table(
    "sync_runs",
    _META,
    Column("id", Integer, primary_key=True),
    _account(),
    Column("direction", String(8), nullable=False),
    Column("sobject", String(16), nullable=True),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime(), nullable=True),
    Column("status", String(16), nullable=False),
    Column("totals", json_type(), nullable=False),
    Column("error", Text, nullable=True),
    # The fencing token of the runner's account lease the run started under (None: no runner).
    Column("lease_token", BigInteger, nullable=True),
    Index("ix_sync_runs_account_started", "account_id", "started_at"),
)

sync_log = Table(
    "sync_log",
    _META,
    Column("id", Integer, primary_key=True),
    Column("run_id", Integer, ForeignKey("sync_runs.id", ondelete="CASCADE"), nullable=True),
    _account(),
    Column("direction", String(8), nullable=False),
    Column("sobject", String(16), nullable=True),
    Column("record_id", String(18), nullable=True),
    Column("contact_id", Integer, nullable=True),
    Column("action", String(16), nullable=False),
    Column("reason", Text, nullable=False),
    Column("fields", json_type(), nullable=False),
    Column("error_code", String(80), nullable=True),
    Column("error_message", Text, nullable=True),
    Column("at", UTCDateTime(), nullable=False),
    Index("ix_sync_log_account_at", "account_id", "at"),
    Index("ix_sync_log_account_record", "account_id", "record_id"),
    Index("ix_sync_log_account_contact", "account_id", "contact_id"),
)

sync_failed_records = Table(
    "sync_failed_records",
    _META,
    Column("id", Integer, primary_key=True),
    _account(),
    _contact(nullable=True),
    Column("sobject", String(16), nullable=False),
    Column("record_id", String(18), nullable=True),
    Column("operation", String(16), nullable=False),
    Column("payload", json_type(), nullable=False),
    Column("error_code", String(80), nullable=True),
    Column("message", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("first_seen_at", UTCDateTime(), nullable=False),
    Column("last_seen_at", UTCDateTime(), nullable=False),
    Column("status", String(16), nullable=False),
    Index("ix_sync_failed_records_account_status", "account_id", "status"),
    Index("ix_sync_failed_records_account_contact", "account_id", "contact_id"),
)

sync_pending_creates = Table(
    "sync_pending_creates",
    _META,
    Column("id", Integer, primary_key=True),
    _account(),
    Column("e164", String(16), nullable=False),
    Column("sobject", String(16), nullable=False),
    Column("contact_id", Integer, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("record_id", String(18), nullable=True),
    UniqueConstraint("account_id", "e164"),
)

sync_in_flight = Table(
    "sync_in_flight",
    _META,
    _account(primary_key=True),
    Column(
        "contact_id",
        Integer,
        ForeignKey("contacts.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("sent", json_type(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

sync_read_marks = Table(
    "sync_read_marks",
    _META,
    _account(primary_key=True),
    Column("sobject", String(16), primary_key=True),
    Column("read_at", UTCDateTime(), nullable=False),
)

user_mappings = Table(
    "user_mappings",
    _META,
    _account(primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("salesforce_user_id", String(18), nullable=False),
    Column("email", String(320), nullable=False),
    Column("mapped_at", UTCDateTime(), nullable=False),
    UniqueConstraint("account_id", "salesforce_user_id"),
)

SYNC_TABLES: tuple[Table, ...] = (
    sync_links,
    sync_cursors,
    sync_runs,
    sync_log,
    sync_failed_records,
    sync_pending_creates,
    sync_in_flight,
    sync_read_marks,
    user_mappings,
)

__all__ = [
    "SYNC_TABLES",
    "sync_cursors",
    "sync_failed_records",
    "sync_in_flight",
    "sync_links",
    "sync_log",
    "sync_pending_creates",
    "sync_read_marks",
    "sync_runs",
    "user_mappings",
]
