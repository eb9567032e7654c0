"""The lead state machine: which status may follow which, and the one way to change it.

Every change writes its history row and its outbox event in the caller's transaction
(ARCHITECTURE.md: state machines are explicit).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from closeloop.errors import InvalidTransition
from closeloop.i18n import N_
from closeloop.jobs.outbox import emit
from closeloop.models import Lead, LeadStatus, LeadStatusChange

S = LeadStatus
_OPEN = frozenset({S.NEW, S.WORKING, S.MQL, S.SAL, S.NURTURE, S.POOL})

ALLOWED: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.WORKING, S.MQL, S.SAL, S.SQL, S.NURTURE, S.POOL, S.DISQUALIFIED, S.MERGED}),
    S.WORKING: frozenset({S.MQL, S.SAL, S.SQL, S.NURTURE, S.POOL, S.DISQUALIFIED, S.MERGED}),
    S.MQL: frozenset({S.WORKING, S.SAL, S.SQL, S.NURTURE, S.POOL, S.DISQUALIFIED, S.MERGED}),
    S.SAL: frozenset({S.WORKING, S.SQL, S.NURTURE, S.POOL, S.DISQUALIFIED, S.MERGED}),
    S.SQL: frozenset({S.DISQUALIFIED}),
    S.NURTURE: frozenset({S.WORKING, S.MQL, S.SAL, S.POOL, S.DISQUALIFIED, S.MERGED}),
    S.POOL: frozenset({S.WORKING, S.MQL, S.SAL, S.NURTURE, S.DISQUALIFIED, S.MERGED}),
    S.DISQUALIFIED: frozenset(),
    S.MERGED: frozenset(),
}

# The first time a lead reaches these, the milestone is stamped (reports read the stamps).
MILESTONES = {S.MQL: "mql_at", S.SAL: "sal_at", S.SQL: "sql_at"}


def is_open(status: str) -> bool:
    """A lead still being worked (not converted, disqualified or merged)."""
    return status in _OPEN


def may_accept(status: str) -> bool:
    """Whether the owner may accept a lead in this status (it would become SAL)."""
    return status != S.SAL and S.SAL in ALLOWED.get(status, frozenset())


def check_transition(lead_id: int, from_status: str, to_status: str) -> None:
    """Raise ``InvalidTransition`` unless ``from_status → to_status`` is allowed."""
    if to_status not in ALLOWED.get(from_status, frozenset()):
        raise InvalidTransition(
            N_("lead %(lead_id)s is %(from_status)s and cannot become %(to_status)s"),
            field="status",
            lead_id=lead_id,
            from_status=from_status,
            to_status=to_status,
        )


def transition(
    session: Session,
    lead: Lead,
    to_status: str,
    *,
    at: datetime,
    actor_id: int | None = None,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Move ``lead`` to ``to_status``: check, stamp the milestone, write history and the event."""
    from_status = lead.status
    check_transition(lead.id, from_status, to_status)
    lead.status = to_status
    milestone = MILESTONES.get(S(to_status))
    if milestone and getattr(lead, milestone) is None:
        setattr(lead, milestone, at)
    session.add(
        LeadStatusChange(
            lead_id=lead.id,
            from_status=from_status,
            to_status=to_status,
            changed_at=at,
            changed_by_id=actor_id,
            reason=reason,
        )
    )
    emit(
        session,
        "lead.status_changed",
        {
            "lead_id": lead.id,
            "from": from_status,
            "to": to_status,
            "reason": reason,
            **(detail or {}),
        },
        lead_id=lead.id,
        at=at,
    )
