"""The closed-loop ROI table: what each channel, campaign or content spent and brought back."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from pydantic import BaseModel
from sqlalchemy.orm import Session

from closeloop.analytics import repository
from closeloop.analytics.period import Grouping, Period
from closeloop.analytics.ratios import as_one_to_n, per_unit, ratio
from closeloop.analytics.repository import GroupMeasures
from closeloop.config import get_settings
from closeloop.errors import Conflict
from closeloop.i18n import N_
from closeloop.money import exponent, from_minor

NO_GROUP = "(none)"
TOTAL = "total"


class RoiRow(BaseModel):
    """One row of the ROI report; metric names are PRODUCT.md's, in snake_case."""

    key: str
    currency: str
    spend: Decimal
    leads: int
    valid_leads: int
    mql: int
    sal: int
    sql: int
    opportunities: int
    won: int
    lost: int
    customers: int
    revenue: Decimal
    invoiced: Decimal
    cash: Decimal
    cpl: Decimal | None
    cost_per_valid_lead: Decimal | None
    cac: Decimal | None
    win_rate: Decimal | None
    roas: Decimal | None
    roas_ratio: str | None
    roi: Decimal | None
    cash_roi: Decimal | None


class RoiReport(BaseModel):
    grouping: Grouping
    period: Period
    currency: str
    rows: list[RoiRow]
    total: RoiRow


def roi_report(session: Session, *, grouping: Grouping, period: Period) -> RoiReport:
    """The ROI table for leads created in ``period``, grouped by their first-touch source."""
    measures = repository.roi_measures(session, grouping, period)
    currency = _single_currency(measures.values())
    labels = repository.group_labels(session, grouping)

    total = GroupMeasures()
    for m in measures.values():
        for name in (
            "leads",
            "valid_leads",
            "mql",
            "sal",
            "sql",
            "opportunities",
            "won",
            "lost",
            "spend_minor",
            "revenue_minor",
            "invoiced_minor",
            "cash_minor",
        ):
            setattr(total, name, getattr(total, name) + getattr(m, name))
    total.customers = repository.total_customers(session, period)

    rows = [
        build_row(labels.get(key, NO_GROUP) if key is not None else NO_GROUP, m, currency)
        for key, m in measures.items()
    ]
    rows.sort(key=lambda row: (-row.revenue, -row.spend, row.key))
    return RoiReport(
        grouping=grouping,
        period=period,
        currency=currency,
        rows=rows,
        total=build_row(TOTAL, total, currency),
    )


def build_row(key: str, m: GroupMeasures, currency: str) -> RoiRow:
    """Turn raw measures into a row with every ratio PRODUCT.md defines."""
    places = Decimal(1).scaleb(-exponent(currency))
    spend = from_minor(m.spend_minor, currency)
    revenue = from_minor(m.revenue_minor, currency)
    cash = from_minor(m.cash_minor, currency)
    roas = ratio(revenue, spend)
    return RoiRow(
        key=key,
        currency=currency,
        spend=spend,
        leads=m.leads,
        valid_leads=m.valid_leads,
        mql=m.mql,
        sal=m.sal,
        sql=m.sql,
        opportunities=m.opportunities,
        won=m.won,
        lost=m.lost,
        customers=m.customers,
        revenue=revenue,
        invoiced=from_minor(m.invoiced_minor, currency),
        cash=cash,
        cpl=per_unit(spend, m.leads, places),
        cost_per_valid_lead=per_unit(spend, m.valid_leads, places),
        cac=per_unit(spend, m.customers, places),
        win_rate=ratio(m.won, m.won + m.lost),
        roas=roas,
        roas_ratio=as_one_to_n(roas),
        roi=ratio(revenue - spend, spend),
        cash_roi=ratio(cash - spend, spend),
    )


def _single_currency(measures: Iterable[GroupMeasures]) -> str:
    currencies: set[str] = set()
    for m in measures:
        currencies |= m.currencies
    if len(currencies) > 1:
        raise Conflict(
            N_(
                "amounts are booked in several currencies (%(currencies)s); "
                "the report needs one currency"
            ),
            currencies=", ".join(sorted(currencies)),
        )
    return currencies.pop() if currencies else get_settings().currency


def roi_json_rows(report: RoiReport) -> list[dict[str, object]]:
    """Rows for --json and the API: the grouping name as key, the total row last."""
    out = []
    for row in [*report.rows, report.total]:
        data = row.model_dump(mode="json")
        out.append({report.grouping.value: data.pop("key"), **data})
    return out
