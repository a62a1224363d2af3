"""Add salesforce_oauth_states: pending "Connect Salesforce" sign-ins (state digest, PKCE).

Revision ID: 0006_oauth_states
Revises: 0005_connections
Create Date: 2026-11-23 14:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006_oauth_states"
down_revision: str | None = "0005_connections"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "salesforce_oauth_states",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("session_digest", sa.String(length=64), nullable=False),
        sa.Column("login_url", sa.String(length=255), nullable=False),
        sa.Column("client_id", sa.String(length=255), nullable=False),
        sa.Column("redirect_uri", sa.String(length=500), nullable=False),
        sa.Column("secrets", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_salesforce_oauth_states_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_salesforce_oauth_states_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_salesforce_oauth_states")),
    )
    op.create_index(
        "ix_salesforce_oauth_states_account_expires",
        "salesforce_oauth_states",
        ["account_id", "expires_at"],
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index(
        "ix_salesforce_oauth_states_account_expires", table_name="salesforce_oauth_states"
    )
    op.drop_table("salesforce_oauth_states")
