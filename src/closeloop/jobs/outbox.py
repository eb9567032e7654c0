"""Writing events into the transactional outbox.

An event row is added in the same transaction as the change it reports: if the change rolls back,
so does the event, and a committed change always has its event. The relay (jobs/relay.py)
hands committed events to the job system.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from closeloop.db.bulk import insert_rows
from closeloop.db.types import utcnow
from closeloop.models import OutboxEvent


def emit(
    session: Session,
    topic: str,
    payload: dict[str, Any],
    *,
    lead_id: int | None = None,
    at: datetime | None = None,
) -> None:
    """Add one event to the outbox (in the caller's transaction)."""
    session.add(
        OutboxEvent(topic=topic, lead_id=lead_id, payload=payload, created_at=at or utcnow())
    )


def emit_many(session: Session, events: list[dict[str, Any]]) -> None:
    """Bulk twin of ``emit``: rows of ``topic, lead_id, payload, created_at``."""
    rows = [{**event, "dispatched_at": None} for event in events]
    insert_rows(session, OutboxEvent.__table__, rows)  # type: ignore[arg-type]
