"""SLA compliance (PRODUCT.md): the share of assigned leads contacted within the SLA.

Over the leads assigned in ``[since, until)``, each lead's first-contact deadline is its
``assigned_at`` plus its team's ``first_contact_hours`` (working hours, rules in force now):

- in time: ``first_contact_at`` at or before the deadline;
- late: contacted after the deadline;
- missed: not contacted and the deadline has passed by ``as_of`` (``until``, or now if sooner);
- pending: not contacted and the deadline is still ahead — not yet decided, left out of the share.

compliance = in time / (in time + late + missed). Rows per team add up to the total row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from closeloop.db.types import utcnow
from closeloop.errors import Invalid, NotFound
from closeloop.i18n import N_
from closeloop.leads.sla.calendar import to_us, to_us_array
from closeloop.leads.sla.rules import active_sla_rules
from closeloop.models import Lead, Team


@dataclass
class ComplianceRow:
    team: str | None  # None: leads without a team; "total" row has team "all"
    first_contact_hours: float | None
    assigned: int = 0
    in_time: int = 0
    late: int = 0
    missed: int = 0
    pending: int = 0

    @property
    def decided(self) -> int:
        return self.in_time + self.late + self.missed

    @property
    def compliance(self) -> float | None:
        return self.in_time / self.decided if self.decided else None

    def as_dict(self) -> dict[str, object]:
        return {
            "team": self.team,
            "first_contact_hours": self.first_contact_hours,
            "assigned": self.assigned,
            "in_time": self.in_time,
            "late": self.late,
            "missed": self.missed,
            "pending": self.pending,
            "compliance": None if self.compliance is None else round(self.compliance, 4),
        }


@dataclass
class SlaCompliance:
    since: datetime
    until: datetime
    as_of: datetime
    rule_version: int
    total: ComplianceRow
    teams: list[ComplianceRow] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "as_of": self.as_of.isoformat(),
            "rule_version": self.rule_version,
            **self.total.as_dict(),
            "teams": [row.as_dict() for row in self.teams],
        }


def sla_compliance(
    session: Session,
    *,
    since: datetime,
    until: datetime,
    team: str | None = None,
    as_of: datetime | None = None,
) -> SlaCompliance:
    """First-contact SLA compliance of the leads assigned in ``[since, until)``, per team."""
    if until <= since:
        raise Invalid(
            N_("the period ends (%(until)s) before it starts"),
            field="until",
            until=f"{until:%Y-%m-%d}",
        )
    as_of = min(until, as_of or utcnow())
    active = active_sla_rules(session)
    rules = active.rules
    teams = {team_id: name for team_id, name in session.execute(select(Team.id, Team.name))}
    statement = select(Lead.team_id, Lead.assigned_at, Lead.first_contact_at).where(
        Lead.assigned_at >= since, Lead.assigned_at < until
    )
    if team is not None:
        team_id = next((i for i, name in teams.items() if name == team), None)
        if team_id is None:
            raise NotFound(N_("no team named %(team)r"), field="team", team=team)
        statement = statement.where(Lead.team_id == team_id)
    groups: dict[int | None, list[tuple[datetime, datetime | None]]] = {}
    for team_id, assigned_at, first_contact_at in session.execute(statement):
        if assigned_at is not None:  # always, by the WHERE clause; says so to the type checker
            groups.setdefault(team_id, []).append((assigned_at, first_contact_at))

    as_of_us = to_us(as_of)
    total = ComplianceRow(team="all", first_contact_hours=None)
    rows = []
    for team_id in sorted(groups, key=lambda i: (i is None, teams.get(i or 0) or "")):
        pairs = groups[team_id]
        name = teams.get(team_id) if team_id is not None else None
        hours = rules.for_team(name).first_contact_hours
        assigned = to_us_array([a for a, _ in pairs])
        deadline = rules.working_calendar.add_working_hours_us(assigned, hours)
        contacted = np.array([c is not None for _, c in pairs], dtype=bool)
        contact = to_us_array([c if c is not None else a for a, c in pairs])
        row = ComplianceRow(team=name, first_contact_hours=hours, assigned=len(pairs))
        row.in_time = int(np.sum(contacted & (contact <= deadline)))
        row.late = int(np.sum(contacted & (contact > deadline)))
        row.missed = int(np.sum(~contacted & (deadline <= as_of_us)))
        row.pending = row.assigned - row.in_time - row.late - row.missed
        rows.append(row)
        for name_ in ("assigned", "in_time", "late", "missed", "pending"):
            setattr(total, name_, getattr(total, name_) + getattr(row, name_))
    return SlaCompliance(since, until, as_of, active.version, total, rows)
