"""Add the one-time operations' tables: operations, items, users sync runs, lead status links.

Revision ID: 0004_operations
Revises: 0004_web_auth (chained after it: both were written as children of 0003_sync)
Create Date: 2026-11-23 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision: str = "0004_operations"
down_revision: str | None = "0004_web_auth"
branch_labels: str | None = None
depends_on: str | None = None


def _account_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["account_id"],
        ["accounts.id"],
        name=op.f(f"fk_{table}_account_id_accounts"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "operations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("params", JSON_TYPE, nullable=False),
        sa.Column("started_by", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("active_kind", sa.String(length=32), nullable=True),
        sa.Column("progress_done", sa.Integer(), nullable=False),
        sa.Column("progress_total", sa.Integer(), nullable=True),
        sa.Column("cursor", JSON_TYPE, nullable=True),
        sa.Column("counts", JSON_TYPE, nullable=False),
        sa.Column("errors", JSON_TYPE, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        _account_fk("operations"),
        sa.ForeignKeyConstraint(
            ["started_by"],
            ["users.id"],
            name=op.f("fk_operations_started_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operations")),
        sa.UniqueConstraint(
            "account_id", "active_kind", name=op.f("uq_operations_account_id_active_kind")
        ),
    )
    op.create_index(
        "ix_operations_account_kind_id", "operations", ["account_id", "kind", "id"], unique=False
    )
    op.create_table(
        "operation_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("operation_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=320), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("detail", JSON_TYPE, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        _account_fk("operation_items"),
        sa.ForeignKeyConstraint(
            ["operation_id"],
            ["operations.id"],
            name=op.f("fk_operation_items_operation_id_operations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operation_items")),
    )
    op.create_index(
        "ix_operation_items_account_operation",
        "operation_items",
        ["account_id", "operation_id", "id"],
        unique=False,
    )
    op.create_table(
        "users_sync_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("operation_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("result", JSON_TYPE, nullable=False),
        _account_fk("users_sync_runs"),
        sa.ForeignKeyConstraint(
            ["operation_id"],
            ["operations.id"],
            name=op.f("fk_users_sync_runs_operation_id_operations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users_sync_runs")),
    )
    op.create_index(
        "ix_users_sync_runs_account_at", "users_sync_runs", ["account_id", "at"], unique=False
    )
    op.create_table(
        "lead_status_links",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("disposition_id", sa.Integer(), nullable=False),
        sa.Column("salesforce_status_id", sa.String(length=18), nullable=False),
        sa.Column("api_name", sa.String(length=255), nullable=False),
        sa.Column("missing_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        _account_fk("lead_status_links"),
        sa.ForeignKeyConstraint(
            ["disposition_id"],
            ["dispositions.id"],
            name=op.f("fk_lead_status_links_disposition_id_dispositions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "disposition_id", name=op.f("pk_lead_status_links")),
        sa.UniqueConstraint(
            "account_id",
            "salesforce_status_id",
            name=op.f("uq_lead_status_links_account_id_salesforce_status_id"),
        ),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("lead_status_links")
    op.drop_index("ix_users_sync_runs_account_at", table_name="users_sync_runs")
    op.drop_table("users_sync_runs")
    op.drop_index("ix_operation_items_account_operation", table_name="operation_items")
    op.drop_table("operation_items")
    op.drop_index("ix_operations_account_kind_id", table_name="operations")
    op.drop_table("operations")
