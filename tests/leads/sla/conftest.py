"""The sales organisation the SLA tests start from, and the rules they run under.

    team         manager                 reps
    Sales East   mei@example.com         ana@example.com, bo@example.com
    Sales West   (no manager)            cai@example.com

Rules (``RULES``, saved as version 1): Asia/Shanghai, Monday–Friday 09:00–18:00, no country
holidays; by default first contact within 2 working hours, accept within 2 working days, follow up
within 3; escalate 2 working hours after a breach, recycle 6 working hours after it. Sales East
promises first contact within 1 working hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from closeloop.db.engine import unit_of_work
from closeloop.leads.sla.rules import save_sla_rules
from closeloop.models import Lead, LeadSlaStep, LeadStatus, Role, Team, User

SH = ZoneInfo("Asia/Shanghai")

RULES = """\
calendar:
  timezone: Asia/Shanghai
  weekdays: [mon, tue, wed, thu, fri]
  hours: ["09:00-18:00"]
default:
  first_contact_hours: 2
  accept_days: 2
  follow_up_days: 3
  escalate_after_hours: 2
  recycle_after_hours: 6
teams:
  Sales East:
    first_contact_hours: 1
"""


def step_of(session: Session, lead_id: int) -> tuple[int, datetime] | None:
    """The breach step a lead's running clock is at (level, when the next step is due), or
    None for a lead without a clock."""
    row = session.execute(
        select(LeadSlaStep.level, LeadSlaStep.step_at).where(LeadSlaStep.lead_id == lead_id)
    ).one_or_none()
    return None if row is None else (row.level, row.step_at)


def clock_of(session: Session, lead_id: int) -> tuple[str | None, datetime | None, int | None]:
    """A lead's clock: its kind and deadline, and the level of its breach (None: no clock
    running). A clock that (re)starts takes its first step at its deadline."""
    row = session.execute(select(Lead.sla_kind, Lead.sla_due_at).where(Lead.id == lead_id)).one()
    step = step_of(session, lead_id)
    if step is None:
        return row.sla_kind, row.sla_due_at, None
    level, step_at = step
    if level == 0:
        assert step_at == row.sla_due_at
    return row.sla_kind, row.sla_due_at, level


def sh(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A Shanghai wall-clock moment in 2026."""
    return datetime(2026, month, day, hour, minute, tzinfo=SH)


@dataclass(frozen=True)
class Org:
    east: int
    west: int
    mei: int  # manager of Sales East
    ana: int  # rep, Sales East
    bo: int  # rep, Sales East
    cai: int  # rep, Sales West


@pytest.fixture
def org(engine: Engine) -> Org:
    """Teams, manager and reps of the module docstring, and RULES in force, committed."""
    with unit_of_work(engine) as session:
        east, west = Team(name="Sales East"), Team(name="Sales West")
        session.add_all([east, west])
        session.flush()
        people = {}
        for name, role, team in (
            ("mei", Role.SALES_MANAGER, east),
            ("ana", Role.SALES_REP, east),
            ("bo", Role.SALES_REP, east),
            ("cai", Role.SALES_REP, west),
        ):
            person = User(
                email=f"{name}@example.com", full_name=name.title(), role=role, team_id=team.id
            )
            session.add(person)
            people[name] = person
        session.flush()
        east.manager_id = people["mei"].id
        save_sla_rules(session, text=RULES, source="sla.yaml")
        return Org(east.id, west.id, *(people[n].id for n in ("mei", "ana", "bo", "cai")))


def add_lead(
    session: Session,
    *,
    owner: int | None,
    team: int | None,
    assigned_at: datetime | None = None,
    status: str = LeadStatus.WORKING,
    name: str = "王伟",
) -> int:
    """An owned lead (no clock yet); returns its id."""
    lead = Lead(
        full_name=name,
        company="华信科技",
        status=status,
        owner_id=owner,
        team_id=team,
        assigned_at=assigned_at,
    )
    session.add(lead)
    session.flush()
    return lead.id
