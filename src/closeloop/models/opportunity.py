"""Pipelines, stages, opportunities and the history of their stage changes."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from closeloop.db.base import Base, Timestamped


class StageOutcome(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class Pipeline(Timestamped, Base):
    __tablename__ = "pipelines"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    is_default: Mapped[bool] = mapped_column(default=False)


class Stage(Timestamped, Base):
    """A pipeline step with its control points and default win probability (percent)."""

    __tablename__ = "stages"

    id: Mapped[int] = mapped_column(primary_key=True)
    pipeline_id: Mapped[int] = mapped_column(ForeignKey("pipelines.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(SmallInteger)
    probability: Mapped[int] = mapped_column(SmallInteger)
    outcome: Mapped[str] = mapped_column(String(10), default=StageOutcome.OPEN)
    entry_criteria: Mapped[list[Any]] = mapped_column(JSON, default=list)
    key_activities: Mapped[list[Any]] = mapped_column(JSON, default=list)
    expected_roles: Mapped[list[Any]] = mapped_column(JSON, default=list)


class Opportunity(Timestamped, Base):
    __tablename__ = "opportunities"
    __table_args__ = (
        Index("ix_opportunities_status_close", "status", "expected_close"),
        Index("ix_opportunities_owner_id", "owner_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="RESTRICT"), index=True
    )
    lead_id: Mapped[int | None] = mapped_column(
        ForeignKey("leads.id", ondelete="SET NULL"), index=True
    )
    pipeline_id: Mapped[int] = mapped_column(ForeignKey("pipelines.id", ondelete="RESTRICT"))
    stage_id: Mapped[int] = mapped_column(ForeignKey("stages.id", ondelete="RESTRICT"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    probability: Mapped[int] = mapped_column(SmallInteger)
    expected_close: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(10), default=StageOutcome.OPEN)
    closed_at: Mapped[datetime | None]
    lost_reason: Mapped[str | None] = mapped_column(String(60))
    competitor: Mapped[str | None] = mapped_column(String(120))


class OpportunityStageChange(Timestamped, Base):
    __tablename__ = "opportunity_stage_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(
        ForeignKey("opportunities.id", ondelete="CASCADE"), index=True
    )
    from_stage_id: Mapped[int | None] = mapped_column(ForeignKey("stages.id", ondelete="RESTRICT"))
    to_stage_id: Mapped[int] = mapped_column(ForeignKey("stages.id", ondelete="RESTRICT"))
    changed_at: Mapped[datetime]
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(String(500))
