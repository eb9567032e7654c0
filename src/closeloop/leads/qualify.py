"""Qualifying captured leads: score them, then route the ones still unowned and open.

Capture over HTTP and import call this in the capture's own transaction, so a lead is never seen
unscored or unrouted: it arrives with its score, its MQL hand-off if it crossed the threshold,
its team and rep (or the public pool) and its first-contact SLA clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from closeloop.errors import Conflict
from closeloop.leads.qualify_batch import qualify_in_one_pass
from closeloop.leads.routing import repository as routing_repo
from closeloop.leads.routing import rules as routing_rules
from closeloop.leads.routing.service import Assignment, AssignSummary, assign_lead
from closeloop.leads.scoring.model import active_model
from closeloop.leads.scoring.service import (
    LeadScore,
    ScoringRun,
    current_rules,
    score_lead,
    scorer_for,
)
from closeloop.leads.sla.rules import active_sla_rules
from closeloop.models import Lead, LeadStatus


@dataclass(frozen=True)
class Qualified:
    score: LeadScore
    assignment: Assignment | None  # None: the lead already had an owner, or is not open


def load_rules_in_force(session: Session) -> None:
    """Load the scoring rules and model, the routing and the SLA rules into this process's
    caches, so that the first lead captured after a start does not wait for them (unpickling
    the model imports scikit-learn: about two seconds)."""
    scorer_for(current_rules(session).rules)
    active_model(session)
    routing_rules.current_rules(session)
    active_sla_rules(session)


def qualify_lead(session: Session, *, lead_id: int, at: datetime) -> Qualified:
    """Score one lead; route it if it is open and nobody owns it yet."""
    lead = session.get_one(Lead, lead_id)
    score = score_lead(session, lead_id=lead_id, at=at)
    # Scoring wrote set-based: keep the loaded lead in step without reading it back.
    set_committed_value(lead, "score", score.score)
    if score.became_mql:
        set_committed_value(lead, "status", LeadStatus.MQL.value)
    assignment = None
    if lead.owner_id is None and lead.status in routing_repo.ASSIGNABLE:
        try:
            assignment = assign_lead(
                session, lead_id=lead_id, at=at, channel_code=score.channel_code
            )
        except Conflict:
            # Routed by someone else between our look and the row lock (a bulk run): the
            # capture stands; assign_lead refuses before it writes anything.
            assignment = None
    return Qualified(score, assignment)


def qualify_leads(
    session: Session, *, lead_ids: Sequence[int], at: datetime
) -> tuple[ScoringRun, AssignSummary]:
    """Bulk twin of ``qualify_lead``: score every lead and route the open unowned ones, each
    lead's row written once (see qualify_batch.py)."""
    return qualify_in_one_pass(session, at=at, lead_ids=lead_ids)


def qualify_open_leads(session: Session, *, at: datetime) -> tuple[ScoringRun, AssignSummary]:
    """Score every open lead and route every open unowned one, in one pass."""
    return qualify_in_one_pass(session, at=at)
