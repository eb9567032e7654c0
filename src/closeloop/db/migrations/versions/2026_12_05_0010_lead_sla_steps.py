"""the breach steps of running SLA clocks in their own table

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 21:10:00

An SLA step (notify the rep, escalate to the manager) used to rewrite the lead row: its level and
next due time were columns of ``leads``, and ``sla_due_at`` is indexed, so every step wrote a new
version of the wide row and an entry in each of its 16 indexes (94 µs a step on the million-lead
demo). The level and the next step's time move to ``lead_sla_steps`` (one narrow row per running
clock, two indexes); ``leads.sla_due_at`` keeps the clock's deadline, which no longer moves when a
breach goes a step further. Clocks already past their deadline get it back from their
``sla_notified`` decision. A clock on a lead nobody owns, or that is no longer open, is no clock:
the sweep would have dropped it, and it is dropped here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import closeloop.db.types

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

OPEN = "('new', 'working', 'mql', 'sal', 'nurture', 'pool')"
RUNNING = "sla_due_at IS NOT NULL"


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "lead_sla_steps",
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("step_at", closeloop.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["leads.id"],
            name=op.f("fk_lead_sla_steps_lead_id_leads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("lead_id", name=op.f("pk_lead_sla_steps")),
    )
    op.create_index(op.f("ix_lead_sla_steps_step_at"), "lead_sla_steps", ["step_at"])
    op.execute(
        f"UPDATE leads SET sla_kind = NULL, sla_due_at = NULL "
        f"WHERE {RUNNING} AND (owner_id IS NULL OR status NOT IN {OPEN})"
    )
    op.execute(
        "INSERT INTO lead_sla_steps (lead_id, level, step_at) "
        f"SELECT id, sla_level, sla_due_at FROM leads WHERE {RUNNING}"
    )
    # A breached clock's sla_due_at was its next step's time; its deadline is in the decision
    # that notified the rep (the newest, if the clock ran more than once).
    if postgresql:
        op.execute(
            "UPDATE leads SET sla_due_at = d.deadline "
            "FROM (SELECT DISTINCT ON (lead_id) lead_id, "
            "CAST(detail ->> 'deadline' AS timestamptz) AS deadline FROM lead_decisions "
            "WHERE kind = 'sla_notified' ORDER BY lead_id, decided_at DESC, id DESC) AS d "
            "WHERE leads.id = d.lead_id AND leads.sla_level > 0 AND d.deadline IS NOT NULL"
        )
    else:
        op.execute(
            "UPDATE leads SET sla_due_at = COALESCE(("
            # ISO 8601 in UTC ("…T07:00:00+00:00") → SQLite's stored form ("… 07:00:00")
            "SELECT replace(substr(d.detail ->> '$.deadline', 1, "
            "length(d.detail ->> '$.deadline') - 6), 'T', ' ') "
            "FROM lead_decisions AS d WHERE d.lead_id = leads.id AND d.kind = 'sla_notified' "
            "ORDER BY d.decided_at DESC, d.id DESC LIMIT 1), sla_due_at) "
            f"WHERE {RUNNING} AND sla_level > 0"
        )
    op.drop_index("ix_leads_sla_due", table_name="leads")
    # Both databases drop a column in place (SQLite since 3.35): no copy of the table, whose
    # expression indexes a batch copy would not carry over.
    op.execute("ALTER TABLE leads DROP COLUMN sla_level")
    op.execute("ANALYZE lead_sla_steps")


def downgrade() -> None:
    op.add_column(
        "leads", sa.Column("sla_level", sa.SmallInteger(), server_default="0", nullable=False)
    )
    op.execute(
        "UPDATE leads SET sla_level = s.level, sla_due_at = s.step_at "
        "FROM lead_sla_steps AS s WHERE leads.id = s.lead_id"
    )
    op.create_index(
        "ix_leads_sla_due",
        "leads",
        ["sla_due_at"],
        sqlite_where=sa.text(RUNNING),
        postgresql_where=sa.text(RUNNING),
    )
    op.drop_index(op.f("ix_lead_sla_steps_step_at"), table_name="lead_sla_steps")
    op.drop_table("lead_sla_steps")
