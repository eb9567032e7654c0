"""The lead cohort every report starts from, and how far each lead got.

PRODUCT.md: "a lead that skips a step counts as having passed the steps before it". So reaching a
stage is cumulative: a lead reached MQL if it has an MQL, SAL or SQL time, and so on.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_
from sqlalchemy.orm import InstrumentedAttribute

from closeloop.analytics.period import Grouping, Period
from closeloop.models import INVALID_REASONS, Lead, LeadStatus, SpendEntry

# The first time a lead reached a stage or any later one (NULL if it never did).
reached_sql_at = Lead.sql_at
reached_sal_at = func.coalesce(Lead.sal_at, Lead.sql_at)
reached_mql_at = func.coalesce(Lead.mql_at, Lead.sal_at, Lead.sql_at)

# Exactly the predicate of the partial index ix_leads_reached, so that queries about leads that
# got past valid (funnel times, deals) read that index instead of the whole table. A lead with an
# opportunity reached SQL: opening the opportunity is what makes it SQL.
reached_mql_or_later: ColumnElement[bool] = or_(
    Lead.mql_at.is_not(None), Lead.sal_at.is_not(None), Lead.sql_at.is_not(None)
)

# Cleaned away: merged, or disqualified as invalid/spam/unreachable. COALESCE, because with a
# NULL reason `IN` gives NULL and the lead would be neither valid nor invalid.
cleaned_away: ColumnElement[bool] = or_(
    Lead.status == LeadStatus.MERGED,
    and_(
        Lead.status == LeadStatus.DISQUALIFIED,
        func.coalesce(Lead.disqualified_reason, "").in_([r.value for r in INVALID_REASONS]),
    ),
)
# Valid unless cleaned away, and any lead that got further than valid was valid.
never_valid: ColumnElement[bool] = and_(cleaned_away, reached_mql_at.is_(None))


def count_where(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    """Portable COUNT(*) FILTER (WHERE condition)."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


# A grouping groups by its whole path (channel, campaign, content): a campaign belongs to one
# channel, so the groups are the same, and an index led by the path lets SQLite group while it
# scans instead of sorting a million rows. The last column is the group's key.
_LEAD_PATHS = {
    Grouping.CHANNEL: (Lead.channel_id,),
    Grouping.CAMPAIGN: (Lead.channel_id, Lead.campaign_id),
    Grouping.CONTENT: (Lead.channel_id, Lead.campaign_id, Lead.content_id),
}
_SPEND_PATHS = {
    Grouping.CHANNEL: (SpendEntry.channel_id,),
    Grouping.CAMPAIGN: (SpendEntry.channel_id, SpendEntry.campaign_id),
    Grouping.CONTENT: (SpendEntry.channel_id, SpendEntry.campaign_id, SpendEntry.content_id),
}


def lead_group_path(grouping: Grouping) -> tuple[InstrumentedAttribute[Any], ...]:
    """The lead columns a grouping groups by; the last one is the group's key."""
    return _LEAD_PATHS[grouping]


def spend_group_path(grouping: Grouping) -> tuple[InstrumentedAttribute[Any], ...]:
    """The spend columns a grouping groups by; the last one is the group's key."""
    return _SPEND_PATHS[grouping]


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
