"""partial source key index

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 06:55:00

Leads without a source key (entered by hand, generated) made SQLite's statistics say one key
matches every such row, and it scanned the table for each import batch.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

CAPTURED = sa.text("source_key IS NOT NULL")


def upgrade() -> None:
    op.drop_index("ix_leads_source_key", table_name="leads")
    op.create_index(
        "ix_leads_source_key",
        "leads",
        ["source_key"],
        unique=True,
        sqlite_where=CAPTURED,
        postgresql_where=CAPTURED,
    )
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ANALYZE leads")


def downgrade() -> None:
    op.drop_index("ix_leads_source_key", table_name="leads")
    op.create_index("ix_leads_source_key", "leads", ["source_key"], unique=True)
