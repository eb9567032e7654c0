"""Assigning leads to reps: one lead (on capture) or every open unowned lead (in bulk).

The caller's transaction must have begun with ``closeloop.db.locks.begin_writing``. See
repository.py for the lock order that keeps a lead from two owners and every rep under cap.
The rep actions (claim, release, return, accept, contact) are in actions.py.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from closeloop.db.bulk import write_together
from closeloop.db.types import utcnow
from closeloop.errors import Conflict, NotFound
from closeloop.i18n import N_
from closeloop.leads.decisions import DecisionKind
from closeloop.leads.routing import repository as repo
from closeloop.leads.routing.actions import (
    accept_lead,
    claim_lead,
    log_contact,
    release_lead,
    return_lead,
)
from closeloop.leads.routing.history import write_history
from closeloop.leads.routing.plans import (
    TeamPlan,
    assigned_email,
    compiled_rules,
    rule_text,
    save_cursors,
    team_plans,
)
from closeloop.leads.routing.rules import (
    CompiledRules,
    LeadFacts,
    current_rules,
)
from closeloop.leads.sla import clock as sla_clock
from closeloop.leads.states import check_transition
from closeloop.models import (
    Channel,
    Lead,
    LeadDecision,
    LeadSlaStep,
    LeadStatus,
    LeadStatusChange,
    OutboxEvent,
)

__all__ = [
    "AssignSummary",
    "Assignment",
    "accept_lead",
    "assign_lead",
    "assign_leads",
    "claim_lead",
    "log_contact",
    "release_lead",
    "return_lead",
]


@dataclass(frozen=True)
class Assignment:
    """Where one lead went: a rep, or the public pool when every rep of its team is at cap."""

    lead_id: int
    team: str
    owner_id: int | None  # None: the lead went to the pool
    owner_email: str | None
    rule: str  # the decision's rule text
    rule_version: int
    routed: bool = True  # False: the rules name a team that does not exist; nothing changed


@dataclass
class AssignSummary:
    considered: int = 0
    assigned: int = 0
    pooled: int = 0
    unrouted: int = 0  # their team does not exist (yet): left as they were
    skipped: int = 0  # changed by someone else between reading and writing
    by_team: dict[str, dict[str, int]] = field(default_factory=dict)
    by_rep: dict[str, int] = field(default_factory=dict)  # e-mail → leads given
    rule_version: int = 0
    seconds: float = 0.0


def assign_lead(
    session: Session,
    *,
    lead_id: int,
    at: datetime,
    actor_id: int | None = None,
    channel_code: str | None = None,
) -> Assignment:
    """Route one open unowned lead to a rep of its team, or to the pool if all are at cap.

    ``channel_code``: the code of the lead's channel, when the caller has read it already."""
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise NotFound(N_("no lead with id %(lead_id)s"), lead_id=lead_id)
    _check_assignable(lead)
    active = current_rules(session)
    code = channel_code
    if code is None and lead.channel_id:
        code = session.scalar(select(Channel.code).where(Channel.id == lead.channel_id))
    facts = LeadFacts(lead.region, lead.city, lead.industry, lead.company_size, code)
    choice = compiled_rules(active.rules).team_for(facts)
    team_id, looked = repo.team_and_reps(session, choice.team)
    ids = {choice.team: team_id} if team_id is not None else {}
    # First a look without locks: when no rep of the team has room the lead goes to the pool,
    # which takes nothing from any rep's cap, so no rep row needs to be held until commit (and
    # captures into a team at cap do not queue behind each other). Only a lead that may go to
    # a rep takes the locks; the loads are then read again under them.
    plans = team_plans(session, active.rules, {choice.team}, at, ids=ids, lock=False, looked=looked)
    plan = plans[choice.team]
    rule = rule_text(active.version, choice.rule, plan)
    if plan.team_id is None:
        # No such team (a new installation, or a team renamed): leave the lead for a later run
        # rather than pool it — the pool is for leads a team could not take.
        return Assignment(lead.id, plan.name, None, None, rule, active.version, routed=False)
    due = None
    if plan.has_room:
        # Everything that needs no lock is done before taking them: the locks are held until
        # commit, and every capture into the team waits for them.
        due = sla_clock.first_contact_due_for(session, at=at, team=plan.name)
        plan = team_plans(session, active.rules, {choice.team}, at, ids=ids)[choice.team]
    # Re-read under a row lock, after the reps' rows (the lock order): still unowned?
    state = repo.lock_lead_state(session, lead.id)
    if state is None:
        raise NotFound(N_("no lead with id %(lead_id)s"), lead_id=lead_id)
    for name in ("owner_id", "status", "assigned_at"):
        set_committed_value(lead, name, getattr(state, name))
    _check_assignable(lead)
    rep = plan.chooser.choose() if plan.chooser and plan.has_room else None
    # The lead's row, its decision, history and event: written together, in one round trip on
    # PostgreSQL (the team's rep rows may be locked until commit: every statement counts).
    values: dict[str, Any] = {"team_id": plan.team_id, "updated_at": utcnow()}
    changes: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    steps: list[dict[str, object]] = []
    if rep is None:
        check_transition(lead.id, lead.status, LeadStatus.POOL)
        values.update(status=LeadStatus.POOL.value, pool_entered_at=at)
        detail: dict[str, Any] = {"team": plan.name, "to": "pool", "reason": plan.why_pool()}
        # The same history row and event as ``transition``.
        changes.append(
            {
                "lead_id": lead.id,
                "from_status": lead.status,
                "to_status": LeadStatus.POOL.value,
                "changed_at": at,
                "changed_by_id": actor_id,
                "reason": plan.why_pool(),
                "created_at": values["updated_at"],
                "updated_at": values["updated_at"],
            }
        )
        events.append(
            {
                "topic": "lead.status_changed",
                "lead_id": lead.id,
                "payload": {
                    "lead_id": lead.id,
                    "from": lead.status,
                    "to": LeadStatus.POOL.value,
                    "reason": plan.why_pool(),
                    "rule": rule,
                },
                "created_at": at,
                "dispatched_at": None,
            }
        )
    else:
        # The first-contact SLA clock starts with the assignment, in the same row write.
        values.update(
            owner_id=rep.id,
            assigned_at=lead.assigned_at or at,
            sla_kind=sla_clock.ClockKind.FIRST_CONTACT.value,
            sla_due_at=due,
        )
        assert due is not None  # a rep was chosen: the team had room, and the due time was set
        steps.append(sla_clock.first_step(lead.id, due))
        save_cursors(session, {plan.name: plan})
        detail = {"team": plan.name, "owner_id": rep.id, "strategy": plan.settings.strategy}
        email = plan.emails[rep.id]
        events.append(
            {
                "topic": "lead.assigned",
                "lead_id": lead.id,
                "payload": {
                    "lead_id": lead.id,
                    "owner_id": rep.id,
                    "owner_email": email,
                    "team": plan.name,
                    "rule": rule,
                    "rule_version": active.version,
                    "email": assigned_email(lead.id, plan.name, email),
                },
                "created_at": at,
                "dispatched_at": None,
            }
        )
    decision = {
        "lead_id": lead.id,
        "kind": DecisionKind.ASSIGNED.value,
        "decided_at": at,
        "actor_id": actor_id,
        "rule": rule,
        "rule_version": active.version,
        "detail": detail,
    }
    write_together(
        session,
        update=(Lead.__table__, lead.id, values),  # type: ignore[arg-type]
        inserts=[
            (LeadStatusChange.__table__, changes),  # type: ignore[list-item]
            (LeadDecision.__table__, [decision]),  # type: ignore[list-item]
            (OutboxEvent.__table__, events),  # type: ignore[list-item]
            # An unowned lead has no clock, so no step row: a plain insert.
            (LeadSlaStep.__table__, steps),  # type: ignore[list-item]
        ],
    )
    for name, value in values.items():  # the loaded lead as it is now
        set_committed_value(lead, name, value)
    if rep is None:
        return Assignment(lead.id, plan.name, None, None, rule, active.version)
    return Assignment(lead.id, plan.name, rep.id, plan.emails[rep.id], rule, active.version)


def _check_assignable(lead: Lead) -> None:
    if lead.owner_id is not None:
        raise Conflict(
            N_("lead %(id)s already has an owner (user %(owner_id)s)"),
            id=lead.id,
            owner_id=lead.owner_id,
        )
    if lead.status == LeadStatus.POOL:
        raise Conflict(
            N_("lead %(id)s is in the public pool: a rep claims it (closeloop leads claim)"),
            id=lead.id,
        )
    if lead.status not in repo.ASSIGNABLE:
        raise Conflict(
            N_("lead %(id)s is %(status)s: only new, working, mql and sal leads are routed"),
            id=lead.id,
            status=lead.status,
        )


def assign_leads(
    session: Session,
    *,
    at: datetime,
    lead_ids: list[int] | None = None,
    limit: int | None = None,
    actor_id: int | None = None,
) -> AssignSummary:
    """Route every open unowned lead (not in the pool or nurture), best score first; or only
    ``lead_ids``. Loads are read once per team, reps chosen in memory, rows written in bulk."""
    started = time.perf_counter()
    active = current_rules(session)
    compiled = CompiledRules(active.rules)
    names = {rule.team for rule in active.rules.rules} | {active.rules.fallback_team}
    plans = team_plans(session, active.rules, names, at)  # locks every routing team's reps first
    leads = repo.candidates(session, lead_ids=lead_ids, limit=limit)
    due = sla_clock.first_contact_due(session, at=at)
    owners: list[tuple[int, int, int, datetime]] = []
    pooled: list[tuple[int, str, int | None]] = []
    picked: dict[int, tuple[str, TeamPlan, int | None]] = {}
    unrouted = 0
    for lead in leads:
        choice = compiled.team_for_values(*lead[2:])
        plan = plans[choice.team]
        if plan.team_id is None:  # no such team: left as it is (see assign_lead)
            unrouted += 1
            continue
        rep = plan.chooser.choose() if plan.chooser else None
        if rep is None:
            pooled.append((lead.id, lead.status, plan.team_id))
            picked[lead.id] = (choice.rule, plan, None)
        else:
            owners.append((lead.id, rep.id, plan.team_id, due.for_team(plan.team_id)))
            picked[lead.id] = (choice.rule, plan, rep.id)
    done_owned = repo.set_owners(session, owners, at=at)  # their first-contact clocks too
    sla_clock.start_steps(session, done_owned)
    done_pooled = repo.send_to_pool(session, pooled, at=at)
    save_cursors(session, plans)
    status_of = {lead.id: lead.status for lead in leads}
    written = [(lead_id, *picked[lead_id]) for lead_id in done_owned]
    written_pool = [(lead_id, *picked[lead_id]) for lead_id in done_pooled]
    write_history(session, active.version, written, written_pool, status_of, at, actor_id)
    summary = AssignSummary(considered=len(leads), unrouted=unrouted, rule_version=active.version)
    count_outcomes(summary, done_owned, done_pooled, picked)
    summary.skipped = summary.considered - summary.assigned - summary.pooled - unrouted
    summary.seconds = time.perf_counter() - started
    return summary


def count_outcomes(
    summary: AssignSummary,
    owned: list[int],
    pooled: list[int],
    picked: dict[int, tuple[str, TeamPlan, int | None]],
) -> None:
    """Add the leads written (given to reps, sent to the pool) to the summary's counts;
    ``picked``: lead id → (rule, team plan, rep id or None)."""
    summary.assigned += len(owned)
    summary.pooled += len(pooled)
    for lead_id in owned:
        _, plan, rep_id = picked[lead_id]
        counts = summary.by_team.setdefault(plan.name, {"assigned": 0, "pooled": 0})
        counts["assigned"] += 1
        email = plan.emails[rep_id]  # type: ignore[index]
        summary.by_rep[email] = summary.by_rep.get(email, 0) + 1
    for lead_id in pooled:
        counts = summary.by_team.setdefault(picked[lead_id][1].name, {"assigned": 0, "pooled": 0})
        counts["pooled"] += 1
