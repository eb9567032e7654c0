"""The transactional outbox and what is delivered from it (webhooks, e-mail)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from closeloop.db.base import Base, Timestamped


class OutboxEvent(Base):
    """An event written in the same transaction as the change it reports."""

    __tablename__ = "outbox_events"
    __table_args__ = (
        Index(
            "ix_outbox_events_pending",
            "id",
            sqlite_where=text("dispatched_at IS NULL"),
            postgresql_where=text("dispatched_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(60))  # lead.assigned, lead.sla_breached, …
    lead_id: Mapped[int | None] = mapped_column(index=True)  # no FK: events outlive rows
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    dispatched_at: Mapped[datetime | None]  # handed to the job system


class WebhookSubscription(Timestamped, Base):
    """A URL that receives the events of some topics, signed with its secret."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(1000))
    secret: Mapped[str] = mapped_column(String(200))
    topics: Mapped[list[str]] = mapped_column(JSON)  # ["*"] for all
    is_active: Mapped[bool] = mapped_column(default=True)


class EventDelivery(Timestamped, Base):
    """One event to one target; the unique key makes delivery idempotent across workers."""

    __tablename__ = "event_deliveries"
    __table_args__ = (UniqueConstraint("event_id", "channel", "target"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("outbox_events.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(20))  # webhook, email
    target: Mapped[str] = mapped_column(String(1000))  # subscription id or e-mail address
    status: Mapped[str] = mapped_column(String(20), default="pending")  # delivered, dead
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None]
