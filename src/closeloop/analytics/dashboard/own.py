"""A rep's own dashboard figures, or a manager's team's: small queries on the owner."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from closeloop.access.actor import Actor
from closeloop.analytics import cohort
from closeloop.analytics.dashboard.company import (
    period_bounds,
)
from closeloop.analytics.dashboard.periods import DashboardPeriod
from closeloop.analytics.period import Period
from closeloop.analytics.ratios import ratio
from closeloop.models import (
    Lead,
    LeadStatus,
    Opportunity,
    Order,
    Role,
    StageOutcome,
    User,
)
from closeloop.money import from_minor

COMPANY_ROLES = {Role.ADMIN, Role.EXECUTIVE, Role.MARKETING, Role.FINANCE}
OPEN_LEAD_STATUSES = (LeadStatus.NEW, LeadStatus.WORKING, LeadStatus.MQL, LeadStatus.SAL)
DUE_SOON = timedelta(hours=2)


# ---- a rep's own figures (or a manager's team) -------------------------------------------------


@dataclass(frozen=True)
class OwnPeriod:
    """One period of a rep's (or a team's) own leads and deals."""

    leads: int  # own leads created in the period
    contacted: int
    sal: int
    sql: int
    won: int
    lost: int
    won_revenue: Decimal

    @property
    def contacted_share(self) -> Decimal | None:
        return ratio(self.contacted, self.leads)

    @property
    def lead_to_sal(self) -> Decimal | None:
        return ratio(self.sal, self.leads)

    @property
    def lead_to_sql(self) -> Decimal | None:
        return ratio(self.sql, self.leads)

    @property
    def win_rate(self) -> Decimal | None:
        return ratio(self.won, self.won + self.lost)


@dataclass(frozen=True)
class SlaClocks:
    overdue: int
    due_soon: int  # within ``DUE_SOON``
    running: int


@dataclass(frozen=True)
class DueLead:
    id: int
    name: str | None
    company: str | None
    status: str
    sla_kind: str | None
    sla_due_at: datetime


@dataclass
class OwnFigures:
    scope: str  # "own" or "team"
    currency: str
    open_leads: int
    clocks: SlaClocks
    current: OwnPeriod
    previous: OwnPeriod
    next_due: list[DueLead]
    computed_at: datetime


def _owners(actor: Actor) -> ColumnElement[bool]:
    """The owners whose figures the actor sees: themselves, or their team's members."""
    if actor.role == Role.SALES_MANAGER and actor.team_id is not None:
        return Lead.owner_id.in_(select(User.id).where(User.team_id == actor.team_id))
    return Lead.owner_id == actor.user_id


def _opportunity_owners(actor: Actor) -> ColumnElement[bool]:
    if actor.role == Role.SALES_MANAGER and actor.team_id is not None:
        return Opportunity.owner_id.in_(select(User.id).where(User.team_id == actor.team_id))
    return Opportunity.owner_id == actor.user_id


def own_figures(
    session: Session, actor: Actor, period: DashboardPeriod, *, currency: str, now: datetime
) -> OwnFigures:
    """A rep's open leads, SLA clocks, conversion and won revenue (a manager's: the team's)."""
    owners = _owners(actor)
    open_leads = int(
        session.scalar(
            select(func.count()).where(
                owners, Lead.status.in_([s.value for s in OPEN_LEAD_STATUSES])
            )
        )
        or 0
    )
    running = Lead.sla_due_at.is_not(None)
    overdue, due_soon, all_running = session.execute(
        select(
            cohort.count_where(Lead.sla_due_at < now),
            cohort.count_where(and_(Lead.sla_due_at >= now, Lead.sla_due_at < now + DUE_SOON)),
            func.count(),
        ).where(owners, running)
    ).one()
    next_due = [
        DueLead(row.id, row.full_name, row.company, row.status, row.sla_kind, row.sla_due_at)
        for row in session.execute(
            select(
                Lead.id,
                Lead.full_name,
                Lead.company,
                Lead.status,
                Lead.sla_kind,
                Lead.sla_due_at,
            )
            .where(owners, running)
            .order_by(Lead.sla_due_at, Lead.id)
            .limit(5)
        )
    ]
    return OwnFigures(
        scope="team" if actor.role == Role.SALES_MANAGER and actor.team_id else "own",
        currency=currency,
        open_leads=open_leads,
        clocks=SlaClocks(int(overdue), int(due_soon), int(all_running)),
        current=_own_period(session, actor, period.current, currency),
        previous=_own_period(session, actor, period.previous, currency),
        next_due=next_due,
        computed_at=now,
    )


def _own_period(session: Session, actor: Actor, period: Period, currency: str) -> OwnPeriod:
    since, until = period_bounds(period)
    leads, contacted, sal, sql = session.execute(
        select(
            func.count(),
            func.count(Lead.first_contact_at),
            func.count(cohort.reached_sal_at),
            func.count(cohort.reached_sql_at),
        ).where(_owners(actor), cohort.in_cohort(period))
    ).one()
    closed = and_(
        _opportunity_owners(actor), Opportunity.closed_at >= since, Opportunity.closed_at < until
    )
    won, lost = session.execute(
        select(
            cohort.count_where(Opportunity.status == StageOutcome.WON),
            cohort.count_where(Opportunity.status == StageOutcome.LOST),
        ).where(closed)
    ).one()
    revenue = session.scalar(
        select(func.sum(Order.amount_minor))
        .join(Opportunity, Opportunity.id == Order.opportunity_id)
        .where(closed, Opportunity.status == StageOutcome.WON, Order.currency == currency)
    )
    return OwnPeriod(
        leads=int(leads),
        contacted=int(contacted),
        sal=int(sal),
        sql=int(sql),
        won=int(won),
        lost=int(lost),
        won_revenue=from_minor(int(revenue or 0), currency),
    )


def sees_company(actor: Actor) -> bool:
    """Company figures for the roles that read reports; a rep and an SDR see their own."""
    return actor.role in COMPANY_ROLES or actor.role == Role.SALES_MANAGER


RECEIVABLES_ROLES = {Role.FINANCE, Role.ADMIN, Role.EXECUTIVE}
SALES_ROLES = {Role.SALES_REP, Role.SDR, Role.SALES_MANAGER}


def sees_receivables(actor: Actor) -> bool:
    """Receivables and aging: finance's, and the admin's and the executive's."""
    return actor.role in RECEIVABLES_ROLES


def own_scope(actor: Actor) -> tuple[str, int] | None:
    """Whose own figures the actor's dashboard shows: the team's for a manager, a rep's own,
    none for the other roles."""
    if actor.role not in SALES_ROLES or not actor.user_id:
        return None
    if actor.role == Role.SALES_MANAGER:
        return ("team", actor.team_id or -1)
    return ("own", actor.user_id)
