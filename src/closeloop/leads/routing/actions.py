"""What a rep does with a lead: claim it from the pool, release it, return it to marketing,
accept it, log a contact. One service function each; each records a decision and an event.

The caller's transaction must have begun with ``closeloop.db.locks.begin_writing``. A claim
locks the rep's row before the lead's (repository.py's lock order); the others lock the lead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from closeloop.errors import Conflict, Forbidden, Invalid, NotFound
from closeloop.i18n import N_
from closeloop.jobs.outbox import emit
from closeloop.leads.decisions import DecisionKind, record_decision
from closeloop.leads.routing import repository as repo
from closeloop.leads.routing.rules import current_rules
from closeloop.leads.sla import clock as sla_clock
from closeloop.leads.states import transition
from closeloop.models import Lead, LeadStatus, User

REP_ROLES = ("sales_rep", "sdr")


@dataclass(frozen=True)
class ActionResult:
    lead_id: int
    status: str
    owner_id: int | None
    rule: str
    rule_version: int


def _locked_lead(session: Session, lead_id: int) -> Lead:
    lead = session.get(Lead, lead_id, with_for_update=True, populate_existing=True)
    if lead is None:
        raise NotFound(N_("no lead with id %(lead_id)s"), lead_id=lead_id)
    return lead


def _user(session: Session, rep_id: int) -> User:
    user = session.get(User, rep_id)
    if user is None:
        raise NotFound(N_("no user with id %(rep_id)s"), rep_id=rep_id)
    return user


def _owned(session: Session, lead_id: int, rep_id: int, verb: str) -> tuple[Lead, User]:
    """The lead, locked, if ``rep_id`` owns it; else a one-line error naming the owner."""
    user = _user(session, rep_id)
    lead = _locked_lead(session, lead_id)
    if lead.owner_id != rep_id:
        owner = "nobody" if lead.owner_id is None else f"user {lead.owner_id}"
        raise Forbidden(
            N_("%(email)s cannot %(verb)s lead %(lead_id)s: it is owned by %(owner)s"),
            email=user.email,
            verb=verb,
            lead_id=lead_id,
            owner=owner,
        )
    return lead, user


def _record(
    session: Session,
    lead: Lead,
    kind: DecisionKind,
    topic: str,
    *,
    rule: str,
    version: int,
    at: datetime,
    actor_id: int,
    detail: dict[str, Any],
) -> ActionResult:
    record_decision(
        session,
        lead_id=lead.id,
        kind=kind,
        at=at,
        rule=rule,
        rule_version=version,
        actor_id=actor_id,
        detail=detail,
    )
    payload = {
        "lead_id": lead.id,
        "rep_id": actor_id,
        "status": lead.status,
        "rule": rule,
        "rule_version": version,
        **detail,
    }
    emit(session, topic, payload, lead_id=lead.id, at=at)
    session.flush()
    return ActionResult(lead.id, lead.status, lead.owner_id, rule, version)


def claim_lead(session: Session, *, lead_id: int, rep_id: int, at: datetime) -> ActionResult:
    """A rep takes a lead from the public pool, within their open-lead cap and daily limit."""
    active = current_rules(session)
    pool = active.rules.pool
    rep = repo.lock_rep(session, rep_id)  # first: two claims for one rep queue here
    if rep is None:
        raise NotFound(N_("no user with id %(rep_id)s"), rep_id=rep_id)
    if rep.role not in REP_ROLES or not rep.is_active:
        what = "inactive" if not rep.is_active else f"a {rep.role}"
        raise Forbidden(
            N_("%(email)s is %(what)s: only active sales reps and SDRs claim leads"),
            email=rep.email,
            what=what,
        )
    lead = _locked_lead(session, lead_id)
    # The status decides: a pool lead has no owner by definition (an owner_id left on it is
    # stale, and the claim replaces it).
    if lead.status != LeadStatus.POOL:
        owner = f", owned by user {lead.owner_id}" if lead.owner_id is not None else ""
        raise Conflict(
            N_("lead %(lead_id)s is not in the public pool (it is %(status)s%(owner)s)"),
            lead_id=lead_id,
            status=lead.status,
            owner=owner,
        )
    open_now = repo.open_loads(session, [rep.id]).get(rep.id, 0)
    if rep.max_open_leads is not None and open_now >= rep.max_open_leads:
        raise Conflict(
            N_(
                "%(email)s has %(open)s open leads, the cap is %(cap)s: "
                "release or close one before claiming"
            ),
            email=rep.email,
            open=open_now,
            cap=rep.max_open_leads,
        )
    zone = ZoneInfo(pool.timezone)
    day_start = datetime.combine(at.astimezone(zone).date(), time.min, zone)
    claimed = repo.claims_since(session, rep.id, day_start)
    if claimed >= pool.daily_claim_limit:
        raise Conflict(
            N_("%(email)s has claimed %(claimed)s leads today, the daily limit is %(limit)s"),
            email=rep.email,
            claimed=claimed,
            limit=pool.daily_claim_limit,
        )
    lead.owner_id = rep.id
    lead.team_id = rep.team_id
    lead.pool_entered_at = None
    if lead.assigned_at is None:
        lead.assigned_at = at
    rule = (
        f"routing v{active.version}: pool claim within cap {rep.max_open_leads or 'none'} "
        f"and {pool.daily_claim_limit} a day"
    )
    transition(
        session, lead, LeadStatus.WORKING, at=at, actor_id=rep.id, reason="claimed from the pool"
    )
    result = _record(
        session,
        lead,
        DecisionKind.CLAIMED,
        "lead.claimed",
        rule=rule,
        version=active.version,
        at=at,
        actor_id=rep.id,
        detail={"owner_id": rep.id, "open_leads": open_now + 1, "claimed_today": claimed + 1},
    )
    sla_clock.on_assigned(session, lead_ids=[lead.id], at=at)
    return result


def release_lead(
    session: Session, *, lead_id: int, rep_id: int, at: datetime, reason: str | None = None
) -> ActionResult:
    """The owner gives a lead up to the public pool, where any rep may claim it."""
    lead, _ = _owned(session, lead_id, rep_id, "release")
    version = current_rules(session).version
    note = (reason or "").strip() or None
    lead.owner_id = None
    lead.pool_entered_at = at
    transition(
        session,
        lead,
        LeadStatus.POOL,
        at=at,
        actor_id=rep_id,
        reason=note or "released by the owner",
    )
    result = _record(
        session,
        lead,
        DecisionKind.RELEASED,
        "lead.released",
        rule=f"routing v{version}: owner released to the pool",
        version=version,
        at=at,
        actor_id=rep_id,
        detail={"reason": note},
    )
    sla_clock.stop(session, lead_ids=[lead.id])
    return result


def return_lead(
    session: Session, *, lead_id: int, rep_id: int, reason: str, at: datetime
) -> ActionResult:
    """The owner hands a lead back to marketing for nurture, saying why."""
    note = (reason or "").strip()
    if not note:
        raise Invalid(N_("a reason is required to return a lead to marketing"), field="reason")
    lead, _ = _owned(session, lead_id, rep_id, "return")
    version = current_rules(session).version
    lead.owner_id = None
    transition(session, lead, LeadStatus.NURTURE, at=at, actor_id=rep_id, reason=note[:500])
    result = _record(
        session,
        lead,
        DecisionKind.RETURNED,
        "lead.returned",
        rule=f"routing v{version}: owner returned to marketing",
        version=version,
        at=at,
        actor_id=rep_id,
        detail={"reason": note[:500]},
    )
    sla_clock.stop(session, lead_ids=[lead.id])
    return result


def accept_lead(session: Session, *, lead_id: int, rep_id: int, at: datetime) -> ActionResult:
    """The owner accepts the lead: it becomes sales-accepted (SAL)."""
    lead, _ = _owned(session, lead_id, rep_id, "accept")
    if lead.status == LeadStatus.SAL:
        raise Conflict(N_("lead %(lead_id)s is already accepted (sal)"), lead_id=lead_id)
    version = current_rules(session).version
    transition(
        session, lead, LeadStatus.SAL, at=at, actor_id=rep_id, reason="accepted by the owner"
    )
    result = _record(
        session,
        lead,
        DecisionKind.ACCEPTED,
        "lead.accepted",
        rule=f"routing v{version}: owner accepts",
        version=version,
        at=at,
        actor_id=rep_id,
        detail={"owner_id": rep_id},
    )
    sla_clock.on_accepted(session, lead_id=lead.id, at=at)
    return result


def log_contact(
    session: Session, *, lead_id: int, rep_id: int, at: datetime, note: str | None = None
) -> ActionResult:
    """The owner reached the lead: the first contact is stamped once, the last activity each
    time, and a new lead starts being worked. An MQL or SAL keeps its stage: a call does not
    undo marketing's qualification or the rep's acceptance."""
    lead, _ = _owned(session, lead_id, rep_id, "log a contact on")
    version = current_rules(session).version
    first = lead.first_contact_at is None
    if first:
        lead.first_contact_at = at
    lead.last_activity_at = at
    if lead.status == LeadStatus.NEW:
        transition(
            session, lead, LeadStatus.WORKING, at=at, actor_id=rep_id, reason="first contact"
        )
    text = (note or "").strip()[:1000] or None
    result = _record(
        session,
        lead,
        DecisionKind.CONTACTED,
        "lead.contacted",
        rule=f"routing v{version}: owner contact",
        version=version,
        at=at,
        actor_id=rep_id,
        detail={"first": first, "note": text},
    )
    if first:
        sla_clock.on_contacted(session, lead_id=lead.id, at=at)
    else:
        sla_clock.on_activity(session, lead_id=lead.id, at=at)
    return result
