"""The lead-to-cash funnel: how many leads reached each stage, conversion, and days between."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import ROUND_HALF_EVEN, Decimal

from pydantic import BaseModel
from sqlalchemy.orm import Session

from closeloop.analytics import repository
from closeloop.analytics.period import Grouping, Period
from closeloop.analytics.ratios import ratio
from closeloop.analytics.repository import GroupKey, HourHistogram, WonDeal
from closeloop.analytics.roi import NO_GROUP, TOTAL
from closeloop.models import Lead

STAGE_NAMES = ("lead", "valid_lead", "mql", "sal", "sql", "won", "invoiced", "paid")
# The lead's own times between the previous stage and this one; validity has no time of its own.
LEAD_STEPS = {
    "mql": (Lead.created_at, Lead.mql_at),
    "sal": (Lead.mql_at, Lead.sal_at),
    "sql": (Lead.sal_at, Lead.sql_at),
}
DEAL_STEPS = ("won", "invoiced", "paid")


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
    counts: dict[GroupKey, list[int]] = defaultdict(lambda: [0] * len(STAGE_NAMES))
    for key, lead_counts in repository.lead_stage_counts(session, group_by, period).items():
        counts[key][0:5] = lead_counts
    histograms: dict[str, HourHistogram] = {
        stage: repository.hours_histogram(session, group_by, period, since, until)
        for stage, (since, until) in LEAD_STEPS.items()
    }
    histograms.update(_deal_steps(repository.won_deals(session, group_by, period), counts))

    total_counts = [sum(c[i] for c in counts.values()) for i in range(len(STAGE_NAMES))]
    total_histograms = {stage: _merge(h.values()) for stage, h in histograms.items()}
    rows: list[FunnelRow] = []
    groups: list[str] = []
    if grouping is not None:
        labels = repository.group_labels(session, grouping)
        label = {key: labels.get(key, NO_GROUP) if key is not None else NO_GROUP for key in counts}
        for key in sorted(counts, key=lambda k: (-counts[k][0], label[k])):
            groups.append(label[key])
            group_histograms = {stage: h.get(key, {}) for stage, h in histograms.items()}
            rows += _stage_rows(label[key], counts[key], group_histograms)
    groups.append(TOTAL)
    rows += _stage_rows(TOTAL if grouping else None, total_counts, total_histograms)
    return FunnelReport(grouping=grouping, period=period, groups=groups, rows=rows)


def _deal_steps(
    deals: list[WonDeal], counts: dict[GroupKey, list[int]]
) -> dict[str, HourHistogram]:
    """Count distinct leads won, invoiced and paid, and histogram the hours of each step."""
    reached: dict[str, dict[GroupKey, set[int]]] = {s: defaultdict(set) for s in DEAL_STEPS}
    histograms: dict[str, HourHistogram] = {s: {} for s in DEAL_STEPS}
    for deal in deals:
        for stage, is_reached, hours in (
            ("won", True, deal.hours_to_won),
            ("invoiced", deal.invoiced, deal.hours_to_invoiced),
            ("paid", deal.paid, deal.hours_to_paid),
        ):
            if is_reached:
                reached[stage][deal.key].add(deal.lead_id)
            if hours is not None:
                buckets = histograms[stage].setdefault(deal.key, {})
                buckets[hours] = buckets.get(hours, 0) + 1
    for index, stage in enumerate(DEAL_STEPS, start=5):
        for key, leads in reached[stage].items():
            counts[key][index] = len(leads)
    return histograms


def _stage_rows(
    key: str | None, counts: list[int], histograms: dict[str, dict[int, int]]
) -> list[FunnelRow]:
    rows = []
    for index, stage in enumerate(STAGE_NAMES):
        histogram = histograms.get(stage)
        rows.append(
            FunnelRow(
                key=key,
                stage=stage,
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
