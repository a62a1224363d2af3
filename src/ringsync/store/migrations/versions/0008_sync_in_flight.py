"""Add sync_in_flight (values of writes whose response was lost) and sync_read_marks.

``sync_read_marks`` holds when (by our clock) each object's last inbound read started.

Revision ID: 0008_sync_in_flight
Revises: 0007_run_lease_token
Create Date: 2026-11-23 16:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision: str = "0008_sync_in_flight"
down_revision: str | None = "0007_run_lease_token"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "sync_in_flight",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("sent", JSON_TYPE, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_sync_in_flight_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_sync_in_flight_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "contact_id", name=op.f("pk_sync_in_flight")),
    )
    op.create_table(
        "sync_read_marks",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("sobject", sa.String(length=16), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_sync_read_marks_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "sobject", name=op.f("pk_sync_read_marks")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("sync_read_marks")
    op.drop_table("sync_in_flight")
