"""Add the sync engine's tables: links, cursors, runs, sync log, failed records, pending creates.

Also ``user_mappings`` (our users paired with Salesforce owners).

Revision ID: 0003_sync
Revises: 0002_leases
Create Date: 2026-11-23 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision: str = "0003_sync"
down_revision: str | None = "0002_leases"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "sync_cursors",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("sobject", sa.String(length=16), nullable=False),
        sa.Column("modstamp", sa.DateTime(timezone=True), nullable=True),
        sa.Column("boundary_ids", JSON_TYPE, nullable=False),
        sa.Column("deleted_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_sync_cursors_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "sobject", name=op.f("pk_sync_cursors")),
    )
    op.create_table(
        "sync_pending_creates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("e164", sa.String(length=16), nullable=False),
        sa.Column("sobject", sa.String(length=16), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("record_id", sa.String(length=18), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_sync_pending_creates_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_pending_creates")),
        sa.UniqueConstraint(
            "account_id", "e164", name=op.f("uq_sync_pending_creates_account_id_e164")
        ),
    )
    op.create_table(
        "sync_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("sobject", sa.String(length=16), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("totals", JSON_TYPE, nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_sync_runs_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_runs")),
    )
    op.create_index(
        "ix_sync_runs_account_started", "sync_runs", ["account_id", "started_at"], unique=False
    )
    op.create_table(
        "sync_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("sobject", sa.String(length=16), nullable=True),
        sa.Column("record_id", sa.String(length=18), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("fields", JSON_TYPE, nullable=False),
        sa.Column("error_code", sa.String(length=80), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_sync_log_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["sync_runs.id"],
            name=op.f("fk_sync_log_run_id_sync_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_log")),
    )
    op.create_index("ix_sync_log_account_at", "sync_log", ["account_id", "at"], unique=False)
    op.create_index(
        "ix_sync_log_account_contact", "sync_log", ["account_id", "contact_id"], unique=False
    )
    op.create_index(
        "ix_sync_log_account_record", "sync_log", ["account_id", "record_id"], unique=False
    )
    op.create_table(
        "user_mappings",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("salesforce_user_id", sa.String(length=18), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("mapped_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_user_mappings_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_mappings_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "user_id", name=op.f("pk_user_mappings")),
        sa.UniqueConstraint(
            "account_id",
            "salesforce_user_id",
            name=op.f("uq_user_mappings_account_id_salesforce_user_id"),
        ),
    )
    op.create_table(
        "sync_failed_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("sobject", sa.String(length=16), nullable=False),
        sa.Column("record_id", sa.String(length=18), nullable=True),
        sa.Column("operation", sa.String(length=16), nullable=False),
        sa.Column("payload", JSON_TYPE, nullable=False),
        sa.Column("error_code", sa.String(length=80), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_sync_failed_records_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_sync_failed_records_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_failed_records")),
    )
    op.create_index(
        "ix_sync_failed_records_account_contact",
        "sync_failed_records",
        ["account_id", "contact_id"],
        unique=False,
    )
    op.create_index(
        "ix_sync_failed_records_account_status",
        "sync_failed_records",
        ["account_id", "status"],
        unique=False,
    )
    op.create_table(
        "sync_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("sobject", sa.String(length=16), nullable=False),
        sa.Column("record_id", sa.String(length=18), nullable=False),
        sa.Column("base", JSON_TYPE, nullable=False),
        sa.Column("fingerprint", sa.String(length=32), nullable=True),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_sync_links_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_sync_links_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_links")),
        sa.UniqueConstraint(
            "account_id", "contact_id", name=op.f("uq_sync_links_account_id_contact_id")
        ),
        sa.UniqueConstraint(
            "account_id",
            "sobject",
            "record_id",
            name=op.f("uq_sync_links_account_id_sobject_record_id"),
        ),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("sync_links")
    op.drop_index("ix_sync_failed_records_account_status", table_name="sync_failed_records")
    op.drop_index("ix_sync_failed_records_account_contact", table_name="sync_failed_records")
    op.drop_table("sync_failed_records")
    op.drop_table("user_mappings")
    op.drop_index("ix_sync_log_account_record", table_name="sync_log")
    op.drop_index("ix_sync_log_account_contact", table_name="sync_log")
    op.drop_index("ix_sync_log_account_at", table_name="sync_log")
    op.drop_table("sync_log")
    op.drop_index("ix_sync_runs_account_started", table_name="sync_runs")
    op.drop_table("sync_runs")
    op.drop_table("sync_pending_creates")
    op.drop_table("sync_cursors")
