"""Every SQL query of the reports: set-based, one GROUP BY per measure."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Select, distinct, func, select
from sqlalchemy.orm import Session

from closeloop.analytics import cohort
from closeloop.analytics.period import Grouping, Period
from closeloop.db.dialect import hours_between
from closeloop.models import (
    Allocation,
    Campaign,
    Channel,
    Content,
    Invoice,
    Lead,
    Opportunity,
    Order,
    SpendEntry,
    StageOutcome,
)

GroupKey = int | None


@dataclass
class GroupMeasures:
    """Raw counts and money (minor units) of one group."""

    leads: int = 0
    valid_leads: int = 0
    mql: int = 0
    sal: int = 0
    sql: int = 0
    opportunities: int = 0
    won: int = 0
    lost: int = 0
    customers: int = 0
    spend_minor: int = 0
    revenue_minor: int = 0
    invoiced_minor: int = 0
    cash_minor: int = 0
    currencies: set[str] = field(default_factory=set)


def group_labels(session: Session, grouping: Grouping) -> dict[int, str]:
    """Display names of the groups (channel, campaign or content) by id."""
    model = {Grouping.CHANNEL: Channel, Grouping.CAMPAIGN: Campaign, Grouping.CONTENT: Content}[
        grouping
    ]
    return {row.id: row.name for row in session.execute(select(model.id, model.name))}


def lead_stage_counts(
    session: Session, grouping: Grouping, period: Period
) -> dict[GroupKey, tuple[int, int, int, int, int]]:
    """(lead, valid, MQL, SAL, SQL) counts by group."""
    group = cohort.lead_group_column(grouping)
    statement = (
        select(
            group,
            func.count(),
            cohort.count_where(cohort.reached_valid),
            cohort.count_where(cohort.reached_mql),
            cohort.count_where(cohort.reached_sal),
            cohort.count_where(cohort.reached_sql),
        )
        .where(cohort.in_cohort(period))
        .group_by(group)
    )
    return {key: (a, b, c, d, e) for key, a, b, c, d, e in session.execute(statement)}


def roi_measures(
    session: Session, grouping: Grouping, period: Period
) -> dict[GroupKey, GroupMeasures]:
    """Everything the ROI table needs, by group, in five grouped queries."""
    group = cohort.lead_group_column(grouping)
    measures: dict[GroupKey, GroupMeasures] = defaultdict(GroupMeasures)

    for key, (leads, valid, mql, sal, sql) in lead_stage_counts(session, grouping, period).items():
        m = measures[key]
        m.leads, m.valid_leads, m.mql, m.sal, m.sql = leads, valid, mql, sal, sql

    won = Opportunity.status == StageOutcome.WON
    opportunity_counts = (
        select(
            group,
            func.count(Opportunity.id),
            cohort.count_where(won),
            cohort.count_where(Opportunity.status == StageOutcome.LOST),
            func.count(distinct(Opportunity.account_id)).filter(won),
        )
        .join(Lead, Lead.id == Opportunity.lead_id)
        .where(cohort.in_cohort(period))
        .group_by(group)
    )
    for key, opportunities, won_count, lost, customers in session.execute(opportunity_counts):
        m = measures[key]
        m.opportunities, m.won, m.lost, m.customers = opportunities, won_count, lost, customers

    won_orders = (
        select(Order)
        .join(Opportunity, Opportunity.id == Order.opportunity_id)
        .join(Lead, Lead.id == Opportunity.lead_id)
        .where(won, cohort.in_cohort(period))
    )
    for key, currency, amount in _money_by_group(
        session, won_orders, group, Order.currency, Order.amount_minor
    ):
        measures[key].revenue_minor += amount
        measures[key].currencies.add(currency)
    invoiced = won_orders.join(Invoice, Invoice.order_id == Order.id)
    for key, currency, amount in _money_by_group(
        session, invoiced, group, Invoice.currency, Invoice.amount_minor
    ):
        measures[key].invoiced_minor += amount
        measures[key].currencies.add(currency)
    cash = invoiced.join(Allocation, Allocation.invoice_id == Invoice.id)
    for key, currency, amount in _money_by_group(
        session, cash, group, Invoice.currency, Allocation.amount_minor
    ):
        measures[key].cash_minor += amount
        measures[key].currencies.add(currency)

    spend_group = cohort.spend_group_column(grouping)
    spend = (
        select(spend_group, SpendEntry.currency, func.sum(SpendEntry.amount_minor))
        .where(cohort.spend_in_period(period))
        .group_by(spend_group, SpendEntry.currency)
    )
    for key, currency, amount in session.execute(spend):
        measures[key].spend_minor += int(amount)
        measures[key].currencies.add(currency)
    return dict(measures)


def _money_by_group(
    session: Session,
    joined: Select[tuple[Order]],
    group: ColumnElement[GroupKey],
    currency: ColumnElement[str],
    amount: ColumnElement[int],
) -> Iterable[tuple[GroupKey, str, int]]:
    statement = joined.with_only_columns(group, currency, func.sum(amount)).group_by(
        group, currency
    )
    for key, code, total in session.execute(statement):
        yield key, code, int(total or 0)


def total_customers(session: Session, period: Period) -> int:
    """Distinct accounts won from the cohort (a customer won twice counts once in the total)."""
    statement = (
        select(func.count(distinct(Opportunity.account_id)))
        .join(Lead, Lead.id == Opportunity.lead_id)
        .where(Opportunity.status == StageOutcome.WON, cohort.in_cohort(period))
    )
    return int(session.scalar(statement) or 0)


# ---- funnel -------------------------------------------------------------------------------


def funnel_deal_counts(
    session: Session, grouping: Grouping, period: Period
) -> dict[GroupKey, tuple[int, int, int]]:
    """(won, invoiced, paid in full) counts of distinct leads by group."""
    group = cohort.lead_group_column(grouping)
    paid = Order.paid_at.is_not(None)
    invoiced = Order.invoiced_at.is_not(None)
    statement = (
        select(
            group,
            func.count(distinct(Lead.id)),
            func.count(distinct(Lead.id)).filter(invoiced | paid),
            func.count(distinct(Lead.id)).filter(paid),
        )
        .select_from(Opportunity)
        .join(Lead, Lead.id == Opportunity.lead_id)
        .outerjoin(Order, Order.opportunity_id == Opportunity.id)
        .where(Opportunity.status == StageOutcome.WON, cohort.in_cohort(period))
        .group_by(group)
    )
    return {key: (w, i, p) for key, w, i, p in session.execute(statement)}


# Each step of the funnel that has its own timestamps: (name, from-time, to-time, needs a deal).
HourHistogram = dict[GroupKey, dict[int, int]]


def hours_histogram(
    session: Session,
    grouping: Grouping,
    period: Period,
    start: ColumnElement[object],
    end: ColumnElement[object],
    *,
    through_deals: bool,
) -> HourHistogram:
    """How many cohort leads took each whole number of hours from ``start`` to ``end``.

    Medians are read off this histogram, which keeps the work in SQL and the same on both
    databases (SQLite has no percentile function).
    """
    group = cohort.lead_group_column(grouping)
    hours = hours_between(start, end)
    statement = select(group, hours, func.count()).where(
        cohort.in_cohort(period), start.is_not(None), end.is_not(None)
    )
    if through_deals:
        statement = (
            statement.select_from(Opportunity)
            .join(Lead, Lead.id == Opportunity.lead_id)
            .outerjoin(Order, Order.opportunity_id == Opportunity.id)
            .where(Opportunity.status == StageOutcome.WON)
        )
    statement = statement.group_by(group, hours)
    histogram: HourHistogram = defaultdict(dict)
    for key, bucket, count in session.execute(statement):
        histogram[key][int(bucket)] = int(count)
    return dict(histogram)
