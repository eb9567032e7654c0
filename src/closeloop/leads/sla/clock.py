"""The SLA clock of a lead, started and stopped by the lead actions (assign, contact, accept …).

A lead has at most one running clock: ``sla_kind`` (first_contact, accept, follow_up) and its
deadline ``sla_due_at`` on the lead row, and the breach's next step in ``lead_sla_steps`` (level
0 running, 1 rep notified, 2 manager escalated; when the next step is due). A clock that starts
or restarts starts its steps over; a clock that stops takes its step row with it. All functions
work in the caller's transaction and never commit; they read the SLA rules in force and the
lead's team (``leads.team_id`` → ``teams.name`` → the rules' team entry, else the default).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import cast

from sqlalchemy import Table, case, delete, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from closeloop.db.dialect import one_of
from closeloop.db.types import UTCDateTime
from closeloop.errors import NotFound
from closeloop.i18n import N_
from closeloop.leads.sla.rules import SlaRules, TeamSla, active_sla_rules
from closeloop.models import Lead, LeadSlaStep, Team


class ClockKind(StrEnum):
    FIRST_CONTACT = "first_contact"
    ACCEPT = "accept"
    FOLLOW_UP = "follow_up"


_CLOCK_COLUMNS = ("sla_kind", "sla_due_at")


@dataclass(frozen=True)
class FirstContactDue:
    """When the first contact of leads assigned at one moment falls due, by team."""

    by_team: dict[int, datetime]  # the teams the rules name
    default: datetime  # every other team, and no team

    def for_team(self, team_id: int | None) -> datetime:
        return self.by_team.get(team_id, self.default) if team_id is not None else self.default


def first_contact_due(session: Session, *, at: datetime) -> FirstContactDue:
    """Due times of first contacts for leads assigned at ``at``: ``first_contact_hours`` of the
    team's rules (the default's for teams the rules do not name), in working hours."""
    rules = active_sla_rules(session).rules
    calendar = rules.working_calendar
    return FirstContactDue(
        {
            team_id: calendar.add_working_hours(at, rules.for_team(name).first_contact_hours)
            for team_id, name in _team_names(session, rules).items()
        },
        calendar.add_working_hours(at, rules.default.first_contact_hours),
    )


def first_contact_due_for(session: Session, *, at: datetime, team: str | None) -> datetime:
    """When the first contact of one lead assigned at ``at`` to ``team`` (its name) falls due:
    ``first_contact_due`` for one team, without reading the teams table."""
    rules = active_sla_rules(session).rules
    return rules.working_calendar.add_working_hours(at, rules.for_team(team).first_contact_hours)


def on_assigned(session: Session, *, lead_ids: list[int], at: datetime) -> None:
    """Start the first-contact clocks of newly assigned leads: due ``first_contact_hours`` of
    each lead's team after ``at``."""
    if not lead_ids:
        return
    due = first_contact_due(session, at=at)
    # Typed literals: inside CASE the column's UTC type would not be applied to the values.
    due_at = (
        case(
            {team_id: literal(moment, UTCDateTime()) for team_id, moment in due.by_team.items()},
            value=Lead.__table__.c.team_id,
            else_=literal(due.default, UTCDateTime()),
        )
        if due.by_team
        else due.default
    )
    _update(
        session,
        lead_ids,
        sla_kind=ClockKind.FIRST_CONTACT.value,
        sla_due_at=due_at,
    )
    start_steps(session, lead_ids)


def on_contacted(session: Session, *, lead_id: int, at: datetime) -> None:
    """First contact made: the clock becomes accept-or-return (due ``accept_days`` after the
    assignment) or, for a lead already accepted, follow-up (due ``follow_up_days`` after ``at``)."""
    lead, sla, rules = _lead_and_sla(session, lead_id)
    calendar = rules.working_calendar
    if lead.sal_at is None:
        lead.sla_kind = ClockKind.ACCEPT
        lead.sla_due_at = calendar.add_working_days(lead.assigned_at or at, sla.accept_days)
    else:
        lead.sla_kind = ClockKind.FOLLOW_UP
        lead.sla_due_at = calendar.add_working_days(at, sla.follow_up_days)
    start_steps(session, [lead_id])


def on_accepted(session: Session, *, lead_id: int, at: datetime) -> None:
    """The rep accepted the lead: the follow-up clock runs, due ``follow_up_days`` after ``at``."""
    lead, sla, rules = _lead_and_sla(session, lead_id)
    lead.sla_kind = ClockKind.FOLLOW_UP
    lead.sla_due_at = rules.working_calendar.add_working_days(at, sla.follow_up_days)
    start_steps(session, [lead_id])


def on_activity(session: Session, *, lead_id: int, at: datetime) -> None:
    """An activity on the lead restarts a running follow-up clock (other clocks keep running)."""
    lead, sla, rules = _lead_and_sla(session, lead_id)
    if lead.sla_kind != ClockKind.FOLLOW_UP:
        return
    lead.sla_due_at = rules.working_calendar.add_working_days(at, sla.follow_up_days)
    start_steps(session, [lead_id])


def stop(session: Session, *, lead_ids: list[int]) -> None:
    """Clear the clocks of leads released, returned, recycled, disqualified or converted."""
    if lead_ids:
        _update(session, lead_ids, sla_kind=None, sla_due_at=None)
        stop_steps(session, lead_ids)


def first_step(lead_id: int, due: datetime) -> dict[str, object]:
    """The step row of a clock that starts now, for writers that insert it with the lead's
    other rows: level 0, the first step at the deadline."""
    return {"lead_id": lead_id, "level": 0, "step_at": due}


def start_steps(session: Session, lead_ids: Sequence[int]) -> None:
    """The clocks now on these lead rows start their breach steps over: level 0, the next step
    at the deadline (a lead without a clock gets no step row)."""
    if not lead_ids:
        return
    session.flush()  # the clocks set through the ORM
    leads, steps = cast(Table, Lead.__table__), cast(Table, LeadSlaStep.__table__)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(steps).from_select(
        ["lead_id", "level", "step_at"],
        select(leads.c.id, literal(0), leads.c.sla_due_at).where(
            one_of(dialect, leads.c.id, lead_ids), leads.c.sla_due_at.is_not(None)
        ),
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[steps.c.lead_id],
            set_={"level": 0, "step_at": statement.excluded.step_at},
        )
    )


def stop_steps(session: Session, lead_ids: Sequence[int]) -> None:
    """Drop the step rows of clocks that stopped."""
    if lead_ids:
        steps = cast(Table, LeadSlaStep.__table__)
        dialect = session.get_bind().dialect.name
        session.execute(delete(steps).where(one_of(dialect, steps.c.lead_id, lead_ids)))


def _lead_and_sla(session: Session, lead_id: int) -> tuple[Lead, TeamSla, SlaRules]:
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise NotFound(N_("lead %(lead_id)s does not exist"), field="lead_id", lead_id=lead_id)
    rules = active_sla_rules(session).rules
    team = (
        session.scalar(select(Team.name).where(Team.id == lead.team_id)) if lead.team_id else None
    )
    return lead, rules.for_team(team), rules


def _team_names(session: Session, rules: SlaRules) -> dict[int, str]:
    """Ids of the teams the rules name (the others take the default)."""
    if not rules.teams:
        return {}
    rows = session.execute(select(Team.id, Team.name).where(Team.name.in_(list(rules.teams))))
    return {team_id: name for team_id, name in rows}


def _update(session: Session, lead_ids: list[int], **values: object) -> None:
    """One set-based UPDATE of the clock columns; loaded Lead objects are refreshed on access."""
    dialect = session.get_bind().dialect.name
    session.execute(
        update(Lead.__table__)  # type: ignore[arg-type]
        .where(one_of(dialect, Lead.__table__.c.id, lead_ids))
        .values(**values)
    )
    wanted = set(lead_ids)
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Lead) and obj.id in wanted:
            session.expire(obj, list(_CLOCK_COLUMNS))
