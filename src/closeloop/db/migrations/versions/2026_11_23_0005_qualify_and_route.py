"""qualify and route

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 06:35:15.762388
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import closeloop.db.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=60), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", closeloop.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("dispatched_at", closeloop.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_events")),
    )
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_events_lead_id"), ["lead_id"], unique=False)
        batch_op.create_index(
            "ix_outbox_events_pending",
            ["id"],
            unique=False,
            sqlite_where=sa.text("dispatched_at IS NULL"),
            postgresql_where=sa.text("dispatched_at IS NULL"),
        )

    op.create_table(
        "scoring_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("algorithm", sa.String(length=60), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("features", sa.JSON(), nullable=False),
        sa.Column("artifact", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", closeloop.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", closeloop.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scoring_models")),
        sa.UniqueConstraint("version", name=op.f("uq_scoring_models_version")),
    )
    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=1000), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", closeloop.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", closeloop.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_subscriptions")),
    )
    op.create_table(
        "event_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("target", sa.String(length=1000), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("delivered_at", closeloop.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", closeloop.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", closeloop.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["outbox_events.id"],
            name=op.f("fk_event_deliveries_event_id_outbox_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_deliveries")),
        sa.UniqueConstraint(
            "event_id",
            "channel",
            "target",
            name=op.f("uq_event_deliveries_event_id_channel_target"),
        ),
    )
    op.create_table(
        "routing_cursors",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_routing_cursors_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("team_id", name=op.f("pk_routing_cursors")),
    )
    op.create_table(
        "rule_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("source_text", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", closeloop.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", closeloop.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_rule_sets_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_sets")),
        sa.UniqueConstraint("kind", "version", name=op.f("uq_rule_sets_kind_version")),
    )
    op.create_table(
        "lead_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("decided_at", closeloop.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("rule", sa.String(length=200), nullable=True),
        sa.Column("rule_version", sa.Integer(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_lead_decisions_actor_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["leads.id"],
            name=op.f("fk_lead_decisions_lead_id_leads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_decisions")),
    )
    with op.batch_alter_table("lead_decisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lead_decisions_lead_id"), ["lead_id"], unique=False)

    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("fit_score", sa.SmallInteger(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("engagement_score", sa.SmallInteger(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("score_version", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("score_factors", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("scored_at", closeloop.db.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("predicted_conversion", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("model_version", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("team_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "last_activity_at", closeloop.db.types.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column(
                "pool_entered_at", closeloop.db.types.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(sa.Column("sla_kind", sa.String(length=20), nullable=True))
        batch_op.add_column(
            sa.Column("sla_due_at", closeloop.db.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("sla_level", sa.SmallInteger(), server_default="0", nullable=False)
        )
        batch_op.create_index(
            "ix_leads_sla_due",
            ["sla_due_at"],
            unique=False,
            sqlite_where=sa.text("sla_due_at IS NOT NULL"),
            postgresql_where=sa.text("sla_due_at IS NOT NULL"),
        )
        batch_op.create_index("ix_leads_status_score", ["status", "score"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_leads_team_id_teams"), "teams", ["team_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_leads_team_id_teams"), type_="foreignkey")
        batch_op.drop_index("ix_leads_status_score")
        batch_op.drop_index(
            "ix_leads_sla_due",
            sqlite_where=sa.text("sla_due_at IS NOT NULL"),
            postgresql_where=sa.text("sla_due_at IS NOT NULL"),
        )
        batch_op.drop_column("sla_level")
        batch_op.drop_column("sla_due_at")
        batch_op.drop_column("sla_kind")
        batch_op.drop_column("pool_entered_at")
        batch_op.drop_column("last_activity_at")
        batch_op.drop_column("team_id")
        batch_op.drop_column("model_version")
        batch_op.drop_column("predicted_conversion")
        batch_op.drop_column("scored_at")
        batch_op.drop_column("score_factors")
        batch_op.drop_column("score_version")
        batch_op.drop_column("engagement_score")
        batch_op.drop_column("fit_score")

    with op.batch_alter_table("lead_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lead_decisions_lead_id"))

    op.drop_table("lead_decisions")
    op.drop_table("rule_sets")
    op.drop_table("routing_cursors")
    op.drop_table("event_deliveries")
    op.drop_table("webhook_subscriptions")
    op.drop_table("scoring_models")
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_outbox_events_pending",
            sqlite_where=sa.text("dispatched_at IS NULL"),
            postgresql_where=sa.text("dispatched_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_outbox_events_lead_id"))

    op.drop_table("outbox_events")
