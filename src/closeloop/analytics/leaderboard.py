"""The sales leaderboard: per rep, what they were given and what they made of it in a period.

- assigned: leads assigned to the rep in the period (``assigned_at`` in the period; the current
  owner is the rep); contacted / converted: of those, the ones with a first logged contact, and
  the ones that reached SQL (an opportunity was opened);
- won, revenue: opportunities the rep owns that were won in the period (``closed_at``), and the
  amount of their orders (booked revenue);
- conversion rate = converted / assigned; win rate = won / (won + lost) in the period.

Three grouped queries, whatever the number of leads.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from closeloop.analytics.cohort import count_where
from closeloop.analytics.period import Period
from closeloop.analytics.ratios import ratio
from closeloop.config import get_settings
from closeloop.errors import Conflict
from closeloop.i18n import N_
from closeloop.models import Lead, Opportunity, Order, Role, StageOutcome, Team, User
from closeloop.money import from_minor, to_minor

SELLING_ROLES = (Role.SDR, Role.SALES_REP, Role.SALES_MANAGER)
TOTAL = "total"


class LeaderboardRow(BaseModel):
    user_id: int | None  # None on the total row
    name: str
    team_id: int | None
    assigned: int
    contacted: int
    converted: int
    won: int
    lost: int
    revenue: Decimal
    currency: str
    conversion_rate: Decimal | None
    win_rate: Decimal | None


class Leaderboard(BaseModel):
    period: Period
    currency: str
    rows: list[LeaderboardRow]
    total: LeaderboardRow


def _in_period(column: Any, period: Period) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [column.is_not(None)]
    if period.start_at is not None:
        conditions.append(column >= period.start_at)
    if period.end_before is not None:
        conditions.append(column < period.end_before)
    return conditions


def team_names(session: Session) -> dict[int, str]:
    """Every team's name by id, for the leaderboard's team column and filter."""
    return {team_id: name for team_id, name in session.execute(select(Team.id, Team.name))}


def leaderboard(session: Session, *, period: Period, team_id: int | None = None) -> Leaderboard:
    """Every selling user (active, or with numbers in the period), best revenue first."""
    leads = {
        owner: (int(a), int(c), int(s))
        for owner, a, c, s in session.execute(
            select(
                Lead.owner_id,
                func.count(),
                func.count(Lead.first_contact_at),
                func.count(Lead.sql_at),
            )
            .where(Lead.owner_id.is_not(None), *_in_period(Lead.assigned_at, period))
            .group_by(Lead.owner_id)
        )
    }
    deals = {
        owner: (int(won), int(lost))
        for owner, won, lost in session.execute(
            select(
                Opportunity.owner_id,
                count_where(Opportunity.status == StageOutcome.WON),
                count_where(Opportunity.status == StageOutcome.LOST),
            )
            .where(Opportunity.owner_id.is_not(None), *_in_period(Opportunity.closed_at, period))
            .group_by(Opportunity.owner_id)
        )
    }
    revenue: dict[int, int] = {}
    currencies: set[str] = set()
    for owner, currency, amount in session.execute(
        select(Opportunity.owner_id, Order.currency, func.sum(Order.amount_minor))
        .join(Order, Order.opportunity_id == Opportunity.id)
        .where(
            Opportunity.owner_id.is_not(None),
            Opportunity.status == StageOutcome.WON,
            *_in_period(Opportunity.closed_at, period),
        )
        .group_by(Opportunity.owner_id, Order.currency)
    ):
        if owner is not None:
            revenue[owner] = revenue.get(owner, 0) + int(amount or 0)
        currencies.add(currency)
    if len(currencies) > 1:
        raise Conflict(
            N_(
                "orders are booked in several currencies (%(currencies)s); "
                "the leaderboard needs one currency"
            ),
            currencies=", ".join(sorted(currencies)),
        )
    currency = currencies.pop() if currencies else get_settings().currency

    with_numbers = set(leads) | set(deals) | set(revenue)
    users = session.execute(
        select(User.id, User.full_name, User.team_id).where(
            (User.role.in_([r.value for r in SELLING_ROLES]) & User.is_active)
            | User.id.in_(with_numbers)
        )
    ).all()
    rows = [
        _row(
            user_id,
            name,
            team,
            leads.get(user_id, (0, 0, 0)),
            deals.get(user_id, (0, 0)),
            revenue.get(user_id, 0),
            currency,
        )
        for user_id, name, team in users
        if team_id is None or team == team_id
    ]
    rows.sort(key=lambda r: (-r.revenue, -r.won, -r.converted, r.name, r.user_id or 0))
    return Leaderboard(period=period, currency=currency, rows=rows, total=_total(rows, currency))


def _row(
    user_id: int | None,
    name: str,
    team_id: int | None,
    lead_counts: tuple[int, int, int],
    deal_counts: tuple[int, int],
    revenue_minor: int,
    currency: str,
) -> LeaderboardRow:
    assigned, contacted, converted = lead_counts
    won, lost = deal_counts
    return LeaderboardRow(
        user_id=user_id,
        name=name,
        team_id=team_id,
        assigned=assigned,
        contacted=contacted,
        converted=converted,
        won=won,
        lost=lost,
        revenue=from_minor(revenue_minor, currency),
        currency=currency,
        conversion_rate=ratio(converted, assigned),
        win_rate=ratio(won, won + lost),
    )


def _total(rows: Iterable[LeaderboardRow], currency: str) -> LeaderboardRow:
    rows = list(rows)
    return _row(
        None,
        TOTAL,
        None,
        (
            sum(r.assigned for r in rows),
            sum(r.contacted for r in rows),
            sum(r.converted for r in rows),
        ),
        (sum(r.won for r in rows), sum(r.lost for r in rows)),
        sum(to_minor(r.revenue, currency) for r in rows),
        currency,
    )
