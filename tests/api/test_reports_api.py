"""/api/v1/reports/roi, /funnel and /leaderboard on a tiny company, worked out by hand
(USD; the period is January 2026):

    spend   Search 1,000.00 (01-10), Webinar 500.00 (01-12), Search 300.00 (02-03, outside)
    L1  Search   01-05  mql, sal, sql; Ann (assigned 01-05, contacted)  → won 3,000.00 on 01-20,
                        order invoiced 3,000.00, 2,000.00 of it paid
    L2  Search   01-06  new; Ann (assigned 01-06, not contacted)
    L3  Webinar  01-07  mql; Bob (assigned 01-08, contacted)
    L4  Webinar  01-09  disqualified: invalid (never a valid lead)

    ROI      Search:  spend 1,000, 2 leads, revenue 3,000, cash 2,000
                      → CPL 500.00, ROAS 3.0000 (1:3.00), ROI 2.0000, cash ROI 1.0000
             Webinar: spend 500, 2 leads (1 valid), nothing won → CPL 250.00, ROI −1.0000
             total:   spend 1,500, revenue 3,000 → ROI 1.0000, cash ROI 0.3333, CAC 1,500.00
    leaders  Ann: 2 assigned, 1 contacted, 1 converted, 1 won, 3,000.00 → conversion 0.5000
             Bob: 1 assigned, 1 contacted, 0 converted → conversion 0.0000
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine

from closeloop.analytics.funnel import funnel_report
from closeloop.analytics.period import Grouping, Period
from closeloop.analytics.roi import roi_report
from closeloop.db.engine import session_factory, unit_of_work
from closeloop.models import DisqualifyReason, LeadStatus, Role
from tests import factories as f
from tests.api.helpers_accounts import Headers, TestClient, api_client, bearer, locs, make_user
from tests.factories import at

D = Decimal
JANUARY = {"from": "2026-01-01", "to": "2026-01-31"}


@dataclass
class Company:
    client: TestClient
    engine: Engine
    ann_id: int
    bob_id: int
    executive: Headers
    marketing: Headers
    finance: Headers
    rep: Headers


@pytest.fixture
def company(db_url: str, engine: Engine) -> Iterator[Company]:
    with unit_of_work(engine) as s:
        ann = make_user(s, Role.SALES_REP, name="Ann")
        bob = make_user(s, Role.SALES_REP, name="Bob")
        search, webinar = f.channel(s, "Search"), f.channel(s, "Webinar", kind="webinar")
        f.spend(s, D("1000.00"), date(2026, 1, 10), channel=search)
        f.spend(s, D("500.00"), date(2026, 1, 12), channel=webinar)
        f.spend(s, D("300.00"), date(2026, 2, 3), channel=search)
        acme = f.account(s, "Acme")
        l1 = f.lead(
            s,
            at(2026, 1, 5),
            channel=search,
            status=LeadStatus.SQL,
            mql_at=at(2026, 1, 6),
            sal_at=at(2026, 1, 7),
            sql_at=at(2026, 1, 8),
            account=acme,
            owner=ann,
        )
        l1.assigned_at, l1.first_contact_at = at(2026, 1, 5, 1), at(2026, 1, 5, 3)
        l2 = f.lead(s, at(2026, 1, 6), channel=search, owner=ann)
        l2.assigned_at = at(2026, 1, 6, 1)
        l3 = f.lead(s, at(2026, 1, 7), channel=webinar, status=LeadStatus.MQL, owner=bob,
                    mql_at=at(2026, 1, 8))  # fmt: skip
        l3.assigned_at, l3.first_contact_at = at(2026, 1, 8), at(2026, 1, 8, 2)
        f.lead(s, at(2026, 1, 9), channel=webinar, status=LeadStatus.DISQUALIFIED,
               disqualified_reason=DisqualifyReason.INVALID)  # fmt: skip
        stages = f.pipeline(s)
        deal = f.opportunity(s, lead=l1, account=acme, stage=stages["Won"], amount=D("3000.00"),
                             closed_at=at(2026, 1, 20))  # fmt: skip
        deal.owner_id = ann.id
        order = f.order(s, deal, signed_at=at(2026, 1, 21), amount=D("3000.00"),
                        invoiced_at=at(2026, 1, 22))  # fmt: skip
        f.paid_invoice(s, order, D("3000.00"), issued_on=date(2026, 1, 22), paid=D("2000.00"))
        headers = {
            "executive": bearer(s, make_user(s, Role.EXECUTIVE)),
            "marketing": bearer(s, make_user(s, Role.MARKETING)),
            "finance": bearer(s, make_user(s, Role.FINANCE)),
            "rep": bearer(s, ann),
        }
        ann_id, bob_id = ann.id, bob.id
    with api_client(db_url) as client:
        yield Company(client, engine, ann_id, bob_id, **headers)


def pick(row: dict[str, Any], *names: str) -> tuple[Any, ...]:
    return tuple(row[name] for name in names)


ROI_COLUMNS = ("key", "spend", "leads", "valid_leads", "revenue", "cash", "cpl", "cac", "roas",
               "roas_ratio", "roi", "cash_roi")  # fmt: skip


def test_roi_by_channel_matches_the_hand_computed_figures(company: Company) -> None:
    response = company.client.get(
        "/api/v1/reports/roi", params={"by": "channel", **JANUARY}, headers=company.executive
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["grouping"], body["start"], body["end"], body["currency"]) == (
        "channel",
        "2026-01-01",
        "2026-01-31",
        "USD",
    )
    assert [pick(row, *ROI_COLUMNS) for row in body["rows"]] == [
        ("Search", "1000.00", 2, 2, "3000.00", "2000.00", "500.00", "1000.00", "3.0000",
         "1:3.00", "2.0000", "1.0000"),
        ("Webinar", "500.00", 2, 1, "0.00", "0.00", "250.00", None, "0.0000", "1:0.00",
         "-1.0000", "-1.0000"),
    ]  # fmt: skip
    assert pick(body["total"], *ROI_COLUMNS) == (
        "total", "1500.00", 4, 3, "3000.00", "2000.00", "375.00", "1500.00", "2.0000",
        "1:2.00", "1.0000", "0.3333",
    )  # fmt: skip


@pytest.mark.parametrize("by", ["channel", "campaign", "content"])
def test_roi_equals_what_the_cli_service_computes(company: Company, by: str) -> None:
    response = company.client.get(
        "/api/v1/reports/roi", params={"by": by, **JANUARY}, headers=company.marketing
    )
    with session_factory(company.engine)() as session:
        report = roi_report(
            session,
            grouping=Grouping(by),
            period=Period(date(2026, 1, 1), date(2026, 1, 31)),
        )

    body = response.json()
    assert body["rows"] == [row.model_dump(mode="json") for row in report.rows]
    assert body["total"] == report.total.model_dump(mode="json")


def test_without_a_period_every_lead_and_all_spend_count(company: Company) -> None:
    body = company.client.get("/api/v1/reports/roi", headers=company.finance).json()

    assert (body["grouping"], body["start"], body["end"]) == ("channel", None, None)
    assert pick(body["total"], "spend", "leads", "roi") == ("1800.00", 4, "0.6667")


def test_the_funnel_equals_the_cli_service_and_the_hand_count(company: Company) -> None:
    response = company.client.get(
        "/api/v1/reports/funnel", params={"by": "channel", **JANUARY}, headers=company.executive
    )
    with session_factory(company.engine)() as session:
        report = funnel_report(
            session, grouping=Grouping.CHANNEL, period=Period(date(2026, 1, 1), date(2026, 1, 31))
        )

    body = response.json()
    assert body["rows"] == [row.model_dump(mode="json") for row in report.rows]
    assert body["groups"] == ["Search", "Webinar", "total"]
    total = {row["stage"]: row["count"] for row in body["rows"] if row["key"] == "total"}
    assert total == {"lead": 4, "valid_lead": 3, "mql": 2, "sal": 1, "sql": 1, "won": 1,
                     "invoiced": 1, "paid": 0}  # fmt: skip
    ungrouped = company.client.get(
        "/api/v1/reports/funnel", params=JANUARY, headers=company.executive
    ).json()
    assert ungrouped["grouping"] is None
    assert [row["key"] for row in ungrouped["rows"]] == [None] * 8


def test_the_leaderboard_per_rep(company: Company) -> None:
    response = company.client.get(
        "/api/v1/reports/leaderboard", params=JANUARY, headers=company.executive
    )

    assert response.status_code == 200, response.text
    body = response.json()
    columns = ("user_id", "assigned", "contacted", "converted", "won", "revenue",
               "conversion_rate", "win_rate")  # fmt: skip
    assert [pick(row, *columns) for row in body["rows"]] == [
        (company.ann_id, 2, 1, 1, 1, "3000.00", "0.5000", "1.0000"),
        (company.bob_id, 1, 1, 0, 0, "0.00", "0.0000", None),
    ]
    assert pick(body["total"], *columns) == (None, 3, 2, 1, 1, "3000.00", "0.3333", "1.0000")
    february = company.client.get(
        "/api/v1/reports/leaderboard",
        params={"from": "2026-02-01", "to": "2026-02-28"},
        headers=company.executive,
    ).json()
    assert [pick(row, "assigned", "won") for row in february["rows"]] == [(0, 0), (0, 0)]


def test_report_options_are_checked_with_query_paths(company: Company) -> None:
    c, h = company.client, company.executive
    assert locs(c.get("/api/v1/reports/roi?by=region", headers=h)) == [["query", "by"]]
    assert locs(c.get("/api/v1/reports/roi?from=2026-02-01&to=2026-01-01", headers=h)) == [
        ["query", "from"]
    ]
    assert locs(c.get("/api/v1/reports/funnel?to=2026-13-01", headers=h)) == [["query", "to"]]


def test_mixed_currencies_are_a_conflict(company: Company) -> None:
    with unit_of_work(company.engine) as s:
        other = f.channel(s, "Events", kind="trade_show")
        f.spend(s, D("10.00"), date(2026, 1, 3), channel=other, currency="EUR")

    response = company.client.get("/api/v1/reports/roi", headers=company.executive)

    assert response.status_code == 409
    assert "EUR" in response.json()["detail"]


def test_reps_do_not_see_reports(company: Company) -> None:
    for url in ("/api/v1/reports/roi", "/api/v1/reports/funnel", "/api/v1/reports/leaderboard"):
        assert company.client.get(url, headers=company.rep).status_code == 403
