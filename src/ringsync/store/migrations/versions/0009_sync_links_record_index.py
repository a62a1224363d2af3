"""Index sync_links by (account_id, record_id).

Inbound batches look links up by Salesforce record id without the object; the unique
(account_id, sobject, record_id) index cannot serve that, so each lookup scanned every link of
the account and a large pull slowed down as it went.

Revision ID: 0009_sync_links_record_index
Revises: 0008_sync_in_flight
Create Date: 2026-11-23 19:40:00
"""

from __future__ import annotations

from alembic import op

revision: str = "0009_sync_links_record_index"
down_revision: str | None = "0008_sync_in_flight"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_index(
        "ix_sync_links_account_record", "sync_links", ["account_id", "record_id"], unique=False
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_sync_links_account_record", table_name="sync_links")
