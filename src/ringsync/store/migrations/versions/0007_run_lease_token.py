"""Add sync_runs.lease_token: the fencing token a run started under, to close a dead worker's runs.

Revision ID: 0007_run_lease_token
Revises: 0006_oauth_states
Create Date: 2026-11-23 14:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007_run_lease_token"
down_revision: str | None = "0006_oauth_states"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("sync_runs") as batch:
        batch.add_column(sa.Column("lease_token", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("sync_runs") as batch:
        batch.drop_column("lease_token")
