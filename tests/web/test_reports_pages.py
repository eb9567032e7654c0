"""The reports pages and their exports: the table adds up, the files equal the table, a
campaign named like a formula comes out as text, and a rep may not see any of it."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine, select

from closeloop.db.engine import unit_of_work
from closeloop.models import Lead, LeadStatus, Team, User
from tests import factories as f
from tests.web.test_dashboard import add_user, build_month_pair, signed_in

INJECTION = '=HYPERLINK("http://evil.example","click")'


@pytest.fixture
def reports(engine: Engine, db_url: str) -> TestClient:
    """September and October of 'Search' (see build_month_pair), plus a 'Social' channel with a
    campaign whose name is a formula: 2 October leads, 300 spend."""
    with unit_of_work(engine) as session:
        build_month_pair(session)
        add_user(session, "mia@example.com", "marketing")
        social = f.channel(session, "Social")
        bad = f.campaign(session, social, INJECTION)
        f.spend(session, Decimal(300), date(2026, 10, 8), channel=social, campaign=bad)
        for day in (11, 12):
            f.lead(session, f.at(2026, 10, day), channel=social, campaign=bad,
                   status=LeadStatus.WORKING)  # fmt: skip
    return signed_in(db_url, "mia@example.com")


def cells(row_html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row_html)]


def table_rows(html: str) -> tuple[list[list[str]], list[str]]:
    """The report's rows and total row, its tables (volume, value) joined side by side: the
    value table repeats the name column."""
    rows: list[list[str]] = []
    total: list[str] = []
    for index, body in enumerate(re.findall(r"<tbody>(.*?)</tbody>", html, re.S)):
        body_rows = [cells(r) for r in re.findall(r"<tr>(.*?)</tr>", body, re.S)]
        found = re.search(r'<tr class="total">(.*?)</tr>', body, re.S)
        assert found
        if index == 0:
            rows, total = body_rows, cells(found.group(1))
        else:
            assert [r[:1] for r in body_rows] == [r[:1] for r in rows]
            rows = [a + b[1:] for a, b in zip(rows, body_rows, strict=True)]
            total += cells(found.group(1))[1:]
    return rows, total


OCTOBER = "from=2026-10-01&to=2026-10-31"


def test_the_roi_table_adds_up_to_its_total_row(reports: TestClient) -> None:
    page = reports.get(f"/reports?tab=roi&by=channel&{OCTOBER}")
    assert page.status_code == 200
    rows, total = table_rows(page.text)
    assert [r[0] for r in rows] == ["Search", "Social"]  # by revenue, then spend
    assert rows[0][1:4] == ["$1,000", "4", "3"]  # spend, leads, valid leads
    assert rows[1][1:4] == ["$300", "2", "2"]
    assert total[:4] == ["Total", "$1,300", "6", "5"]
    assert total[9] == "$3,000" and total[10] == "$3,000"  # revenue, cash
    assert total[11] == "$216.67"  # CPL 1,300 / 6, to the cent
    assert total[15] == "1:2.31"  # ROAS 3,000 / 1,300
    assert 'href="/reports/roi.csv?by=channel&amp;from=2026-10-01&amp;to=2026-10-31"' in page.text


def test_the_csv_equals_the_table_and_neutralizes_formulas(reports: TestClient) -> None:
    answer = reports.get(f"/reports/roi.csv?by=campaign&{OCTOBER}")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    by_name = {r["Campaign"]: r for r in rows}
    assert set(by_name) == {"'" + INJECTION, "(no source)", "Total"}
    bad = by_name["'" + INJECTION]
    assert (bad["Spend"], bad["Leads"], bad["Valid leads"]) == ("300.00", "2", "2")
    body = [r for r in rows if r["Campaign"] != "Total"]
    for column in ("Spend", "Revenue", "Cash"):
        assert sum(Decimal(r[column]) for r in body) == Decimal(by_name["Total"][column])
    for column in ("Leads", "Valid leads", "MQL", "SQL", "Won"):
        assert sum(int(r[column]) for r in body) == int(by_name["Total"][column])
    page_rows, total = table_rows(reports.get(f"/reports?tab=roi&by=campaign&{OCTOBER}").text)
    assert len(page_rows) + 1 == len(rows)
    assert total[2] == by_name["Total"]["Leads"]


def test_the_xlsx_keeps_numbers_and_text_apart(reports: TestClient) -> None:
    answer = reports.get(f"/reports/roi.xlsx?by=campaign&{OCTOBER}")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/vnd.openxmlformats")
    page = load_workbook(io.BytesIO(answer.content)).active
    assert page is not None
    values = [[c.value for c in row] for row in page.iter_rows()]
    header, body, total = values[0], values[1:-1], values[-1]
    assert header[:3] == ["Campaign", "Spend", "Leads"]
    names = [r[0] for r in body]
    assert "'" + INJECTION in names
    bad = body[names.index("'" + INJECTION)]
    assert bad[1] == 300 and bad[2] == 2  # numeric cells
    assert total[0] == "Total" and total[2] == sum(r[2] for r in body) == 6
    assert total[1] == pytest.approx(sum(r[1] for r in body))
    assert all(isinstance(r[2], int) for r in body)


def test_the_funnel_exports_its_stages(reports: TestClient) -> None:
    page = reports.get(f"/reports?tab=funnel&{OCTOBER}")
    assert page.status_code == 200 and 'data-chart="chart-funnel"' in page.text
    rows = list(csv.reader(io.StringIO(
        reports.get(f"/reports/funnel.csv?{OCTOBER}").content.decode("utf-8-sig")
    )))  # fmt: skip
    assert rows[0][:2] == ["Stage", "Count"]
    counts = {r[0]: r[1] for r in rows[1:]}
    # 6 leads, 5 valid, 2 reached MQL/SAL/SQL, 1 won, invoiced and paid in full.
    assert counts == {"Leads": "6", "Valid leads": "5", "MQL": "2", "SAL": "2", "SQL": "2",
                      "Won": "1", "Invoiced": "1", "Paid in full": "1"}  # fmt: skip
    split = reports.get(f"/reports/funnel.xlsx?by=channel&split=true&{OCTOBER}")
    sheet = load_workbook(io.BytesIO(split.content)).active
    assert sheet is not None
    grid = [[c.value for c in row] for row in sheet.iter_rows()]
    assert grid[-1][:3] == ["Total", 6, 5]
    assert sum(r[1] for r in grid[1:-1]) == 6


def test_a_rep_may_not_see_reports_nor_export_them(reports: TestClient, db_url: str) -> None:
    rep = signed_in(db_url, "ana@example.com")
    for path in (
        "/reports",
        "/reports/roi.csv",
        "/reports/roi.xlsx",
        "/reports/funnel.csv",
        "/reports/leaderboard.csv",
    ):
        answer = rep.get(path)
        assert answer.status_code == 403, path
    assert "Not allowed" in rep.get("/reports").text
    assert "/reports" not in re.findall(r"<nav>(.*?)</nav>", rep.get("/dashboard").text, re.S)[0]


def test_the_report_in_chinese(reports: TestClient, db_url: str) -> None:
    reports.headers["Accept-Language"] = "zh-CN"
    page = reports.get(f"/reports?tab=roi&{OCTOBER}").text
    assert "各渠道 ROI" in page and "合计" in page and "投入产出比" in page
    rows = list(csv.reader(io.StringIO(
        reports.get(f"/reports/roi.csv?{OCTOBER}").content.decode("utf-8-sig")
    )))  # fmt: skip
    assert rows[0][:3] == ["渠道", "投入", "线索"] and rows[-1][0] == "合计"


def test_a_bad_grouping_is_named(reports: TestClient) -> None:
    answer = reports.get("/reports?by=region")
    assert answer.status_code == 422 and "region" in answer.text
    assert reports.get("/reports/roi.pdf").status_code == 422


@pytest.fixture
def leaders(reports: TestClient, engine: Engine) -> TestClient:
    """build_month_pair's October, assigned: Ana has L1 (contacted, reached SQL, won 3,000 on
    10-20) and L3; Bo, of team East, has L2 (contacted, reached SQL, lost on 10-25)."""
    with unit_of_work(engine) as session:
        east = Team(name="East")
        session.add(east)
        session.flush()
        for user in session.scalars(select(User).where(User.email.like("%@example.com"))):
            if user.email == "bo@example.com":
                user.team_id = east.id
            for lead in session.scalars(select(Lead).where(Lead.owner_id == user.id)):
                lead.assigned_at = lead.created_at
                if lead.sql_at is not None:
                    lead.first_contact_at = lead.created_at
    return reports


def test_the_leaderboard_ranks_reps_by_revenue_and_adds_up(leaders: TestClient) -> None:
    page = leaders.get(f"/reports?tab=leaderboard&{OCTOBER}")

    assert page.status_code == 200, page.text
    rows, total = table_rows(page.text)
    # Rep, team, assigned, contacted, converted, conversion, won, lost, win rate, revenue.
    assert rows == [
        ["Ana", "—", "2", "1", "1", "50.0%", "1", "0", "100.0%", "$3,000"],
        ["Bo", "East", "1", "1", "1", "100.0%", "0", "1", "0.0%", "$0"],
    ]
    assert total == ["Total", "", "3", "2", "2", "66.7%", "1", "1", "50.0%", "$3,000"]


def test_the_leaderboard_of_one_team_and_its_export(leaders: TestClient, engine: Engine) -> None:
    with unit_of_work(engine) as session:
        east = session.scalars(select(Team.id).where(Team.name == "East")).one()
    rows, _total = table_rows(leaders.get(f"/reports?tab=leaderboard&team={east}&{OCTOBER}").text)
    assert [row[0] for row in rows] == ["Bo"]

    exported = list(csv.reader(io.StringIO(
        leaders.get(f"/reports/leaderboard.csv?{OCTOBER}").content.decode("utf-8-sig")
    )))  # fmt: skip
    assert exported[0][:3] == ["Rep", "Team", "Leads assigned"]
    assert exported[1][:3] == ["Ana", "—", "2"] and exported[-1][:3] == ["Total", "", "3"]
    book = load_workbook(io.BytesIO(leaders.get(f"/reports/leaderboard.xlsx?{OCTOBER}").content))
    assert book.active is not None
    assert [c.value for c in book.active[2]][-1] == 3000


def test_the_leaderboard_names_a_bad_team(leaders: TestClient) -> None:
    page = leaders.get("/reports?tab=leaderboard&team=east")
    assert page.status_code == 200 and "Choose a team from the list." in page.text
    assert leaders.get("/reports/leaderboard.csv?team=east").status_code == 422
    leaders.headers["Accept-Language"] = "zh-CN"
    assert "排行榜" in leaders.get("/reports?tab=leaderboard").text
