"""Spreadsheet exports: formula injection neutralized, numbers kept as numbers."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from openpyxl import load_workbook

from closeloop.analytics.export import Column, Sheet, neutralize, to_csv, to_xlsx

SHEET = Sheet(
    name="ROI by campaign",
    columns=[Column("Campaign"), Column("Leads", "count"), Column("ROI", "ratio")],
    rows=[
        ['=HYPERLINK("http://evil","x")', 3, Decimal("-0.25")],
        ["+1 call", 2, Decimal("1.5")],
        ["-minus", 1, None],
        ["@SUM(A1)", 0, Decimal("0")],
        ["\tTabbed", 0, None],
        ["\rReturn", 0, None],
        ["华东 Webinar", 4, Decimal("0.1")],
    ],
    total=["Total", 10, Decimal("0.3")],
)


def test_text_that_a_spreadsheet_would_run_gets_a_quote_and_numbers_do_not() -> None:
    assert neutralize("=1+1") == "'=1+1"
    assert neutralize("+86 138") == "'+86 138"
    assert neutralize("-x") == "'-x"
    assert neutralize("@x") == "'@x"
    assert neutralize("\tx") == "'\tx" and neutralize("\rx") == "'\rx"
    assert neutralize("plain = text") == "plain = text"
    assert neutralize(Decimal("-0.25")) == Decimal("-0.25")
    assert neutralize(-3) == -3


def test_csv_is_utf8_with_a_bom_and_neutralized() -> None:
    data = to_csv(SHEET)
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["Campaign", "Leads", "ROI"]
    assert rows[1] == ['\'=HYPERLINK("http://evil","x")', "3", "-0.25"]
    assert [r[0] for r in rows[2:7]] == [
        "'+1 call",
        "'-minus",
        "'@SUM(A1)",
        "'\tTabbed",
        "'\rReturn",
    ]
    assert rows[7] == ["华东 Webinar", "4", "0.1"]
    assert rows[-1] == ["Total", "10", "0.3"]


def test_xlsx_keeps_numbers_numeric_and_formulas_as_text() -> None:
    book = load_workbook(io.BytesIO(to_xlsx(SHEET)))
    page = book.active
    assert page is not None and page.title == "ROI by campaign"
    first = page["A2"]
    assert first.data_type == "s" and first.value == '\'=HYPERLINK("http://evil","x")'
    assert page["B2"].data_type == "n" and page["B2"].value == 3
    assert page["C2"].data_type == "n" and page["C2"].value == -0.25
    assert page["C2"].number_format == "0.00%"
    assert page["C4"].value is None
    assert [c.value for c in page[page.max_row]] == ["Total", 10, 0.3]
    assert page["A9"].font.b
    assert all(
        not (isinstance(c.value, str) and c.value.startswith(("=", "+", "-", "@")))
        for row in page.iter_rows()
        for c in row
    )
