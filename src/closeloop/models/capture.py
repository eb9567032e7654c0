"""What lead capture keeps besides leads: merges (to undo them), rejects, imports, API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from closeloop.db.base import Base, Timestamped


class LeadMerge(Timestamped, Base):
    """A captured lead merged into an existing one: what it filled in, what it disagreed on."""

    __tablename__ = "lead_merges"

    id: Mapped[int] = mapped_column(primary_key=True)
    merged_lead_id: Mapped[int] = mapped_column(
        ForeignKey("leads.id", ondelete="CASCADE"), index=True
    )
    survivor_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    matched_on: Mapped[str] = mapped_column(String(30))  # email, phone, name_company, …
    score: Mapped[int] = mapped_column(Integer)  # 0–100
    filled: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # field → value given
    conflicts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # field → [kept, new]
    touch_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # moved to the survivor
    undone_at: Mapped[datetime | None]


class ImportBatch(Timestamped, Base):
    """One run of `closeloop import leads` (or one capture source) and its summary."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(500))  # file name or "api:<key name>"
    read: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    merged: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    finished_at: Mapped[datetime | None]


class LeadReject(Timestamped, Base):
    """A captured record that could not become a lead, kept with where and why."""

    __tablename__ = "lead_rejects"

    id: Mapped[int] = mapped_column(primary_key=True)
    import_batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_batches.id", ondelete="SET NULL"), index=True
    )
    source_key: Mapped[str] = mapped_column(String(64), unique=True)
    row_number: Mapped[int | None] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(60))
    reason: Mapped[str] = mapped_column(String(500))
    raw: Mapped[dict[str, Any]] = mapped_column(JSON)


class ApiKey(Timestamped, Base):
    """A key a web form or an ad platform uses to send leads; only its hash is kept."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="RESTRICT"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="RESTRICT"))
    content_id: Mapped[int | None] = mapped_column(ForeignKey("contents.id", ondelete="RESTRICT"))
    form_name: Mapped[str | None] = mapped_column(String(200))
    revoked_at: Mapped[datetime | None]


class IdempotencyKey(Timestamped, Base):
    """The answer given to a request with an Idempotency-Key, replayed if it comes again."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("api_key_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
