"""Human output of the reports: Rich tables and CSV."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from rich.table import Table

from closeloop.analytics.funnel import STAGE_NAMES, FunnelReport
from closeloop.analytics.roi import RoiReport, RoiRow
from closeloop.i18n import N_
from closeloop.i18n import cli_gettext as _

STAGE_TITLES = {
    "lead": N_("Lead"),
    "valid_lead": N_("Valid"),
    "mql": N_("MQL"),
    "sal": N_("SAL"),
    "sql": N_("SQL"),
    "won": N_("Won"),
    "invoiced": N_("Invoiced"),
    "paid": N_("Paid"),
}
# The grouping as a column title and inside a sentence.
GROUPING_TITLES = {"channel": N_("Channel"), "campaign": N_("Campaign"), "content": N_("Content")}
GROUPING_WORDS = {"channel": N_("channel"), "campaign": N_("campaign"), "content": N_("content")}


def money(value: Decimal | None) -> str:
    """Whole currency units: tables show totals, the JSON and CSV keep the cents."""
    return "—" if value is None else f"{value:,.0f}"


def unit_cost(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


def count(value: int) -> str:
    return f"{value:,}"


def percent(value: Decimal | None, places: int = 1) -> str:
    return "—" if value is None else f"{value * 100:,.{places}f}%"


def _period_caption(report: RoiReport | FunnelReport) -> str:
    start = report.period.start.isoformat() if report.period.start else _("the beginning")
    end = report.period.end.isoformat() if report.period.end else _("today")
    return _("Leads created from %(start)s to %(end)s", start=start, end=end)


def roi_tables(report: RoiReport) -> list[Table]:
    """Two tables, volume then value, so that each fits a normal terminal."""
    title = _(GROUPING_TITLES[report.grouping.value])
    grouping = _(GROUPING_WORDS[report.grouping.value])
    volume = Table(
        title=_("Closed-loop ROI by %(grouping)s — volume", grouping=grouping),
        caption=_period_caption(report),
        show_footer=True,
    )
    value = Table(
        title=_(
            "Closed-loop ROI by %(grouping)s — value (%(currency)s)",
            grouping=grouping,
            currency=report.currency,
        ),
        show_footer=True,
    )
    rows, total = report.rows, report.total
    volume.add_column(title, footer=_("Total"), no_wrap=True)
    value.add_column(title, footer=_("Total"), no_wrap=True)
    volume_columns: list[tuple[str, str]] = [
        (N_("Spend"), "spend"),
        (N_("Leads"), "leads"),
        (N_("Valid"), "valid_leads"),
        (N_("MQL"), "mql"),
        (N_("SAL"), "sal"),
        (N_("SQL"), "sql"),
        (N_("Opps"), "opportunities"),
        (N_("Won"), "won"),
    ]
    value_columns: list[tuple[str, str]] = [
        (N_("Spend"), "spend"),
        (N_("Revenue"), "revenue"),
        (N_("Cash"), "cash"),
        (N_("CPL"), "cpl"),
        (N_("Per valid"), "cost_per_valid_lead"),
        (N_("CAC"), "cac"),
        (N_("ROAS"), "roas_ratio"),
        (N_("ROI"), "roi"),
        (N_("Cash ROI"), "cash_roi"),
    ]
    for table, columns in ((volume, volume_columns), (value, value_columns)):
        for header, name in columns:
            table.add_column(_(header), justify="right", footer=_cell(total, name))
        for row in rows:
            table.add_row(row.key, *(_cell(row, name) for _, name in columns))
    return [volume, value]


def _cell(row: RoiRow, name: str) -> str:
    value = getattr(row, name)
    if name in ("roi", "cash_roi"):
        return percent(value, places=0)
    if name == "roas_ratio":
        return "—" if row.roas is None else f"1:{row.roas:.1f}"
    if name in ("cpl", "cost_per_valid_lead", "cac"):
        return unit_cost(value)
    if isinstance(value, int):
        return count(value)
    return money(value)


def roi_csv(rows: list[dict[str, object]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def funnel_table(report: FunnelReport) -> Table:
    """Stages as columns, groups as rows; each cell is the count and the step conversion."""
    table = Table(title=_("Lead-to-cash funnel"), caption=_period_caption(report))
    table.add_column(_(GROUPING_TITLES[report.grouping.value]) if report.grouping else "")
    for name in STAGE_NAMES:
        table.add_column(_(STAGE_TITLES[name]), justify="right")
    by_group: dict[str | None, list[str]] = {}
    days: list[str] = []
    for row in report.rows:
        cell = count(row.count) + (
            f"\n{percent(row.conversion)}" if row.conversion is not None else ""
        )
        by_group.setdefault(row.key, []).append(cell)
        if row.key in (None, "total"):
            days.append("—" if row.median_days is None else _("%(days)s d", days=row.median_days))
    for key, cells in by_group.items():
        table.add_row(key if key is not None else _("All leads"), *cells, end_section=True)
    table.add_row(_("Median days from previous stage"), *days, style="dim")
    return table
