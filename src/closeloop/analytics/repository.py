"""Every SQL query of the reports: set-based, one GROUP BY per measure."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, SQLColumnExpression, distinct, func, select
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
HourHistogram = dict[GroupKey, dict[int, int]]


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
    models: dict[Grouping, type[Channel] | type[Campaign] | type[Content]] = {
        Grouping.CHANNEL: Channel,
        Grouping.CAMPAIGN: Campaign,
        Grouping.CONTENT: Content,
    }
    model = models[grouping]
    return {row.id: row.name for row in session.execute(select(model.id, model.name))}


def _by_group(
    session: Session, statement: Select[Any], path: Sequence[SQLColumnExpression[Any]]
) -> Iterable[tuple[GroupKey, tuple[Any, ...]]]:
    """Run ``statement`` grouped by ``path`` (its columns first); yield (group key, measures).

    Rows that share a key (NULL campaigns of different channels) come out one after the other,
    and the caller adds them up.
    """
    grouped = statement.add_columns(*path).group_by(*path)
    width = len(path)
    for row in session.execute(grouped):
        yield row[-1], row[:-width]


def lead_stage_counts(
    session: Session, grouping: Grouping, period: Period
) -> dict[GroupKey, list[int]]:
    """[lead, valid, MQL, SAL, SQL] counts by group (cumulative: see ``cohort``)."""
    statement = select(
        func.count(),
        cohort.count_where(cohort.never_valid),
        func.count(cohort.reached_mql_at),
        func.count(cohort.reached_sal_at),
        func.count(cohort.reached_sql_at),
    ).where(cohort.in_cohort(period))
    counts: dict[GroupKey, list[int]] = defaultdict(lambda: [0] * 5)
    for key, (leads, never_valid, mql, sal, sql) in _by_group(
        session, statement, cohort.lead_group_path(grouping)
    ):
        for index, value in enumerate((leads, leads - never_valid, mql, sal, sql)):
            counts[key][index] += int(value)
    return dict(counts)


def roi_measures(
    session: Session, grouping: Grouping, period: Period
) -> dict[GroupKey, GroupMeasures]:
    """Everything the ROI table needs, by group: six grouped queries."""
    path = cohort.lead_group_path(grouping)
    measures: dict[GroupKey, GroupMeasures] = defaultdict(GroupMeasures)
    for key, (leads, valid, mql, sal, sql) in lead_stage_counts(session, grouping, period).items():
        m = measures[key]
        m.leads, m.valid_leads, m.mql, m.sal, m.sql = leads, valid, mql, sal, sql

    won = Opportunity.status == StageOutcome.WON
    opportunity_counts = (
        select(
            func.count(Opportunity.id),
            cohort.count_where(won),
            cohort.count_where(Opportunity.status == StageOutcome.LOST),
            func.count(distinct(Opportunity.account_id)).filter(won),
        )
        .join(Lead, Lead.id == Opportunity.lead_id)
        .where(cohort.in_cohort(period), cohort.reached_mql_or_later)
    )
    for key, (opportunities, won_count, lost, customers) in _by_group(
        session, opportunity_counts, path
    ):
        m = measures[key]
        m.opportunities += opportunities
        m.won += won_count
        m.lost += lost
        m.customers += customers

    won_orders = (
        select()
        .select_from(Order)
        .join(Opportunity, Opportunity.id == Order.opportunity_id)
        .join(Lead, Lead.id == Opportunity.lead_id)
        .where(won, cohort.in_cohort(period), cohort.reached_mql_or_later)
    )
    invoices = won_orders.join(Invoice, Invoice.order_id == Order.id)
    allocations = invoices.join(Allocation, Allocation.invoice_id == Invoice.id)
    spend = select().select_from(SpendEntry).where(cohort.spend_in_period(period))
    for statement, currency, amount, attribute, money_path in (
        (won_orders, Order.currency, Order.amount_minor, "revenue_minor", path),
        (invoices, Invoice.currency, Invoice.amount_minor, "invoiced_minor", path),
        (allocations, Invoice.currency, Allocation.amount_minor, "cash_minor", path),
        (spend, SpendEntry.currency, SpendEntry.amount_minor, "spend_minor",
         cohort.spend_group_path(grouping)),
    ):  # fmt: skip
        money = statement.add_columns(currency, func.sum(amount)).group_by(currency)
        for key, (code, total) in _by_group(session, money, money_path):
            m = measures[key]
            setattr(m, attribute, getattr(m, attribute) + int(total or 0))
            m.currencies.add(code)
    return dict(measures)


def total_customers(session: Session, period: Period) -> int:
    """Distinct accounts won from the cohort (a customer won twice counts once in the total)."""
    statement = (
        select(func.count(distinct(Opportunity.account_id)))
        .join(Lead, Lead.id == Opportunity.lead_id)
        .where(
            Opportunity.status == StageOutcome.WON,
            cohort.in_cohort(period),
            cohort.reached_mql_or_later,
        )
    )
    return int(session.scalar(statement) or 0)


@dataclass(frozen=True)
class WonDeal:
    """A won opportunity of a cohort lead, and the hours each step after SQL took."""

    key: GroupKey
    lead_id: int
    hours_to_won: int | None  # from the lead's SQL time to the close
    hours_to_invoiced: int | None  # from the close to the first invoice
    hours_to_paid: int | None  # from the first invoice to full payment
    invoiced: bool
    paid: bool


def won_deals(session: Session, grouping: Grouping, period: Period) -> list[WonDeal]:
    """The won deals of the cohort: a few percent of its leads, read in one query."""
    path = cohort.lead_group_path(grouping)
    statement = (
        select(
            path[-1],
            Lead.id,
            hours_between(Lead.sql_at, Opportunity.closed_at),
            hours_between(Opportunity.closed_at, Order.invoiced_at),
            hours_between(Order.invoiced_at, Order.paid_at),
            Order.invoiced_at.is_not(None),
            Order.paid_at.is_not(None),
        )
        .select_from(Opportunity)
        .join(Lead, Lead.id == Opportunity.lead_id)
        .outerjoin(Order, Order.opportunity_id == Opportunity.id)
        .where(
            Opportunity.status == StageOutcome.WON,
            cohort.in_cohort(period),
            cohort.reached_mql_or_later,
        )
    )
    return [
        WonDeal(key, lead_id, won, invoiced_h, paid_h, bool(invoiced) or bool(paid), bool(paid))
        for key, lead_id, won, invoiced_h, paid_h, invoiced, paid in session.execute(statement)
    ]


def hours_histogram(
    session: Session,
    grouping: Grouping,
    period: Period,
    start: SQLColumnExpression[Any],
    end: SQLColumnExpression[Any],
) -> HourHistogram:
    """How many cohort leads took each whole number of hours from ``start`` to ``end``.

    Medians are read off this histogram, which keeps the work in SQL and the same on both
    databases (SQLite has no percentile function).
    """
    hours = hours_between(start, end)
    statement = (
        select(func.count())
        .add_columns(hours)
        .where(
            cohort.in_cohort(period),
            cohort.reached_mql_or_later,
            start.is_not(None),
            end.is_not(None),
        )
        .group_by(hours)
    )
    histogram: HourHistogram = defaultdict(lambda: defaultdict(int))
    for key, (count, bucket) in _by_group(session, statement, cohort.lead_group_path(grouping)):
        histogram[key][int(bucket)] += int(count)
    return {key: dict(buckets) for key, buckets in histogram.items()}
