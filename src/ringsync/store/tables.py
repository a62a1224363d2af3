"""Table definitions (typed ORM); every row below an account carries ``account_id``.

Choices: custom property values live in one JSON column per contact (``custom_values``) checked
against ``custom_property_defs``; field provenance lives in a JSON column per contact
(``provenance``: property -> origin, written_at, previous) so a bulk upsert writes one row per
contact, not one per property. Tracking stats sit in a 1:1 table so counters can be updated
without rewriting the contact row. A contact's identity is (account, E.164 phone, extension) with
``""`` meaning "no extension".
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ringsync.store.types import OffsetDateTime, UTCDateTime, json_type

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Root of every ringsync table."""

    metadata = MetaData(naming_convention=NAMING)


def _account_fk() -> Mapped[int]:
    return mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False)


class Account(Base):
    """A tenant: one contact center with its own phone region and time zone."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    default_region: Mapped[str] = mapped_column(String(2), default="US")
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class User(Base):
    """An agent or admin of one account (or an extension/destination pseudo-user)."""

    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("account_id", "email"),
        Index("ix_users_account_status", "account_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = _account_fk()
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16), default="agent")
    status: Mapped[str] = mapped_column(String(16), default="active")
    kind: Mapped[str] = mapped_column(String(16), default="user")
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Disposition(Base):
    """A call outcome an agent picks; may mirror a Salesforce lead status."""

    __tablename__ = "dispositions"
    __table_args__ = (UniqueConstraint("account_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = _account_fk()
    name: Mapped[str] = mapped_column(String(80))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    is_converted: Mapped[bool] = mapped_column(Boolean, default=False)
    salesforce_status: Mapped[str | None] = mapped_column(String(255), nullable=True)


class CustomPropertyDef(Base):
    """A contact property an admin added, with the type its values must have."""

    __tablename__ = "custom_property_defs"
    __table_args__ = (UniqueConstraint("account_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = _account_fk()
    name: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200))
    value_type: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Contact(Base):
    """A person we can reach, keyed by phone identity within an account."""

    __tablename__ = "contacts"
    __table_args__ = (
        UniqueConstraint("account_id", "phone", "extension"),
        Index("ix_contacts_account_updated", "account_id", "updated_at"),
        Index("ix_contacts_account_owner", "account_id", "owner_user_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = _account_fk()
    phone: Mapped[str] = mapped_column(String(16))
    extension: Mapped[str] = mapped_column(String(10), default="")
    first_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    last_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    company: Mapped[str | None] = mapped_column(String(255), nullable=True)
    lead_source: Mapped[str | None] = mapped_column(String(255), nullable=True)
    city: Mapped[str | None] = mapped_column(String(255), nullable=True)
    state: Mapped[str | None] = mapped_column(String(255), nullable=True)
    country: Mapped[str | None] = mapped_column(String(255), nullable=True)
    zipcode: Mapped[str | None] = mapped_column(String(40), nullable=True)
    website: Mapped[str | None] = mapped_column(String(255), nullable=True)
    mobile_phone: Mapped[str | None] = mapped_column(String(40), nullable=True)
    fax: Mapped[str | None] = mapped_column(String(40), nullable=True)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    incoming_number: Mapped[str | None] = mapped_column(String(40), nullable=True)
    dnc: Mapped[bool] = mapped_column(Boolean, default=False)
    tcpa_approved: Mapped[bool] = mapped_column(Boolean, default=False)
    custom_field_1: Mapped[str | None] = mapped_column(String(255), nullable=True)
    custom_field_2: Mapped[str | None] = mapped_column(String(255), nullable=True)
    owner_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    disposition_id: Mapped[int | None] = mapped_column(
        ForeignKey("dispositions.id", ondelete="SET NULL"), nullable=True
    )
    custom_values: Mapped[dict[str, Any]] = mapped_column(json_type(), default=dict)
    provenance: Mapped[dict[str, Any]] = mapped_column(json_type(), default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)


class ContactStats(Base):
    """Tracking stats of one contact (1:1), plus the ordering keys of each "last" group."""

    __tablename__ = "contact_stats"
    __table_args__ = (Index("ix_contact_stats_account", "account_id"),)

    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[int] = _account_fk()
    last_inbound_text_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    last_outbound_text_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    last_inbound_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_outbound_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    total_inbound_texts: Mapped[int] = mapped_column(Integer, default=0)
    total_outbound_texts: Mapped[int] = mapped_column(Integer, default=0)
    last_inbound_call_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    last_outbound_call_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    total_inbound_calls: Mapped[int] = mapped_column(Integer, default=0)
    total_outbound_calls: Mapped[int] = mapped_column(Integer, default=0)
    last_inbound_call_time: Mapped[datetime | None] = mapped_column(OffsetDateTime(), nullable=True)
    last_outbound_call_time: Mapped[datetime | None] = mapped_column(
        OffsetDateTime(), nullable=True
    )
    last_inbound_message_time: Mapped[datetime | None] = mapped_column(
        OffsetDateTime(), nullable=True
    )
    last_outbound_message_time: Mapped[datetime | None] = mapped_column(
        OffsetDateTime(), nullable=True
    )
    last_call_disposition: Mapped[str | None] = mapped_column(String(80), nullable=True)
    last_inbound_call_disposition: Mapped[str | None] = mapped_column(String(80), nullable=True)
    last_outbound_call_disposition: Mapped[str | None] = mapped_column(String(80), nullable=True)
    last_engagement_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_inbound_engagement_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), nullable=True
    )
    last_outbound_engagement_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), nullable=True
    )
    keys: Mapped[dict[str, str]] = mapped_column(json_type(), default=dict)


class Activity(Base):
    """A call or text; ``external_id`` makes re-delivered events harmless."""

    __tablename__ = "activities"
    __table_args__ = (
        UniqueConstraint("account_id", "external_id"),
        Index("ix_activities_account_contact_time", "account_id", "contact_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = _account_fk()
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))
    direction: Mapped[str] = mapped_column(String(8))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    utc_offset_minutes: Mapped[int] = mapped_column(Integer, default=0)
    duration_seconds: Mapped[int] = mapped_column(Integer, default=0)
    body: Mapped[str | None] = mapped_column(Text, nullable=True)
    disposition_id: Mapped[int | None] = mapped_column(
        ForeignKey("dispositions.id", ondelete="SET NULL"), nullable=True
    )
    external_id: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OutboxEntry(Base):
    """A change on our side waiting to reach Salesforce, written in the change's transaction."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_account_status_id", "account_id", "status", "id"),
        Index("ix_outbox_account_contact", "account_id", "contact_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = _account_fk()
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    fields: Mapped[list[str]] = mapped_column(json_type())
    origin: Mapped[str] = mapped_column(String(16), default="ringsync")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class ContactList(Base):
    """A named group of contacts (imported from Salesforce or built by hand)."""

    __tablename__ = "contact_lists"
    __table_args__ = (UniqueConstraint("account_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = _account_fk()
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ContactListMember(Base):
    """Membership of one contact in one list."""

    __tablename__ = "contact_list_members"
    __table_args__ = (Index("ix_contact_list_members_account_contact", "account_id", "contact_id"),)

    list_id: Mapped[int] = mapped_column(
        ForeignKey("contact_lists.id", ondelete="CASCADE"), primary_key=True
    )
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[int] = _account_fk()
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SyncSettingsVersion(Base):
    """One saved version of an account's sync settings (kept forever, restorable)."""

    __tablename__ = "sync_settings_versions"
    __table_args__ = (UniqueConstraint("account_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = _account_fk()
    number: Mapped[int] = mapped_column(Integer)
    saved_by: Mapped[str] = mapped_column(String(320))
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime())
    data: Mapped[dict[str, Any]] = mapped_column(json_type())


class SyncSettingsDraft(Base):
    """The settings an admin is editing; never applied until saved."""

    __tablename__ = "sync_settings_drafts"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    data: Mapped[dict[str, Any]] = mapped_column(json_type())
    based_on: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_by: Mapped[str] = mapped_column(String(320))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


ACCOUNT_SCOPED_TABLES: tuple[str, ...] = tuple(
    name for name, table in Base.metadata.tables.items() if "account_id" in table.c
)


def table_of(model: type[Base]) -> Table:
    """Return the Core table behind a mapped class (for bulk Core statements)."""
    result = model.__table__
    if not isinstance(result, Table):  # pragma: no cover - every model here maps a Table
        raise TypeError(f"{model.__name__} is not mapped to a table")
    return result
