"""A lead's history on one timeline: its status changes and the decisions made about it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from closeloop.errors import NotFound
from closeloop.i18n import N_
from closeloop.models import Lead, LeadDecision, LeadStatusChange, User


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    what: str  # "status" or a decision kind (scored, assigned, sla_notified, …)
    summary: str  # e.g. "new → mql" or the decision's detail in words
    actor: str | None  # the user's e-mail; None for the system
    rule: str | None
    rule_version: int | None


def lead_history(session: Session, *, lead_id: int) -> list[HistoryEntry]:
    """Every status change and decision of the lead, oldest first (status first on a tie)."""
    if session.get(Lead, lead_id) is None:
        raise NotFound(N_("no lead with id %(lead_id)s"), field="lead_id", lead_id=lead_id)
    emails: dict[int | None, str] = dict(session.execute(select(User.id, User.email)).all())
    entries: list[tuple[datetime, int, int, HistoryEntry]] = []
    changes = session.scalars(select(LeadStatusChange).where(LeadStatusChange.lead_id == lead_id))
    for change in changes:
        summary = f"{change.from_status or '—'} → {change.to_status}"
        if change.reason:
            summary += f" ({change.reason})"
        entry = HistoryEntry(
            change.changed_at, "status", summary, emails.get(change.changed_by_id), None, None
        )
        entries.append((change.changed_at, 0, change.id, entry))
    decisions = session.scalars(select(LeadDecision).where(LeadDecision.lead_id == lead_id))
    for decision in decisions:
        entry = HistoryEntry(
            decision.decided_at,
            decision.kind,
            _in_words(decision.detail or {}, emails),
            emails.get(decision.actor_id),
            decision.rule,
            decision.rule_version,
        )
        entries.append((decision.decided_at, 1, decision.id, entry))
    return [entry for *_, entry in sorted(entries, key=lambda e: e[:3])]


def _in_words(detail: dict[str, Any], emails: dict[int | None, str]) -> str:
    """A decision's detail as ``key=value`` pairs, users shown by e-mail."""
    parts = []
    for key, value in detail.items():
        if value is None or value == "":
            continue
        if key.endswith("owner_id") or key == "manager_id":
            value = emails.get(value, value)
        parts.append(f"{key}={value}")
    return ", ".join(parts)
