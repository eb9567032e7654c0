"""The dashboard: the company's three views for the roles that read reports, a rep's own figures,
finance's receivables, period-over-period change, and the page in Chinese with ¥ amounts."""

from __future__ import annotations

import re
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from closeloop.access.actor import Actor
from closeloop.access.users import create_user
from closeloop.analytics.dashboard import FigureCache, resolve_period
from closeloop.analytics.period import Period
from closeloop.config import Settings
from closeloop.db.engine import unit_of_work
from closeloop.models import LeadStatus, Target, User
from closeloop.money import to_minor
from closeloop.web.app import create_app
from tests import factories as f

PASSWORD = "a long enough secret"
OCTOBER = "/dashboard?period=month&to=2026-10-31"


def add_user(session: Session, email: str, role: str) -> User:
    created = create_user(
        session, Actor.operator(), email=email, full_name=email.split("@")[0].title(),
        role=role, password=PASSWORD,
    )  # fmt: skip
    return session.get_one(User, created.user.id)


def signed_in(db_url: str, email: str, language: str | None = None) -> TestClient:
    """A browser session signed in through the real /signin form."""
    client = TestClient(create_app(Settings(database_url=db_url)), follow_redirects=False)
    if language:
        client.headers["Accept-Language"] = language
    page = client.get("/signin").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, page
    answer = client.post(
        "/signin",
        data={"email": email, "password": PASSWORD, "next": "/dashboard",
              "csrf_token": token.group(1)},
    )  # fmt: skip
    assert answer.status_code == 303, answer.text
    return client


def kpi(html: str, label: str) -> tuple[str, str, str, str]:
    """(value, tone, change, note) of the KPI card labelled ``label``."""
    found = re.search(
        r'<div class="label">' + re.escape(label) + r'</div>\s*<div class="value">(.*?)</div>\s*'
        r'<div class="change (\w+)">(.*?)</div>\s*(?:<div class="kpi-note muted">(.*?)</div>)?',
        html,
        re.S,
    )
    assert found, f"no KPI {label!r}"
    value, tone, change, note = found.groups()
    change = re.sub(r"<[^>]+>", "", change).replace("vs previous", "").replace("环比", "").strip()
    change = "" if change == "—" else change
    return value.strip(), tone, change, (note or "").strip()


def build_month_pair(session: Session, currency: str = "USD") -> dict[str, User]:
    """September and October 2026 of one channel, small enough to add up by hand.

    October: spend 1,000; 4 leads: L1 won (3,000, invoiced and paid in full), L2 lost, L3 new,
    L4 disqualified as invalid. September: spend 500; 2 leads: S1 won (1,000), S2 new.
    Targets for October: revenue 6,000, leads 8.
    """
    rep_a = add_user(session, "ana@example.com", "sales_rep")
    rep_b = add_user(session, "bo@example.com", "sales_rep")
    search = f.channel(session, "Search")
    stages = f.pipeline(session)
    f.spend(session, Decimal(1000), date(2026, 10, 5), channel=search, currency=currency)
    f.spend(session, Decimal(500), date(2026, 9, 5), channel=search, currency=currency)

    def won(lead_row: object, owner: User, amount: int, closed: datetime, paid: bool) -> None:
        account = f.account(session, f"Account {amount}")
        deal = f.opportunity(
            session, lead=lead_row, account=account, stage=stages["Won"],  # type: ignore[arg-type]
            amount=Decimal(amount), closed_at=closed, currency=currency,
        )  # fmt: skip
        deal.owner_id = owner.id
        order = f.order(
            session, deal, signed_at=closed, amount=Decimal(amount), currency=currency,
            invoiced_at=closed if paid else None, paid_at=closed if paid else None,
        )  # fmt: skip
        if paid:
            f.paid_invoice(
                session, order, Decimal(amount), issued_on=closed.date(), paid=Decimal(amount)
            )

    l1 = f.lead(
        session, f.at(2026, 10, 2), channel=search, status=LeadStatus.SQL, owner=rep_a,
        mql_at=f.at(2026, 10, 3), sal_at=f.at(2026, 10, 4), sql_at=f.at(2026, 10, 6),
    )  # fmt: skip
    won(l1, rep_a, 3000, f.at(2026, 10, 20), paid=True)
    l2 = f.lead(
        session, f.at(2026, 10, 3), channel=search, status=LeadStatus.SQL, owner=rep_b,
        mql_at=f.at(2026, 10, 4), sal_at=f.at(2026, 10, 5), sql_at=f.at(2026, 10, 7),
    )  # fmt: skip
    lost = f.opportunity(
        session, lead=l2, account=f.account(session, "Lost Co"), stage=stages["Lost"],
        amount=Decimal(800), closed_at=f.at(2026, 10, 25), currency=currency,
    )  # fmt: skip
    lost.owner_id = rep_b.id
    f.lead(session, f.at(2026, 10, 9), channel=search, owner=rep_a)
    f.lead(
        session, f.at(2026, 10, 10), channel=search, status=LeadStatus.DISQUALIFIED,
        disqualified_reason="invalid",
    )  # fmt: skip
    s1 = f.lead(
        session, f.at(2026, 9, 2), channel=search, status=LeadStatus.SQL,
        mql_at=f.at(2026, 9, 3), sql_at=f.at(2026, 9, 4),
    )  # fmt: skip
    won(s1, rep_b, 1000, f.at(2026, 9, 20), paid=False)
    f.lead(session, f.at(2026, 9, 12), channel=search)
    for metric, value, code in (("revenue", to_minor(Decimal(6000), currency), currency),
                                ("leads", 8, None)):  # fmt: skip
        session.add(
            Target(
                metric=metric, period_start=date(2026, 10, 1), period_end=date(2026, 10, 31),
                channel_id=search.id if metric == "leads" else None, planned_value=value,
                currency=code,
            )
        )  # fmt: skip
    session.flush()
    return {"ana": rep_a, "bo": rep_b}


@pytest.fixture
def month_pair(engine: Engine) -> dict[str, User]:
    with unit_of_work(engine) as session:
        users = build_month_pair(session)
        add_user(session, "exec@example.com", "executive")
        add_user(session, "money@example.com", "finance")
        session.expunge_all()
        return users


def test_the_executive_sees_kpis_equal_to_hand_computed_values(
    month_pair: dict[str, User], db_url: str
) -> None:
    page = signed_in(db_url, "exec@example.com").get(OCTOBER)
    assert page.status_code == 200
    html = page.text
    # 4 leads vs 2 in September: +100 %; 50 % of the target of 8.
    assert kpi(html, "Leads") == ("4", "up", "▲ 100.0%", "50% of target 8")
    # Revenue 3,000 (won orders of October's leads) vs 1,000: +200 %; half of the 6,000 target.
    assert kpi(html, "Revenue") == ("$3,000", "up", "▲ 200.0%", "50% of target $6,000")
    # Cash: all of L1's invoice; September's deal has none, so no change can be computed.
    assert kpi(html, "Cash")[:3] == ("$3,000", "flat", "")
    # ROAS 3,000 / 1,000 = 3.00 against 1,000 / 500 = 2.00.
    assert kpi(html, "ROAS") == ("3.00", "up", "▲ 50.0%", "1:3.00")
    # CAC 1,000 / 1 customer against 500 / 1: costlier, shown as bad news.
    assert kpi(html, "CAC")[:3] == ("$1,000.00", "down", "▲ 100.0%")
    # Win rate 1 / (1 + 1) = 50 % against 1 / 1 = 100 %: 50 points down.
    assert kpi(html, "Win rate")[:3] == ("50.0%", "down", "−50.0 pts")
    # Cost per valid lead: 1,000 / 3 valid (L4 was invalid) against 500 / 2.
    assert kpi(html, "Cost per valid lead")[:3] == ("$333.33", "down", "▲ 33.3%")
    assert "Oct 1, 2026 – Oct 31, 2026" in html and "Sep 1, 2026 – Sep 30, 2026" in html
    assert "Figures as of" in html
    for chart in ("chart-funnel", "chart-roi", "chart-trend"):
        assert f'data-chart="{chart}"' in html
    assert '<script src="/static/vendor/plotly.min.js" defer></script>' in html


def test_a_period_without_leads_says_so_instead_of_empty_charts(
    month_pair: dict[str, User], db_url: str
) -> None:
    html = (
        signed_in(db_url, "exec@example.com")
        .get("/dashboard?period=custom&from=2026-11-01&to=2026-11-30")
        .text
    )
    assert "No leads were created in this period yet." in html
    assert 'data-chart="chart-roi"' not in html and 'data-chart="chart-funnel"' not in html
    assert 'data-chart="chart-trend"' in html  # the weeks around it still show


def test_a_rep_sees_own_figures_only(month_pair: dict[str, User], db_url: str) -> None:
    ana = signed_in(db_url, "ana@example.com").get(OCTOBER).text
    assert "My figures" in ana and "Macro efficiency" not in ana and "Receivables" not in ana
    assert kpi(ana, "Open leads")[0] == "1"  # L3 (L1 went on to SQL)
    assert kpi(ana, "New leads")[:3] == ("2", "flat", "")  # L1 and L3; none in September
    assert kpi(ana, "Lead → SQL")[0] == "50.0%"  # L1 of L1, L3
    assert kpi(ana, "Won revenue")[0] == "$3,000"
    assert kpi(ana, "Win rate")[0] == "100.0%"
    bo = signed_in(db_url, "bo@example.com").get(OCTOBER).text
    # Bo's one won deal closed in September: all of it gone in October.
    assert kpi(bo, "Won revenue")[:3] == ("$0", "down", "▼ 100.0%")
    assert kpi(bo, "Win rate")[0] == "0.0%"  # one lost
    assert kpi(bo, "Open leads")[0] == "0"


def test_finance_sees_receivables_by_age(engine: Engine, db_url: str) -> None:
    today = datetime.now(UTC).date()
    with unit_of_work(engine) as session:
        add_user(session, "money@example.com", "finance")
        stages = f.pipeline(session)
        account = f.account(session, "Buyer")
        deal = f.opportunity(
            session, lead=None, account=account, stage=stages["Won"], amount=Decimal(5000)
        )
        order = f.order(session, deal, signed_at=f.at(2026, 1, 5), amount=Decimal(5000))
        # Due 70 days ago, nothing paid: 61–90. Due 10 days ago, 200 of 700 paid: 0–30.
        # Due in 20 days: open, not overdue. Due 40 days ago but paid in full: neither.
        f.invoice(session, order, Decimal(1200), issued_on=today - timedelta(days=100))
        f.paid_invoice(
            session, order, Decimal(700), issued_on=today - timedelta(days=40), paid=Decimal(200)
        )
        f.invoice(session, order, Decimal(900), issued_on=today - timedelta(days=10))
        f.paid_invoice(
            session, order, Decimal(300), issued_on=today - timedelta(days=70), paid=Decimal(300)
        )
    html = signed_in(db_url, "money@example.com").get("/dashboard").text
    assert kpi(html, "Outstanding")[0] == "$2,600"  # 1,200 + 500 + 900
    assert kpi(html, "Overdue") == ("$1,700", "flat", "", "2 invoices")
    aging = re.findall(r"<tr><td>([^<]+)</td><td class=\"num\">([^<]+)</td>", html)
    assert aging[:4] == [
        ("0–30", "$500.00"), ("31–60", "$0.00"), ("61–90", "$1,200.00"), ("90+", "$0.00")
    ]  # fmt: skip
    assert "Total overdue" in html and 'data-chart="chart-aging"' in html
    assert html.index("Receivables") < html.index("Macro efficiency")  # finance's first


def test_the_page_in_chinese_shows_chinese_labels_and_yuan(engine: Engine, db_url: str) -> None:
    with unit_of_work(engine) as session:
        build_month_pair(session, currency="CNY")
        add_user(session, "exec@example.com", "executive")
    html = signed_in(db_url, "exec@example.com", language="zh-CN,zh;q=0.9").get(OCTOBER).text
    for label in ("宏观效率", "过程", "结果", "投入产出比", "赢单率", "单有效线索成本", "本月"):
        assert label in html
    assert kpi(html, "收入")[0] == "¥3,000"
    assert kpi(html, "获客成本")[0] == "¥1,000.00"
    assert "周（起始日）" in html  # the trend chart's axis title, translated
    assert "Macro efficiency" not in html


def test_periods_compare_like_with_like() -> None:
    month = resolve_period("month", None, None, today=date(2026, 11, 23))
    assert month.current == Period(date(2026, 11, 1), date(2026, 11, 23))
    assert month.previous == Period(date(2026, 10, 1), date(2026, 10, 23))
    quarter = resolve_period("quarter", None, "2026-05-31", today=date(2026, 11, 23))
    assert quarter.current == Period(date(2026, 4, 1), date(2026, 5, 31))
    assert quarter.previous == Period(date(2026, 1, 1), date(2026, 3, 2))
    custom = resolve_period("custom", "2026-03-01", "2026-03-10", today=date(2026, 11, 23))
    assert custom.previous == Period(date(2026, 2, 19), date(2026, 2, 28))
    end_of_march = resolve_period("month", None, "2026-03-31", today=date(2026, 11, 23))
    assert end_of_march.previous == Period(date(2026, 2, 1), date(2026, 2, 28))


def test_a_bad_period_is_named(month_pair: dict[str, User], db_url: str) -> None:
    client = signed_in(db_url, "exec@example.com")
    answer = client.get("/dashboard?period=custom&from=2026-10-01")
    assert answer.status_code == 422 and "both dates" in answer.text
    assert client.get("/dashboard?period=fortnight").status_code == 422


def test_the_cache_computes_once_and_then_serves_stale_while_refreshing() -> None:
    calls: list[int] = []
    cache = FigureCache(ttl=0.0)

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert cache.get("k", compute) == 1
    assert cache.get("k", compute) == 1  # stale: the previous value at once, a refresh behind
    for _ in range(100):
        if len(calls) == 2:
            break
        time.sleep(0.01)
    assert len(calls) == 2 and cache.get("other", compute) == 3


def test_plotly_is_served_by_the_app_as_javascript(engine: Engine, db_url: str) -> None:
    with TestClient(create_app(Settings(database_url=db_url))) as client:
        answer = client.get("/static/vendor/plotly.min.js")
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/javascript")
        assert "max-age=31536000" in answer.headers["cache-control"]
        assert b"plotly" in answer.content[:2000].lower() and len(answer.content) > 1_000_000
        assert client.get("/static/charts.js").status_code == 200
