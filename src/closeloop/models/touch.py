"""Touches: one marketing interaction of a person, credited by attribution."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from closeloop.db.base import Base, Timestamped


class Touch(Timestamped, Base):
    __tablename__ = "touches"
    __table_args__ = (
        Index("ix_touches_lead_occurred", "lead_id", "occurred_at"),
        Index("ix_touches_occurred_at_id", "occurred_at", "id"),
        Index("ix_touches_kind_id", "kind", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id", ondelete="RESTRICT"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="RESTRICT"))
    content_id: Mapped[int | None] = mapped_column(ForeignKey("contents.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(30))
    occurred_at: Mapped[datetime]
    utm_source: Mapped[str | None] = mapped_column(String(200))
    utm_medium: Mapped[str | None] = mapped_column(String(200))
    utm_campaign: Mapped[str | None] = mapped_column(String(200))
    utm_content: Mapped[str | None] = mapped_column(String(200))
    landing_url: Mapped[str | None] = mapped_column(String(2000))
    form_name: Mapped[str | None] = mapped_column(String(200))
