"""The lead-to-cash funnel: how many leads reached each stage, conversion, and days between."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from pydantic import BaseModel
from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from closeloop.analytics import repository
from closeloop.analytics.period import Grouping, Period
from closeloop.analytics.ratios import ratio
from closeloop.analytics.repository import GroupKey, HourHistogram
from closeloop.analytics.roi import NO_GROUP, TOTAL
from closeloop.models import Lead, Opportunity, Order


@dataclass(frozen=True)
class FunnelStage:
    name: str
    # The timestamps a lead passes between the previous stage and this one, when both exist.
    since: ColumnElement[object] | None = None
    until: ColumnElement[object] | None = None
    through_deals: bool = False


STAGES = (
    FunnelStage("lead"),
    FunnelStage("valid_lead"),  # validity has no time of its own
    FunnelStage("mql", Lead.created_at, Lead.mql_at),
    FunnelStage("sal", Lead.mql_at, Lead.sal_at),
    FunnelStage("sql", Lead.sal_at, Lead.sql_at),
    FunnelStage("won", Lead.sql_at, Opportunity.closed_at, through_deals=True),
    FunnelStage("invoiced", Opportunity.closed_at, Order.invoiced_at, through_deals=True),
    FunnelStage("paid", Order.invoiced_at, Order.paid_at, through_deals=True),
)
STAGE_NAMES = tuple(stage.name for stage in STAGES)


class FunnelRow(BaseModel):
    """One stage of one group: how many leads reached it and how they got there."""

    key: str | None
    stage: str
    count: int
    conversion: Decimal | None  # from the previous stage
    conversion_from_lead: Decimal | None
    median_days: Decimal | None  # from the previous stage's time to this stage's


class FunnelReport(BaseModel):
    grouping: Grouping | None
    period: Period
    groups: list[str]
    rows: list[FunnelRow]  # stages in order, group after group, the total group last


def funnel_report(session: Session, *, grouping: Grouping | None, period: Period) -> FunnelReport:
    """Counts, conversions and median days at each stage from lead to cash."""
    group_by = grouping or Grouping.CHANNEL
    counts: dict[GroupKey, list[int]] = defaultdict(lambda: [0] * len(STAGES))
    for key, lead_counts in repository.lead_stage_counts(session, group_by, period).items():
        counts[key][0:5] = lead_counts
    for key, deal_counts in repository.funnel_deal_counts(session, group_by, period).items():
        counts[key][5:8] = deal_counts
    histograms: list[HourHistogram | None] = [
        repository.hours_histogram(
            session, group_by, period, stage.since, stage.until, through_deals=stage.through_deals
        )
        if stage.since is not None and stage.until is not None
        else None
        for stage in STAGES
    ]

    total_counts = [sum(c[i] for c in counts.values()) for i in range(len(STAGES))]
    total_histograms = [_merge(h.values()) if h is not None else None for h in histograms]
    rows: list[FunnelRow] = []
    groups: list[str] = []
    if grouping is not None:
        labels = repository.group_labels(session, grouping)
        ordered = sorted(
            counts, key=lambda k: (-counts[k][0], labels.get(k, NO_GROUP) if k else NO_GROUP)
        )
        for key in ordered:
            label = labels.get(key, NO_GROUP) if key is not None else NO_GROUP
            groups.append(label)
            group_histograms = [h.get(key, {}) if h is not None else None for h in histograms]
            rows += _stage_rows(label, counts[key], group_histograms)
    groups.append(TOTAL)
    rows += _stage_rows(TOTAL if grouping else None, total_counts, total_histograms)
    return FunnelReport(grouping=grouping, period=period, groups=groups, rows=rows)


def _stage_rows(
    key: str | None, counts: list[int], histograms: list[dict[int, int] | None]
) -> list[FunnelRow]:
    rows = []
    for index, stage in enumerate(STAGES):
        histogram = histograms[index]
        rows.append(
            FunnelRow(
                key=key,
                stage=stage.name,
                count=counts[index],
                conversion=ratio(counts[index], counts[index - 1]) if index else None,
                conversion_from_lead=ratio(counts[index], counts[0]),
                median_days=median_days(histogram) if histogram is not None else None,
            )
        )
    return rows


def _merge(histograms: Iterable[dict[int, int]]) -> dict[int, int]:
    merged: dict[int, int] = defaultdict(int)
    for histogram in histograms:
        for bucket, count in histogram.items():
            merged[bucket] += count
    return merged


def median_days(histogram: dict[int, int]) -> Decimal | None:
    """The median of an hours histogram, in days to one decimal; None when it is empty."""
    n = sum(histogram.values())
    if n == 0:
        return None
    wanted = {(n - 1) // 2, n // 2}
    found: list[int] = []
    seen = 0
    for bucket in sorted(histogram):
        count = histogram[bucket]
        for position in sorted(wanted):
            if seen <= position < seen + count:
                found.append(bucket)
        seen += count
    middle = Decimal(sum(found)) / len(found)
    return (middle / 24).quantize(Decimal("0.1"), ROUND_HALF_EVEN)


def funnel_json_rows(report: FunnelReport) -> list[dict[str, object]]:
    """Rows for --json and the API: stage rows, with the grouping name as key when grouped."""
    out = []
    for row in report.rows:
        data = row.model_dump(mode="json")
        key = data.pop("key")
        out.append({report.grouping.value: key, **data} if report.grouping else data)
    return out
