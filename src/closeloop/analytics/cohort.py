"""The lead cohort every report starts from, and how far each lead got.

PRODUCT.md: "a lead that skips a step counts as having passed the steps before it". So reaching a
stage is cumulative: a lead reached MQL if it has an MQL, SAL or SQL time, and so on.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, not_, or_
from sqlalchemy.orm import InstrumentedAttribute

from closeloop.analytics.period import Grouping, Period
from closeloop.models import INVALID_REASONS, Lead, LeadStatus, SpendEntry

reached_sql: ColumnElement[bool] = Lead.sql_at.is_not(None)
reached_sal: ColumnElement[bool] = or_(Lead.sal_at.is_not(None), reached_sql)
reached_mql: ColumnElement[bool] = or_(Lead.mql_at.is_not(None), reached_sal)
is_valid: ColumnElement[bool] = not_(
    or_(
        Lead.status == LeadStatus.MERGED,
        and_(
            Lead.status == LeadStatus.DISQUALIFIED,
            Lead.disqualified_reason.in_([r.value for r in INVALID_REASONS]),
        ),
    )
)
reached_valid: ColumnElement[bool] = or_(is_valid, reached_mql)


def count_where(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    """Portable COUNT(*) FILTER (WHERE condition)."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def lead_group_column(grouping: Grouping) -> InstrumentedAttribute[int | None]:
    """The lead column a grouping groups by."""
    return {
        Grouping.CHANNEL: Lead.channel_id,
        Grouping.CAMPAIGN: Lead.campaign_id,
        Grouping.CONTENT: Lead.content_id,
    }[grouping]


def spend_group_column(grouping: Grouping) -> InstrumentedAttribute[int | None]:
    """The spend column a grouping groups by."""
    return {
        Grouping.CHANNEL: SpendEntry.channel_id,
        Grouping.CAMPAIGN: SpendEntry.campaign_id,
        Grouping.CONTENT: SpendEntry.content_id,
    }[grouping]  # type: ignore[return-value]


def in_cohort(period: Period) -> ColumnElement[bool]:
    """Leads created in the period (cohort view)."""
    conditions: list[ColumnElement[bool]] = []
    if period.start_at:
        conditions.append(Lead.created_at >= period.start_at)
    if period.end_before:
        conditions.append(Lead.created_at < period.end_before)
    return and_(True, *conditions)


def spend_in_period(period: Period) -> ColumnElement[bool]:
    """Spend booked on a day of the period."""
    conditions: list[ColumnElement[bool]] = []
    if period.start:
        conditions.append(SpendEntry.spent_on >= period.start)
    if period.end:
        conditions.append(SpendEntry.spent_on <= period.end)
    return and_(True, *conditions)
