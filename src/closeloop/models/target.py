"""Targets: planned values per period for the company, a team, a user or a channel."""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from closeloop.db.base import Base, Timestamped


class Target(Timestamped, Base):
    """``planned_value`` is a count, or minor units of ``currency`` for money metrics."""

    __tablename__ = "targets"
    __table_args__ = (Index("ix_targets_period", "period_start", "period_end"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    metric: Mapped[str] = mapped_column(String(30))
    period_start: Mapped[date]
    period_end: Mapped[date]
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    planned_value: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
