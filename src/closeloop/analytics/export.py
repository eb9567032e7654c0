"""Reports as spreadsheets: CSV and XLSX, safe to open in Excel or WPS.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be run
as a formula by a spreadsheet (CSV/formula injection: a campaign named ``=HYPERLINK(...)``). Such
text is prefixed with ``'`` so it shows as text. Numbers are never touched: in XLSX they stay
numeric cells (a negative ROI is a number, not a formula), in CSV they are written plainly.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from closeloop.analytics.funnel import STAGE_NAMES, FunnelReport
from closeloop.analytics.leaderboard import Leaderboard, LeaderboardRow
from closeloop.analytics.roi import NO_GROUP, TOTAL, RoiReport, RoiRow

Cell = str | int | Decimal | None
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    """One column: its heading and the kind of its cells (text, count, money, ratio)."""

    title: str
    kind: str = "text"


@dataclass(frozen=True)
class Sheet:
    """A report as a table: columns, body rows and, when the report has one, its total row."""

    name: str
    columns: Sequence[Column]
    rows: Sequence[Sequence[Cell]]
    total: Sequence[Cell] | None = None

    def all_rows(self) -> list[Sequence[Cell]]:
        return [*self.rows, *([self.total] if self.total is not None else [])]


def neutralize(value: Cell) -> Cell:
    """Text that a spreadsheet would run as a formula gets a leading ``'``; numbers stay."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(sheet: Sheet) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel opens Chinese names correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralize(column.title) for column in sheet.columns])
    for row in sheet.all_rows():
        writer.writerow(["" if cell is None else neutralize(cell) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


NUMBER_FORMATS = {
    "count": "#,##0",
    "money": "#,##0.00",
    "unit_cost": "#,##0.00",
    "ratio": "0.00%",
    "multiple": "0.00",
    "days": "0.0",
}


def to_xlsx(sheet: Sheet) -> bytes:
    """One worksheet: a bold header, number formats per column kind, the total row in bold."""
    book = Workbook()
    page = book.active
    assert page is not None
    page.title = _sheet_title(sheet.name)
    page.append([neutralize(column.title) for column in sheet.columns])
    header_fill = PatternFill("solid", fgColor="F2F4F7")
    for cell in page[1]:
        cell.font = Font(bold=True)
        cell.fill = header_fill
    for row in sheet.all_rows():
        # Decimal → float only at the file's edge: XLSX stores numbers as IEEE doubles anyway.
        page.append([float(c) if isinstance(c, Decimal) else neutralize(c) for c in row])
    if sheet.total is not None:
        for cell in page[page.max_row]:
            cell.font = Font(bold=True)
    for index, column in enumerate(sheet.columns, start=1):
        letter = get_column_letter(index)
        number_format = NUMBER_FORMATS.get(column.kind)
        if number_format:
            for (cell,) in page.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = number_format
        widest = max(
            [len(str(column.title))] + [len(str(r[index - 1] or "")) for r in sheet.all_rows()]
        )
        page.column_dimensions[letter].width = min(max(10, widest + 2), 48)
    page.freeze_panes = "B2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet_title(name: str) -> str:
    """Excel refuses some characters and more than 31 of them in a sheet's name."""
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in name).strip("'")
    return cleaned[:31] or "Report"


# ---- the reports as sheets: the page's table and the files are built from the same Sheet -------

Translate = Callable[..., str]

STAGE_LABELS = {
    "lead": "Leads",
    "valid_lead": "Valid leads",
    "mql": "MQL",
    "sal": "SAL",
    "sql": "SQL",
    "won": "Won",
    "invoiced": "Invoiced",
    "paid": "Paid in full",
}
GROUPING_LABELS = {"channel": "Channel", "campaign": "Campaign", "content": "Content"}
ROI_TITLES = {
    "channel": "ROI by channel",
    "campaign": "ROI by campaign",
    "content": "ROI by content",
}
FUNNEL_TITLES = {
    "channel": "Funnel by channel",
    "campaign": "Funnel by campaign",
    "content": "Funnel by content",
}
NO_GROUP_LABEL = "(no source)"


def _group_label(key: str | None, _: Translate) -> str:
    if key == TOTAL:
        return _("Total")
    if key in (None, NO_GROUP):
        return _(NO_GROUP_LABEL)
    return key


def roi_sheet(report: RoiReport, _: Translate) -> Sheet:
    """The ROI table: one row per group, the total row last; counts and money add up."""
    columns = [
        Column(_(GROUPING_LABELS[report.grouping.value])),
        Column(_("Spend"), "money"),
        Column(_("Leads"), "count"),
        Column(_("Valid leads"), "count"),
        Column(_("MQL"), "count"),
        Column(_("SAL"), "count"),
        Column(_("SQL"), "count"),
        Column(_("Opportunities"), "count"),
        Column(_("Won"), "count"),
        Column(_("Revenue"), "money"),
        Column(_("Cash"), "money"),
        Column(_("CPL"), "unit_cost"),
        Column(_("Cost per valid lead"), "unit_cost"),
        Column(_("CAC"), "unit_cost"),
        Column(_("Win rate"), "ratio"),
        Column(_("ROAS"), "multiple"),
        Column(_("ROI"), "ratio"),
        Column(_("Cash ROI"), "ratio"),
    ]

    def cells(row: RoiRow) -> list[Cell]:
        return [
            _group_label(row.key, _),
            row.spend,
            row.leads,
            row.valid_leads,
            row.mql,
            row.sal,
            row.sql,
            row.opportunities,
            row.won,
            row.revenue,
            row.cash,
            row.cpl,
            row.cost_per_valid_lead,
            row.cac,
            row.win_rate,
            row.roas,
            row.roi,
            row.cash_roi,
        ]

    return Sheet(
        name=_(ROI_TITLES[report.grouping.value]),
        columns=columns,
        rows=[cells(row) for row in report.rows],
        total=cells(report.total),
    )


def funnel_sheet(report: FunnelReport, _: Translate) -> Sheet:
    """Ungrouped: one row per stage with conversions and median days. Grouped: one row per group
    with the count at each stage, and the total row last (each column adds up to it)."""
    if report.grouping is None:
        return Sheet(
            name=_("Funnel"),
            columns=[
                Column(_("Stage")),
                Column(_("Count"), "count"),
                Column(_("Conversion from previous stage"), "ratio"),
                Column(_("Conversion from lead"), "ratio"),
                Column(_("Median days from previous stage"), "days"),
            ],
            rows=[
                [
                    _(STAGE_LABELS[row.stage]),
                    row.count,
                    row.conversion,
                    row.conversion_from_lead,
                    row.median_days,
                ]
                for row in report.rows
            ],
        )
    by_group: dict[str | None, list[Cell]] = {}
    for row in report.rows:
        by_group.setdefault(row.key, [_group_label(row.key, _)]).append(row.count)
    total = by_group.pop(TOTAL)
    return Sheet(
        name=_(FUNNEL_TITLES[report.grouping.value]),
        columns=[
            Column(_(GROUPING_LABELS[report.grouping.value])),
            *(Column(_(STAGE_LABELS[name]), "count") for name in STAGE_NAMES),
        ],
        rows=list(by_group.values()),
        total=total,
    )


def leaderboard_sheet(board: Leaderboard, team_names: dict[int, str], _: Translate) -> Sheet:
    """One row per rep, best revenue first, and the total row last (each count adds up to it)."""

    def cells(row: LeaderboardRow) -> list[Cell]:
        team = team_names.get(row.team_id) if row.team_id is not None else None
        return [
            _("Total") if row.user_id is None else row.name,
            "" if row.user_id is None else team or "—",
            row.assigned,
            row.contacted,
            row.converted,
            row.conversion_rate,
            row.won,
            row.lost,
            row.win_rate,
            row.revenue,
        ]

    return Sheet(
        name=_("Leaderboard"),
        columns=[
            Column(_("Rep")),
            Column(_("Team")),
            Column(_("Leads assigned"), "count"),
            Column(_("Contacted"), "count"),
            Column(_("Converted to SQL"), "count"),
            Column(_("Conversion rate"), "ratio"),
            Column(_("Won"), "count"),
            Column(_("Lost"), "count"),
            Column(_("Win rate"), "ratio"),
            Column(_("Revenue"), "money"),
        ],
        rows=[cells(row) for row in board.rows],
        total=cells(board.total),
    )
