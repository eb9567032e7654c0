"""What people do with a lead over the API, as themselves: claim, release, return, accept, log a
contact (the routing services in ``leads/routing/actions.py``, which enforce ownership, caps, the
state machine, SLA clocks, decisions and events), and the manual assignment a manager makes.
Each checks who may act, runs in the caller's transaction (begun with ``begin_writing``) and is
audited with before and after.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from closeloop.access.actor import WRITE, Actor
from closeloop.access.audit import record_change, snapshot
from closeloop.access.policy import Area, require
from closeloop.access.visibility import get_readable
from closeloop.errors import Conflict, Forbidden, Invalid
from closeloop.i18n import N_
from closeloop.jobs.outbox import emit
from closeloop.leads.capture.normalize import clean_text
from closeloop.leads.decisions import DecisionKind, record_decision
from closeloop.leads.routing import actions
from closeloop.leads.routing import repository as routing_repo
from closeloop.leads.routing.plans import assigned_email
from closeloop.leads.routing.rules import current_rules
from closeloop.leads.sla import clock as sla_clock
from closeloop.leads.states import is_open, transition
from closeloop.models import Lead, LeadStatus, Role, Team

TRANSITION_FIELDS = ("status", "owner_id", "team_id")
ASSIGNERS = {Role.ADMIN, Role.SALES_MANAGER}


def _as_rep(
    session: Session,
    actor: Actor,
    lead_id: int,
    action: str,
    call: Callable[[int], actions.ActionResult],
    detail: dict[str, Any] | None = None,
) -> actions.ActionResult:
    """Run a rep's action on a lead the actor may see, acting as the actor; audit it."""
    require(actor, Area.LEADS, WRITE)
    if actor.user_id is None:
        raise Forbidden(N_("only a signed-in user acts on leads as a rep"))
    lead = get_readable(session, actor, Lead, lead_id)
    before = snapshot(lead, TRANSITION_FIELDS)
    result = call(actor.user_id)
    session.flush()
    lead = session.get_one(Lead, lead_id, populate_existing=True)
    record_change(
        session,
        actor,
        entity="lead",
        entity_id=lead_id,
        action=action,
        before=before,
        after={**snapshot(lead, TRANSITION_FIELDS), **(detail or {})},
    )
    return result


def claim(session: Session, actor: Actor, *, lead_id: int, at: datetime) -> actions.ActionResult:
    """The actor takes a lead from the public pool (within cap and daily limit)."""
    return _as_rep(
        session,
        actor,
        lead_id,
        "claim",
        lambda rep: actions.claim_lead(session, lead_id=lead_id, rep_id=rep, at=at),
    )


def release(
    session: Session, actor: Actor, *, lead_id: int, reason: str | None, at: datetime
) -> actions.ActionResult:
    """The owner gives the lead up to the public pool."""
    return _as_rep(
        session,
        actor,
        lead_id,
        "release",
        lambda rep: actions.release_lead(
            session, lead_id=lead_id, rep_id=rep, at=at, reason=reason
        ),
        {"reason": reason},
    )


def return_to_marketing(
    session: Session, actor: Actor, *, lead_id: int, reason: str, at: datetime
) -> actions.ActionResult:
    """The owner returns the lead to marketing for nurture, saying why."""
    if not (reason or "").strip():
        raise Invalid(N_("a reason is required to return a lead to marketing"), field="body.reason")
    return _as_rep(
        session,
        actor,
        lead_id,
        "return",
        lambda rep: actions.return_lead(session, lead_id=lead_id, rep_id=rep, reason=reason, at=at),
        {"reason": reason.strip()},
    )


def accept(session: Session, actor: Actor, *, lead_id: int, at: datetime) -> actions.ActionResult:
    """The owner accepts the lead (SAL)."""
    return _as_rep(
        session,
        actor,
        lead_id,
        "accept",
        lambda rep: actions.accept_lead(session, lead_id=lead_id, rep_id=rep, at=at),
    )


def contact(
    session: Session,
    actor: Actor,
    *,
    lead_id: int,
    note: str | None,
    channel: str | None,
    at: datetime,
) -> actions.ActionResult:
    """The owner logs a contact (call, e-mail, meeting …) with the lead."""
    how = (clean_text(channel) or "").lower() or None
    text = clean_text(note)
    full_note = f"[{how}] {text}" if how and text else (text or (f"[{how}]" if how else None))
    return _as_rep(
        session,
        actor,
        lead_id,
        "contact",
        lambda rep: actions.log_contact(
            session, lead_id=lead_id, rep_id=rep, at=at, note=full_note
        ),
        {"channel": how, "note": text},
    )


def assign(
    session: Session, actor: Actor, *, lead_id: int, owner_id: int, at: datetime
) -> actions.ActionResult:
    """A manager (own team's reps) or an admin gives an open lead to a rep, within the rep's cap;
    a lead in the pool or in nurture becomes worked again. The rep's first-contact clock starts."""
    require(actor, Area.LEADS, WRITE)
    if actor.role not in ASSIGNERS:
        raise Forbidden(
            N_("a %(role)s may not assign leads: managers and admins do"), role=actor.role.value
        )
    get_readable(session, actor, Lead, lead_id)
    rep = routing_repo.lock_rep(session, owner_id)  # the rep's row before the lead's
    if rep is None:
        raise Invalid(N_("no user %(id)s"), field="body.owner_id", id=owner_id)
    if rep.role not in actions.REP_ROLES or not rep.is_active:
        raise Invalid(
            N_("%(email)s is not an active sales rep or SDR"),
            field="body.owner_id",
            email=rep.email,
        )
    if actor.role == Role.SALES_MANAGER and (actor.team_id is None or rep.team_id != actor.team_id):
        raise Invalid(N_("%(email)s is not in your team"), field="body.owner_id", email=rep.email)
    lead = session.get_one(Lead, lead_id, with_for_update=True, populate_existing=True)
    if not is_open(lead.status):
        raise Conflict(
            N_("lead %(lead_id)s is %(status)s: only open leads are assigned"),
            lead_id=lead_id,
            status=lead.status,
        )
    if lead.owner_id == rep.id:
        raise Conflict(
            N_("lead %(lead_id)s is already %(email)s's"), lead_id=lead_id, email=rep.email
        )
    load = routing_repo.open_loads(session, [rep.id]).get(rep.id, 0)
    if rep.max_open_leads is not None and load >= rep.max_open_leads:
        raise Conflict(
            N_("%(email)s has %(load)s open leads, the cap is %(cap)s"),
            email=rep.email,
            load=load,
            cap=rep.max_open_leads,
        )
    before = snapshot(lead, TRANSITION_FIELDS)
    version = current_rules(session).version
    lead.owner_id, lead.team_id, lead.pool_entered_at = rep.id, rep.team_id, None
    if lead.assigned_at is None:
        lead.assigned_at = at
    if lead.status in (LeadStatus.POOL, LeadStatus.NURTURE):
        transition(
            session, lead, LeadStatus.WORKING, at=at, actor_id=actor.user_id, reason="assigned"
        )
    rule = f"routing v{version}: assigned by hand by {actor.name or actor.role.value}"
    detail = {"owner_id": rep.id, "previous_owner_id": before["owner_id"], "manual": True}
    record_decision(
        session,
        lead_id=lead.id,
        kind=DecisionKind.ASSIGNED,
        at=at,
        rule=rule,
        rule_version=version,
        actor_id=actor.user_id,
        detail=detail,
    )
    team = session.scalar(select(Team.name).where(Team.id == rep.team_id)) or "no team"
    emit(
        session,
        "lead.assigned",
        {
            "lead_id": lead.id,
            "owner_id": rep.id,
            "owner_email": rep.email,
            "team": team,
            "rule": rule,
            "rule_version": version,
            "email": assigned_email(lead.id, team, rep.email),
        },
        lead_id=lead.id,
        at=at,
    )
    session.flush()
    sla_clock.on_assigned(session, lead_ids=[lead.id], at=at)
    lead = session.get_one(Lead, lead_id, populate_existing=True)
    after = snapshot(lead, TRANSITION_FIELDS)
    record_change(
        session,
        actor,
        entity="lead",
        entity_id=lead.id,
        action="assign",
        before=before,
        after=after,
    )
    return actions.ActionResult(lead.id, lead.status, lead.owner_id, rule, version)
