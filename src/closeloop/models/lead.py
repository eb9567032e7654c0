"""Leads, their states and the history of every state change."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, SmallInteger, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from closeloop.db.base import Base, Timestamped
from closeloop.db.types import key_string


class LeadStatus(StrEnum):
    NEW = "new"
    WORKING = "working"
    MQL = "mql"
    SAL = "sal"
    SQL = "sql"
    NURTURE = "nurture"
    POOL = "pool"
    DISQUALIFIED = "disqualified"
    MERGED = "merged"


class DisqualifyReason(StrEnum):
    INVALID = "invalid"
    SPAM = "spam"
    UNREACHABLE = "unreachable"
    DUPLICATE = "duplicate"
    NO_BUDGET = "no_budget"
    NO_NEED = "no_need"
    COMPETITOR = "competitor"
    NOT_DECISION_MAKER = "not_decision_maker"


# A lead disqualified for one of these never was a valid lead (PRODUCT.md: "valid lead").
INVALID_REASONS = (DisqualifyReason.INVALID, DisqualifyReason.SPAM, DisqualifyReason.UNREACHABLE)


# The partial index's predicate; analytics/cohort.py asks exactly this, so that it is used.
REACHED_MQL_OR_LATER = text("mql_at IS NOT NULL OR sal_at IS NOT NULL OR sql_at IS NOT NULL")
# Indexes on a rep's or an account's leads leave out the leads without one: an import's new
# leads and the public pool, most of the table, cost those indexes nothing.
OWNED = text("owner_id IS NOT NULL")
OF_AN_ACCOUNT = text("account_id IS NOT NULL")


class Lead(Timestamped, Base):
    __tablename__ = "leads"
    __table_args__ = (
        # The cohort reports read only these columns: the index covers them, and leading with
        # the source path lets them group while scanning (see analytics/cohort.py).
        Index(
            "ix_leads_cohort",
            "channel_id",
            "campaign_id",
            "content_id",
            "created_at",
            "status",
            "disqualified_reason",
            "mql_at",
            "sal_at",
            "sql_at",
        ),
        # The leads that got past valid (about a third): funnel times and deals read only these.
        Index(
            "ix_leads_reached",
            "channel_id",
            "campaign_id",
            "content_id",
            "created_at",
            "mql_at",
            "sal_at",
            "sql_at",
            "id",
            sqlite_where=REACHED_MQL_OR_LATER,
            postgresql_where=REACHED_MQL_OR_LATER,
        ),
        Index(
            "ix_leads_owner_status",
            "owner_id",
            "status",
            sqlite_where=OWNED,
            postgresql_where=OWNED,
        ),
        # Only captured records have a source key; leaving the rest out keeps the index small and
        # keeps SQLite's planner from mistaking one key for a million rows (all NULL).
        Index(
            "ix_leads_source_key",
            "source_key",
            unique=True,
            sqlite_where=text("source_key IS NOT NULL"),
            postgresql_where=text("source_key IS NOT NULL"),
        ),
        # The public pool and the inbox list by score.
        Index("ix_leads_status_score", "status", "score"),
        # Lists of the web app and the API: newest first, best score first, one owner's leads
        # by date, an account's leads (the 360°).
        Index("ix_leads_created_at_id", "created_at", "id"),
        Index("ix_leads_score_id", "score", "id"),
        Index(
            "ix_leads_owner_created",
            "owner_id",
            "created_at",
            sqlite_where=OWNED,
            postgresql_where=OWNED,
        ),
        Index(
            "ix_leads_account_id",
            "account_id",
            sqlite_where=OF_AN_ACCOUNT,
            postgresql_where=OF_AN_ACCOUNT,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(200))
    # Identifies the captured record (a file row or a form post): capturing it again is a no-op.
    source_key: Mapped[str | None] = mapped_column(key_string(64))
    full_name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(key_string(254), index=True)
    phone: Mapped[str | None] = mapped_column(key_string(32), index=True)
    company: Mapped[str | None] = mapped_column(String(200))
    company_key: Mapped[str | None] = mapped_column(key_string(200), index=True)
    title: Mapped[str | None] = mapped_column(String(200))
    industry: Mapped[str | None] = mapped_column(String(60))
    company_size: Mapped[int | None]
    region: Mapped[str | None] = mapped_column(String(2))
    city: Mapped[str | None] = mapped_column(String(120))
    notes: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=LeadStatus.NEW)
    disqualified_reason: Mapped[str | None] = mapped_column(String(30))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    score: Mapped[int] = mapped_column(SmallInteger, default=0)
    # First-touch source: the lead's channel, campaign and content.
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id", ondelete="RESTRICT"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="RESTRICT"))
    content_id: Mapped[int | None] = mapped_column(ForeignKey("contents.id", ondelete="RESTRICT"))
    first_touch_at: Mapped[datetime | None]
    # When the lead first reached each milestone; kept by the state machine, read by reports.
    assigned_at: Mapped[datetime | None]
    first_contact_at: Mapped[datetime | None]
    mql_at: Mapped[datetime | None]
    sal_at: Mapped[datetime | None]
    sql_at: Mapped[datetime | None]
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    # Scoring (leads/scoring): score = fit + engagement, capped at 100, by rule set version.
    fit_score: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    engagement_score: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    score_version: Mapped[int | None]
    score_factors: Mapped[list[Any] | None] = mapped_column(JSON)  # [[factor, points], …] top first
    scored_at: Mapped[datetime | None]
    # The predictive model's calibrated probability of conversion, with the model's version.
    predicted_conversion: Mapped[float | None] = mapped_column(Float)
    model_version: Mapped[int | None]
    # Routing (leads/routing) and SLAs (leads/sla).
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    last_activity_at: Mapped[datetime | None]
    pool_entered_at: Mapped[datetime | None]
    # The running SLA clock: which promise (first_contact, accept, follow_up) and its deadline.
    # How far a breach went is LeadSlaStep's, not this row's (see there).
    sla_kind: Mapped[str | None] = mapped_column(String(20))
    sla_due_at: Mapped[datetime | None]


class LeadSlaStep(Base):
    """The next breach step of a lead's running SLA clock: one row per running clock.

    The sweep moves a breached clock from step to step (notify the rep, escalate to the manager,
    recycle); keeping that in a narrow table of its own means a step rewrites this row and its
    two indexes, not the wide lead row with every index of ``leads`` (docs/sla.md)."""

    __tablename__ = "lead_sla_steps"

    lead_id: Mapped[int] = mapped_column(
        ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True
    )
    # 0 running, 1 rep notified, 2 manager escalated.
    level: Mapped[int] = mapped_column(SmallInteger, default=0)
    # When the next step is due: the deadline at level 0, then the escalation, then the recycle.
    step_at: Mapped[datetime] = mapped_column(index=True)


class LeadDecision(Base):
    """One decision about a lead — score change, assignment, breach, recycle, claim … — and the
    rule (and its version) that made it."""

    __tablename__ = "lead_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    decided_at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    rule: Mapped[str | None] = mapped_column(String(200))  # e.g. "routing v3: team East"
    rule_version: Mapped[int | None]
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class LeadStatusChange(Timestamped, Base):
    """One transition of a lead: from, to, when, by whom, why."""

    __tablename__ = "lead_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    changed_at: Mapped[datetime]
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(String(500))
