"""The lead's decision history: what was decided, when, by whom, under which rule."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from closeloop.db.bulk import insert_rows
from closeloop.models import LeadDecision


class DecisionKind(StrEnum):
    SCORED = "scored"
    ASSIGNED = "assigned"
    CLAIMED = "claimed"
    RELEASED = "released"
    RETURNED = "returned"
    ACCEPTED = "accepted"
    CONTACTED = "contacted"
    SLA_NOTIFIED = "sla_notified"
    SLA_ESCALATED = "sla_escalated"
    RECYCLED = "recycled"


def record_decision(
    session: Session,
    *,
    lead_id: int,
    kind: DecisionKind,
    at: datetime,
    rule: str | None = None,
    rule_version: int | None = None,
    actor_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Add one decision to the lead's history (in the caller's transaction)."""
    session.add(
        LeadDecision(
            lead_id=lead_id,
            kind=kind,
            decided_at=at,
            actor_id=actor_id,
            rule=rule,
            rule_version=rule_version,
            detail=detail,
        )
    )


def record_decisions(session: Session, rows: list[dict[str, Any]]) -> None:
    """Bulk twin of ``record_decision``: rows with the same keys as its arguments
    (``lead_id, kind, decided_at, actor_id, rule, rule_version, detail``)."""
    insert_rows(session, LeadDecision.__table__, rows)  # type: ignore[arg-type]
