"""Configuration that users change — scoring, routing, SLA rules — versioned as data."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from closeloop.db.base import Base, Timestamped


class RuleSet(Timestamped, Base):
    """One version of one kind of rules; the highest version of a kind is in force."""

    __tablename__ = "rule_sets"
    __table_args__ = (UniqueConstraint("kind", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # scoring, routing, sla
    version: Mapped[int]
    body: Mapped[dict[str, Any]] = mapped_column(JSON)  # validated, normalized
    source_text: Mapped[str] = mapped_column(Text)  # the file as the user wrote it
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ScoringModel(Timestamped, Base):
    """A trained predictive model with its evaluation; the highest version is in force."""

    __tablename__ = "scoring_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    algorithm: Mapped[str] = mapped_column(String(60))
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    features: Mapped[list[str]] = mapped_column(JSON)
    artifact: Mapped[bytes]  # joblib dump of the fitted pipeline


class RoutingCursor(Base):
    """Where round-robin stands in each team; updated under a row lock."""

    __tablename__ = "routing_cursors"

    team_id: Mapped[int] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(default=0)
