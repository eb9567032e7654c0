"""The closed-loop ROI report, checked against a small company whose numbers are worked out by hand.

The company (all money in USD; the report period is January 2026 unless a test says otherwise):

    channels   Search ── campaigns Brand (content "Ad A"), Generic
               Webinar ── campaign "Jan webinar" (content "Recording")
               Referral ── no campaign

    spend      600.00  2026-01-05  Search / Brand / Ad A
               400.00  2026-01-31  Search / Generic            (last day: --to is inclusive)
               200.00  2026-02-01  Search, no campaign         (after the period)
               100.00  2025-12-31  Search / Brand              (before the period)
               300.00  2026-01-10  Webinar / Jan webinar / Recording
                50.00  2026-01-15  Webinar, no campaign

    leads (created in UTC; "skipped MQL": accepted by sales without ever being an MQL)
    L1   Search/Brand/Ad A       01-03 10:00       mql, sal, sql        O1 won (Acme) 6,000.00
    L2   Search/Generic          01-04             mql
    L3   Search/Brand/Ad A       01-05             disqualified: invalid
    L4   Search/Generic          01-06             disqualified: no_budget (a valid lead)
    L5   Search/Brand            01-07             merged into L1
    L6   Search/Generic          01-08             mql, sal, sql        O2 lost, O5 open (Globex)
    L7   Search/Brand            02-01 00:00       mql, sal, sql        O6 won (Umbrella) 2,000.00
    L8   Search/Brand/Ad A       2025-12-31 23:59  new
    L9   Webinar/Jan w./Record.  01-10             sal, sql (skipped MQL)  O3 won (Acme) 3,000.00
    L10  Webinar/Jan webinar     01-11             new
    L11  Webinar, no campaign    01-12             disqualified: spam
    L12  Webinar/Jan w./Record.  01-13             sal (skipped MQL)
    L13  Referral                01-14             mql, sal, sql        O4 won (Initech) 1,500.00
    L14  Referral                02-01 07:30+08:00 nurture (= 01-31 23:30 UTC: inside January)
    L7 and L8 were created outside January.

    cash       O1's order: invoices 4,000.00 + 2,000.00; Acme pays 4,500.00 → 4,000.00 + 500.00
               O3's order: invoice 3,000.00, paid in full by Acme
               O4's order: invoice 1,000.00 (of 1,500.00), nothing allocated; Initech's 200.00
               payment sits unallocated, so it is not cash of any order
               O6's order: invoice 2,000.00, paid in full (outside the period)
"""

from __future__ import annotations

from datetime import date, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from closeloop.analytics.funnel import funnel_report
from closeloop.analytics.period import Grouping, Period
from closeloop.analytics.roi import RoiRow, roi_json_rows, roi_report
from closeloop.errors import Conflict
from closeloop.models import DisqualifyReason, LeadStatus
from closeloop.money import from_minor
from tests import factories as f
from tests.factories import at

D = Decimal
JANUARY = Period(date(2026, 1, 1), date(2026, 1, 31))

# Columns compared in every row check; Decimals are compared as text to check their places too.
COLUMNS = (
    "key", "spend", "leads", "valid_leads", "mql", "sal", "sql", "opportunities", "won", "lost",
    "customers", "revenue", "invoiced", "cash", "cpl", "cost_per_valid_lead", "cac", "win_rate",
    "roas", "roas_ratio", "roi", "cash_roi",
)  # fmt: skip


def as_tuple(row: RoiRow) -> tuple[object, ...]:
    """A row's columns in COLUMNS order, Decimals as text (so "166.67" ≠ "166.6667")."""
    return tuple(
        str(value) if isinstance(value, Decimal) else value
        for value in (getattr(row, name) for name in COLUMNS)
    )


def build_company(session: Session) -> None:
    """The company of the module docstring."""
    search = f.channel(session, "Search", kind="paid_search")
    webinar = f.channel(session, "Webinar", kind="webinar")
    referral = f.channel(session, "Referral", kind="referral")
    brand = f.campaign(session, search, "Brand")
    generic = f.campaign(session, search, "Generic")
    jan_webinar = f.campaign(session, webinar, "Jan webinar")
    ad_a = f.content(session, brand, "Ad A", kind="ad")
    recording = f.content(session, jan_webinar, "Recording", kind="webinar")

    f.spend(session, D("600.00"), date(2026, 1, 5), channel=search, campaign=brand, content=ad_a)
    f.spend(session, D("400.00"), date(2026, 1, 31), channel=search, campaign=generic)
    f.spend(session, D("200.00"), date(2026, 2, 1), channel=search)
    f.spend(session, D("100.00"), date(2025, 12, 31), channel=search, campaign=brand)
    f.spend(
        session,
        D("300.00"),
        date(2026, 1, 10),
        channel=webinar,
        campaign=jan_webinar,
        content=recording,
    )
    f.spend(session, D("50.00"), date(2026, 1, 15), channel=webinar)

    acme = f.account(session, "Acme")
    globex = f.account(session, "Globex")
    initech = f.account(session, "Initech")
    umbrella = f.account(session, "Umbrella")
    stages = f.pipeline(session)
    won, lost, qualify = stages["Won"], stages["Lost"], stages["Qualify"]
    invalid, no_budget = DisqualifyReason.INVALID, DisqualifyReason.NO_BUDGET

    # ---- Search
    l1 = f.lead(
        session, at(2026, 1, 3, 10), channel=search, campaign=brand, content=ad_a,
        status=LeadStatus.SQL, mql_at=at(2026, 1, 4), sal_at=at(2026, 1, 5), sql_at=at(2026, 1, 6),
    )  # fmt: skip
    o1 = f.opportunity(
        session, lead=l1, account=acme, stage=won, amount=D("6000.00"), closed_at=at(2026, 1, 20)
    )
    order1 = f.order(session, o1, signed_at=at(2026, 1, 20), amount=D("6000.00"))
    i1 = f.invoice(session, order1, D("4000.00"), issued_on=date(2026, 1, 21))
    i2 = f.invoice(session, order1, D("2000.00"), issued_on=date(2026, 1, 21))
    p1 = f.payment(session, acme, D("4500.00"), received_at=at(2026, 1, 25))
    f.allocation(session, p1, i1, D("4000.00"))
    f.allocation(session, p1, i2, D("500.00"))

    f.lead(
        session, at(2026, 1, 4), channel=search, campaign=generic,
        status=LeadStatus.MQL, mql_at=at(2026, 1, 6),
    )  # fmt: skip
    f.lead(
        session, at(2026, 1, 5), channel=search, campaign=brand, content=ad_a,
        status=LeadStatus.DISQUALIFIED, disqualified_reason=invalid,
    )  # fmt: skip
    f.lead(
        session, at(2026, 1, 6), channel=search, campaign=generic,
        status=LeadStatus.DISQUALIFIED, disqualified_reason=no_budget,
    )  # fmt: skip
    f.lead(
        session, at(2026, 1, 7), channel=search, campaign=brand,
        status=LeadStatus.MERGED, merged_into=l1,
    )  # fmt: skip
    l6 = f.lead(
        session, at(2026, 1, 8), channel=search, campaign=generic,
        status=LeadStatus.SQL, mql_at=at(2026, 1, 9), sal_at=at(2026, 1, 10),
        sql_at=at(2026, 1, 11),
    )  # fmt: skip
    f.opportunity(
        session, lead=l6, account=globex, stage=lost, amount=D("5000.00"), closed_at=at(2026, 1, 25)
    )
    f.opportunity(session, lead=l6, account=globex, stage=qualify, amount=D("8000.00"))

    l7 = f.lead(
        session, at(2026, 2, 1), channel=search, campaign=brand,
        status=LeadStatus.SQL, mql_at=at(2026, 2, 2), sal_at=at(2026, 2, 2), sql_at=at(2026, 2, 2),
    )  # fmt: skip
    o6 = f.opportunity(
        session, lead=l7, account=umbrella, stage=won, amount=D("2000.00"), closed_at=at(2026, 2, 5)
    )
    order6 = f.order(session, o6, signed_at=at(2026, 2, 5), amount=D("2000.00"))
    i6 = f.invoice(session, order6, D("2000.00"), issued_on=date(2026, 2, 5))
    f.allocation(
        session, f.payment(session, umbrella, D("2000.00"), received_at=at(2026, 2, 6)), i6,
        D("2000.00"),
    )  # fmt: skip
    f.lead(session, at(2025, 12, 31, 23, 59), channel=search, campaign=brand, content=ad_a)

    # ---- Webinar
    l9 = f.lead(
        session, at(2026, 1, 10), channel=webinar, campaign=jan_webinar, content=recording,
        status=LeadStatus.SQL, sal_at=at(2026, 1, 11), sql_at=at(2026, 1, 12),
    )  # fmt: skip
    o3 = f.opportunity(
        session, lead=l9, account=acme, stage=won, amount=D("3000.00"), closed_at=at(2026, 1, 22)
    )
    order3 = f.order(session, o3, signed_at=at(2026, 1, 22), amount=D("3000.00"))
    i3 = f.invoice(session, order3, D("3000.00"), issued_on=date(2026, 1, 22))
    p2 = f.payment(session, acme, D("3000.00"), received_at=at(2026, 1, 28))
    f.allocation(session, p2, i3, D("3000.00"))

    f.lead(session, at(2026, 1, 11), channel=webinar, campaign=jan_webinar)
    f.lead(
        session, at(2026, 1, 12), channel=webinar,
        status=LeadStatus.DISQUALIFIED, disqualified_reason=DisqualifyReason.SPAM,
    )  # fmt: skip
    f.lead(
        session, at(2026, 1, 13), channel=webinar, campaign=jan_webinar, content=recording,
        status=LeadStatus.SAL, sal_at=at(2026, 1, 14),
    )  # fmt: skip

    # ---- Referral
    l13 = f.lead(
        session, at(2026, 1, 14), channel=referral, status=LeadStatus.SQL,
        mql_at=at(2026, 1, 14, 12), sal_at=at(2026, 1, 15), sql_at=at(2026, 1, 16),
    )  # fmt: skip
    o4 = f.opportunity(
        session, lead=l13, account=initech, stage=won, amount=D("1500.00"),
        closed_at=at(2026, 1, 30),
    )  # fmt: skip
    order4 = f.order(session, o4, signed_at=at(2026, 1, 30), amount=D("1500.00"))
    f.invoice(session, order4, D("1000.00"), issued_on=date(2026, 1, 30))
    f.payment(session, initech, D("200.00"), received_at=at(2026, 1, 31))  # never allocated
    shanghai = timezone(timedelta(hours=8))
    f.lead(session, at(2026, 2, 1, 7, 30, tz=shanghai), channel=referral, status=LeadStatus.NURTURE)


@pytest.fixture
def company(session: Session) -> None:
    build_company(session)


# ---- grouped by channel, January ----------------------------------------------------------------

# Search   spend 600 + 400 = 1,000.00 (the 200.00 of Feb 1 and the 100.00 of Dec 31 are outside);
#          leads L1..L6 = 6; valid: not L3 (invalid) nor L5 (merged) = 4; MQL L1 L2 L6 = 3;
#          SAL L1 L6 = 2; SQL L1 L6 = 2; opportunities O1 O2 O5 = 3; won 1; lost 1;
#          customers Acme = 1;
#          revenue 6,000.00; invoiced 4,000 + 2,000 = 6,000.00; cash 4,000 + 500 = 4,500.00;
#          CPL 1000/6 = 166.666… → 166.67; per valid 1000/4 = 250.00; CAC 1000/1 = 1,000.00;
#          win rate 1/2 = 0.5; ROAS 6000/1000 = 6 (1:6.00); ROI (6000−1000)/1000 = 5;
#          cash ROI (4500−1000)/1000 = 3.5
# Webinar  spend 300 + 50 = 350.00; leads L9..L12 = 4; valid: not L11 (spam) = 3;
#          MQL L9 L12 = 2 (both skipped MQL: reaching SAL counts as MQL); SAL 2; SQL L9 = 1;
#          opportunities O3 = 1; won 1; customers Acme = 1; revenue = invoiced = cash = 3,000.00;
#          CPL 350/4 = 87.50; per valid 350/3 = 116.666… → 116.67; CAC 350.00; win rate 1;
#          ROAS 3000/350 = 8.571428… → 8.5714 (1:8.57); ROI 2650/350 = 7.571428… → 7.5714;
#          cash ROI the same
# Referral spend 0; leads L13 L14 = 2 (L14 is 01-31 23:30 UTC); valid 2; MQL = SAL = SQL = 1;
#          opportunities O4 = 1; won 1; customers Initech = 1; revenue 1,500.00;
#          invoiced 1,000.00; cash 0.00 (the 200.00 payment is not allocated);
#          CPL 0/2, per valid 0/2, CAC 0/1 are all 0.00; win rate 1;
#          ROAS, ROI and cash ROI divide by spend = 0: None
# total    spend 1,350.00; leads 12; valid 9; MQL 6; SAL 5; SQL 4; opportunities 5; won 3; lost 1;
#          customers: Acme (Search and Webinar) + Initech = 2, not 3;
#          revenue 10,500.00; invoiced 10,000.00; cash 7,500.00; CPL 1350/12 = 112.50;
#          per valid 1350/9 = 150.00; CAC 1350/2 = 675.00; win rate 3/4 = 0.75;
#          ROAS 10500/1350 = 7.7777… → 7.7778 (1:7.78); ROI 9150/1350 = 6.7777… → 6.7778;
#          cash ROI 6150/1350 = 4.5555… → 4.5556
BY_CHANNEL = [
    ("Search", "1000.00", 6, 4, 3, 2, 2, 3, 1, 1, 1, "6000.00", "6000.00", "4500.00",
     "166.67", "250.00", "1000.00", "0.5000", "6.0000", "1:6.00", "5.0000", "3.5000"),
    ("Webinar", "350.00", 4, 3, 2, 2, 1, 1, 1, 0, 1, "3000.00", "3000.00", "3000.00",
     "87.50", "116.67", "350.00", "1.0000", "8.5714", "1:8.57", "7.5714", "7.5714"),
    ("Referral", "0.00", 2, 2, 1, 1, 1, 1, 1, 0, 1, "1500.00", "1000.00", "0.00",
     "0.00", "0.00", "0.00", "1.0000", None, None, None, None),
]  # fmt: skip
TOTAL_JANUARY = (
    "total", "1350.00", 12, 9, 6, 5, 4, 5, 3, 1, 2, "10500.00", "10000.00", "7500.00",
    "112.50", "150.00", "675.00", "0.7500", "7.7778", "1:7.78", "6.7778", "4.5556",
)  # fmt: skip


@pytest.mark.usefixtures("company")
def test_rows_by_channel_match_the_hand_computed_numbers(session: Session):
    report = roi_report(session, grouping=Grouping.CHANNEL, period=JANUARY)

    assert [as_tuple(row) for row in report.rows] == BY_CHANNEL  # sorted by revenue, largest first


@pytest.mark.usefixtures("company")
def test_total_row_by_channel_matches_the_hand_computed_numbers(session: Session):
    report = roi_report(session, grouping=Grouping.CHANNEL, period=JANUARY)

    assert as_tuple(report.total) == TOTAL_JANUARY
    assert report.currency == "USD"


@pytest.mark.usefixtures("company")
def test_ratios_over_spend_are_none_when_nothing_was_spent(session: Session):
    report = roi_report(session, grouping=Grouping.CHANNEL, period=JANUARY)
    referral = next(row for row in report.rows if row.key == "Referral")

    assert referral.spend == 0
    assert (referral.roas, referral.roas_ratio, referral.roi, referral.cash_roi) == (None,) * 4
    assert (referral.cpl, referral.cac) == (
        D("0.00"),
        D("0.00"),
    )  # 0 spent over 2 leads, 1 customer


@pytest.mark.usefixtures("company")
def test_costs_per_lead_are_none_without_leads(session: Session):
    report = roi_report(
        session, grouping=Grouping.CHANNEL, period=Period(date(2026, 1, 31), date(2026, 1, 31))
    )
    search = next(row for row in report.rows if row.key == "Search")

    # Search spent 400.00 on Jan 31 but got no lead that day: nothing to divide by.
    assert (search.spend, search.leads) == (D("400.00"), 0)
    assert (search.cpl, search.cost_per_valid_lead, search.cac, search.win_rate) == (None,) * 4
    # ROAS 0/400 = 0; ROI (0 − 400)/400 = −1
    assert (search.roas_ratio, search.roi) == ("1:0.00", D("-1"))


@pytest.mark.usefixtures("company")
def test_cac_is_none_without_a_customer(session: Session):
    report = roi_report(session, grouping=Grouping.CAMPAIGN, period=JANUARY)
    generic = next(row for row in report.rows if row.key == "Generic")

    assert (generic.customers, generic.cac, generic.win_rate) == (0, None, D("0"))


# ---- grouped by campaign and by content -------------------------------------------------------

# Brand       L1 L3 L5; valid L1 = 1; MQL = SAL = SQL = 1; O1 won; spend 600 (Dec 31's 100 is
#             outside); CPL 600/3 = 200.00; per valid 600.00; CAC 600.00; ROAS 6000/600 = 10;
#             ROI 5400/600 = 9; cash ROI (4500−600)/600 = 6.5
# Jan webinar L9 L10 L12; valid 3; MQL L9 L12 = 2; SAL 2; SQL 1; O3 won; spend 300;
#             CPL 100.00; per valid 100.00; CAC 300.00; ROAS 10; ROI 9; cash ROI 9
# (none)      leads without a campaign: L11 (Webinar) L13 L14 (Referral); valid L13 L14 = 2;
#             MQL = SAL = SQL = 1 (L13); O4 won; spend without a campaign: Webinar 50.00
#             (Search's 200.00 is in February); CPL 50/3 = 16.666… → 16.67; per valid 25.00;
#             CAC 50.00; ROAS 1500/50 = 30 → "1:30.00"; ROI 1450/50 = 29; cash ROI −50/50 = −1
# Generic     L2 L4 L6; valid 3 (no_budget is a valid lead); MQL L2 L6 = 2; SAL = SQL = 1 (L6);
#             O2 lost + O5 open = 2 opportunities, won 0, lost 1; spend 400; CPL 400/3 = 133.33;
#             per valid 133.33; CAC None (no customer); win rate 0/1 = 0; ROAS 0 → "1:0.00";
#             ROI −400/400 = −1; cash ROI −1
BY_CAMPAIGN = [
    ("Brand", "600.00", 3, 1, 1, 1, 1, 1, 1, 0, 1, "6000.00", "6000.00", "4500.00",
     "200.00", "600.00", "600.00", "1.0000", "10.0000", "1:10.00", "9.0000", "6.5000"),
    ("Jan webinar", "300.00", 3, 3, 2, 2, 1, 1, 1, 0, 1, "3000.00", "3000.00", "3000.00",
     "100.00", "100.00", "300.00", "1.0000", "10.0000", "1:10.00", "9.0000", "9.0000"),
    ("(none)", "50.00", 3, 2, 1, 1, 1, 1, 1, 0, 1, "1500.00", "1000.00", "0.00",
     "16.67", "25.00", "50.00", "1.0000", "30.0000", "1:30.00", "29.0000", "-1.0000"),
    ("Generic", "400.00", 3, 3, 2, 1, 1, 2, 0, 1, 0, "0.00", "0.00", "0.00",
     "133.33", "133.33", None, "0.0000", "0.0000", "1:0.00", "-1.0000", "-1.0000"),
]  # fmt: skip

# Ad A        L1 L3 (L5 has no content); valid 1; SQL 1; O1 won; spend 600; CPL 600/2 = 300.00;
#             per valid 600.00; CAC 600.00; ROAS 10; ROI 9; cash ROI 6.5
# Recording   L9 L12; valid 2; MQL = SAL = 2 (both skipped MQL); SQL 1; O3 won; spend 300;
#             CPL 150.00; per valid 150.00; CAC 300.00; ROAS 10; ROI 9; cash ROI 9
# (none)      L2 L4 L5 L6 L10 L11 L13 L14 = 8; valid: not L5 (merged) nor L11 (spam) = 6;
#             MQL L2 L6 L13 = 3; SAL = SQL = L6 L13 = 2; opportunities O2 O5 O4 = 3; won 1; lost 1;
#             customers Initech = 1; revenue 1,500.00; invoiced 1,000.00; cash 0.00;
#             spend without content: Generic 400 + Webinar 50 = 450.00; CPL 450/8 = 56.25;
#             per valid 450/6 = 75.00; CAC 450.00; win rate 1/2; ROAS 1500/450 = 3.3333 (1:3.33);
#             ROI 1050/450 = 2.3333; cash ROI −1
BY_CONTENT = [
    ("Ad A", "600.00", 2, 1, 1, 1, 1, 1, 1, 0, 1, "6000.00", "6000.00", "4500.00",
     "300.00", "600.00", "600.00", "1.0000", "10.0000", "1:10.00", "9.0000", "6.5000"),
    ("Recording", "300.00", 2, 2, 2, 2, 1, 1, 1, 0, 1, "3000.00", "3000.00", "3000.00",
     "150.00", "150.00", "300.00", "1.0000", "10.0000", "1:10.00", "9.0000", "9.0000"),
    ("(none)", "450.00", 8, 6, 3, 2, 2, 3, 1, 1, 1, "1500.00", "1000.00", "0.00",
     "56.25", "75.00", "450.00", "0.5000", "3.3333", "1:3.33", "2.3333", "-1.0000"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("grouping", "expected"),
    [(Grouping.CAMPAIGN, BY_CAMPAIGN), (Grouping.CONTENT, BY_CONTENT)],
    ids=["campaign", "content"],
)
@pytest.mark.usefixtures("company")
def test_rows_by_campaign_and_content_match_the_hand_computed_numbers(
    session: Session, grouping: Grouping, expected: list[tuple[object, ...]]
):
    report = roi_report(session, grouping=grouping, period=JANUARY)

    assert [as_tuple(row) for row in report.rows] == expected
    # The grouping changes the rows, never the total.
    assert as_tuple(report.total) == TOTAL_JANUARY


ADDITIVE = (
    "spend", "leads", "valid_leads", "mql", "sal", "sql", "opportunities", "won", "lost",
    "revenue", "invoiced", "cash",
)  # fmt: skip


@pytest.mark.parametrize("grouping", list(Grouping), ids=str)
@pytest.mark.usefixtures("company")
def test_rows_sum_to_the_total_row(session: Session, grouping: Grouping):
    report = roi_report(session, grouping=grouping, period=JANUARY)

    for name in ADDITIVE:
        assert sum(getattr(row, name) for row in report.rows) == getattr(report.total, name), name


@pytest.mark.usefixtures("company")
def test_a_customer_won_in_two_channels_counts_once_in_the_total(session: Session):
    report = roi_report(session, grouping=Grouping.CHANNEL, period=JANUARY)

    # Acme was won from Search (O1) and from Webinar (O3): one customer per row, one in the total.
    assert [row.customers for row in report.rows] == [1, 1, 1]
    assert report.total.customers == 2
    assert report.total.cac == D("675.00")  # 1350 / 2, not 1350 / 3


# ---- the period -------------------------------------------------------------------------------


@pytest.mark.usefixtures("company")
def test_without_a_period_every_lead_and_all_spend_count(session: Session):
    report = roi_report(session, grouping=Grouping.CHANNEL, period=Period())
    search = next(row for row in report.rows if row.key == "Search")

    # Search gains L7 (Feb 1, won 2,000.00 from Umbrella, paid) and L8 (Dec 31, new):
    # leads 6 + 2 = 8; valid 4 + 2 = 6; MQL/SAL/SQL + 1 (L7); spend 1000 + 200 + 100 = 1,300.00
    assert (search.leads, search.valid_leads, search.mql, search.sal, search.sql) == (8, 6, 4, 3, 3)
    assert (search.opportunities, search.won, search.customers) == (4, 2, 2)
    assert (search.spend, search.revenue, search.cash) == (D("1300"), D("8000"), D("6500"))
    # total: leads 12 + 2 = 14; spend 1350 + 300 = 1,650.00; customers Acme, Initech, Umbrella
    assert (report.total.leads, report.total.spend, report.total.customers) == (14, D("1650"), 3)


@pytest.mark.usefixtures("company")
def test_the_period_is_inclusive_of_its_last_day_in_utc(session: Session):
    report = roi_report(
        session, grouping=Grouping.CHANNEL, period=Period(date(2026, 1, 31), date(2026, 1, 31))
    )

    # Jan 31: L14 (created 2026-02-01 07:30 +08:00 = 01-31 23:30 UTC) and Generic's 400.00;
    # L7 (2026-02-01 00:00 UTC) is the first instant after the period.
    assert [(row.key, row.leads, row.spend) for row in report.rows] == [
        ("Search", 0, D("400.00")),
        ("Referral", 1, D("0.00")),
    ]
    assert (report.total.leads, report.total.spend) == (1, D("400.00"))


@pytest.mark.usefixtures("company")
def test_a_period_of_one_day_excludes_leads_and_spend_around_it(session: Session):
    report = roi_report(
        session, grouping=Grouping.CHANNEL, period=Period(date(2026, 2, 1), date(2026, 2, 1))
    )

    # Feb 1: only L7 (won 2,000.00, paid) and Search's 200.00 without a campaign.
    # ROAS 2000/200 = 10; ROI 1800/200 = 9; CPL 200/1 = 200.00
    (search,) = report.rows
    assert as_tuple(search) == (
        "Search", "200.00", 1, 1, 1, 1, 1, 1, 1, 0, 1, "2000.00", "2000.00", "2000.00",
        "200.00", "200.00", "200.00", "1.0000", "10.0000", "1:10.00", "9.0000", "9.0000",
    )  # fmt: skip


@pytest.mark.usefixtures("company")
def test_leads_from_before_the_period_bring_no_revenue_into_it(session: Session):
    report = roi_report(
        session, grouping=Grouping.CHANNEL, period=Period(date(2026, 2, 1), date(2026, 2, 28))
    )

    # February's cohort is L7 alone: O1, O3 and O4 closed in January from January leads.
    assert (report.total.leads, report.total.won, report.total.revenue) == (1, 1, D("2000.00"))


# ---- JSON -------------------------------------------------------------------------------------


@pytest.mark.usefixtures("company")
def test_json_rows_name_the_grouping_put_the_total_last_and_write_money_as_text(session: Session):
    rows = roi_json_rows(roi_report(session, grouping=Grouping.CAMPAIGN, period=JANUARY))

    assert [row["campaign"] for row in rows] == [
        "Brand",
        "Jan webinar",
        "(none)",
        "Generic",
        "total",
    ]
    assert rows[-1] == {
        "campaign": "total",
        "currency": "USD",
        "spend": "1350.00",
        "leads": 12,
        "valid_leads": 9,
        "mql": 6,
        "sal": 5,
        "sql": 4,
        "opportunities": 5,
        "won": 3,
        "lost": 1,
        "customers": 2,
        "revenue": "10500.00",
        "invoiced": "10000.00",
        "cash": "7500.00",
        "cpl": "112.50",
        "cost_per_valid_lead": "150.00",
        "cac": "675.00",
        "win_rate": "0.7500",
        "roas": "7.7778",
        "roas_ratio": "1:7.78",
        "roi": "6.7778",
        "cash_roi": "4.5556",
    }
    generic = rows[3]
    assert (generic["cac"], generic["roi"], generic["revenue"]) == (None, "-1.0000", "0.00")


# ---- edges ------------------------------------------------------------------------------------


def test_an_empty_database_gives_a_zero_total_and_no_ratios(session: Session):
    report = roi_report(session, grouping=Grouping.CHANNEL, period=JANUARY)

    assert report.rows == []
    assert as_tuple(report.total) == (
        "total", "0.00", 0, 0, 0, 0, 0, 0, 0, 0, 0, "0.00", "0.00", "0.00",
        None, None, None, None, None, None, None, None,
    )  # fmt: skip


def test_leads_without_a_channel_form_a_none_row(session: Session):
    f.lead(session, at(2026, 1, 2))

    report = roi_report(session, grouping=Grouping.CHANNEL, period=JANUARY)

    assert [(row.key, row.leads) for row in report.rows] == [("(none)", 1)]


def test_a_currency_without_cents_rounds_ratios_to_whole_units_half_to_even(session: Session):
    tokyo = f.channel(session, "Tokyo events", kind="event")
    f.spend(session, D("1001"), date(2026, 1, 3), channel=tokyo, currency="JPY")
    for day in (4, 5):
        f.lead(session, at(2026, 1, day), channel=tokyo)

    report = roi_report(session, grouping=Grouping.CHANNEL, period=JANUARY)

    # CPL ¥1001 / 2 = 500.5 → ¥500 (half to even), not 501 and not 500.50
    assert (report.currency, str(report.total.spend), str(report.total.cpl)) == (
        "JPY",
        "1001",
        "500",
    )


def test_amounts_in_two_currencies_are_refused(session: Session):
    search = f.channel(session, "Search")
    f.spend(session, D("10.00"), date(2026, 1, 3), channel=search, currency="USD")
    f.spend(session, D("10.00"), date(2026, 1, 4), channel=search, currency="EUR")

    with pytest.raises(Conflict, match=r"several currencies \(EUR, USD\)"):
        roi_report(session, grouping=Grouping.CHANNEL, period=JANUARY)


def test_a_disqualified_lead_without_a_reason_is_still_a_valid_lead(session: Session):
    search = f.channel(session, "Search")
    f.lead(session, at(2026, 1, 2), channel=search, status=LeadStatus.DISQUALIFIED)

    report = roi_report(session, grouping=Grouping.CHANNEL, period=JANUARY)

    # Only invalid, spam and unreachable (and merging) make a lead not valid.
    assert (report.total.leads, report.total.valid_leads) == (1, 1)


# ---- property: the reports reconcile for any small company ------------------------------------

deals = st.fixed_dictionaries(
    {
        "stage": st.sampled_from(["Won", "Lost", "Qualify"]),
        "account": st.integers(0, 2),
        "amount_minor": st.integers(1, 1_000_000),
        # Each invoice bills this percent of what is not invoiced yet; each is paid this percent.
        "invoiced_percents": st.lists(st.integers(0, 100), max_size=2),
        "paid_percent": st.integers(0, 100),
    }
)
leads = st.fixed_dictionaries(
    {
        "channel": st.sampled_from([0, 1, None]),
        "with_campaign": st.booleans(),
        "day": st.integers(-3, 34),  # days after 2026-01-01: some before, some after January
        "fate": st.sampled_from(["new", "invalid", "no_budget", "merged", "mql", "sal", "sql"]),
        "deals": st.lists(deals, max_size=2),  # only an SQL lead gets them
    }
)
spends = st.fixed_dictionaries(
    {
        "channel": st.sampled_from([0, 1]),
        "with_campaign": st.booleans(),
        "day": st.integers(-3, 34),
        "amount_minor": st.integers(0, 100_000),
    }
)
companies = st.fixed_dictionaries(
    {"leads": st.lists(leads, max_size=6), "spend": st.lists(spends, max_size=4)}
)
periods = st.sampled_from([Period(), JANUARY, Period(date(2026, 1, 10), date(2026, 1, 20))])


def usd(minor: int) -> Decimal:
    return from_minor(minor, "USD")


def in_period(day: date, period: Period) -> bool:
    return (period.start is None or period.start <= day) and (
        period.end is None or day <= period.end
    )


def bills(deal: dict[str, Any]) -> list[tuple[int, int]]:
    """The (invoiced, allocated) minor amounts of each invoice of a won deal's order."""
    out, left = [], deal["amount_minor"]
    for percent in deal["invoiced_percents"]:
        billed = left * percent // 100
        left -= billed
        if billed:
            out.append((billed, billed * deal["paid_percent"] // 100))
    return out


def paid_in_full(deal: dict[str, Any]) -> bool:
    return sum(paid for _, paid in bills(deal)) == deal["amount_minor"]


def build_random_company(session: Session, company: dict[str, Any]) -> None:
    """Insert the rows ``company`` describes, through the factories."""
    channels = [f.channel(session, "Search"), f.channel(session, "Webinar", kind="webinar")]
    campaigns = [f.campaign(session, channel, f"{channel.name} campaign") for channel in channels]
    accounts = [f.account(session, name) for name in ("Acme", "Globex", "Initech")]
    stages = f.pipeline(session)
    first = date(2026, 1, 1)
    for entry in company["spend"]:
        f.spend(
            session,
            usd(entry["amount_minor"]),
            first + timedelta(days=entry["day"]),
            channel=channels[entry["channel"]],
            campaign=campaigns[entry["channel"]] if entry["with_campaign"] else None,
        )
    for spec in company["leads"]:
        created = at(2026, 1, 1, 12) + timedelta(days=spec["day"])
        fate = spec["fate"]
        index = spec["channel"]
        lead = f.lead(
            session,
            created,
            channel=channels[index] if index is not None else None,
            campaign=campaigns[index] if index is not None and spec["with_campaign"] else None,
            status={"invalid": "disqualified", "no_budget": "disqualified"}.get(fate, fate),
            disqualified_reason=fate if fate in ("invalid", "no_budget") else None,
            mql_at=created + timedelta(hours=1) if fate in ("mql", "sql") else None,
            sal_at=created + timedelta(hours=2) if fate in ("sal", "sql") else None,
            sql_at=created + timedelta(hours=3) if fate == "sql" else None,
        )
        for deal in spec["deals"] if fate == "sql" else []:
            closed = created + timedelta(days=1) if deal["stage"] != "Qualify" else None
            opportunity = f.opportunity(
                session,
                lead=lead,
                account=accounts[deal["account"]],
                stage=stages[deal["stage"]],
                amount=usd(deal["amount_minor"]),
                closed_at=closed,
            )
            if deal["stage"] != "Won":
                continue
            order = f.order(
                session,
                opportunity,
                signed_at=created + timedelta(days=1),
                amount=usd(deal["amount_minor"]),
                invoiced_at=created + timedelta(days=2) if bills(deal) else None,
                paid_at=created + timedelta(days=3) if paid_in_full(deal) else None,
            )
            for billed, paid in bills(deal):
                f.paid_invoice(
                    session, order, usd(billed), issued_on=created.date(), paid=usd(paid)
                )


def expected_totals(company: dict[str, Any], period: Period) -> tuple[dict[str, Any], list[Any]]:
    """The ROI total row and the funnel's counts by PRODUCT.md's definitions, in plain Python."""
    first = date(2026, 1, 1)
    cohort = [s for s in company["leads"] if in_period(first + timedelta(days=s["day"]), period)]
    fates = [s["fate"] for s in cohort]
    deals_of_cohort = [d for s in cohort if s["fate"] == "sql" for d in s["deals"]]
    won = [d for d in deals_of_cohort if d["stage"] == "Won"]
    spend = sum(
        e["amount_minor"]
        for e in company["spend"]
        if in_period(first + timedelta(days=e["day"]), period)
    )
    roi_total = {
        "leads": len(cohort),
        "valid_leads": sum(fate not in ("invalid", "merged") for fate in fates),
        "mql": sum(fate in ("mql", "sal", "sql") for fate in fates),  # "sal" skipped MQL
        "sal": sum(fate in ("sal", "sql") for fate in fates),
        "sql": fates.count("sql"),
        "opportunities": len(deals_of_cohort),
        "won": len(won),
        "lost": sum(d["stage"] == "Lost" for d in deals_of_cohort),
        "customers": len({d["account"] for d in won}),
        "spend": usd(spend),
        "revenue": usd(sum(d["amount_minor"] for d in won)),
        "invoiced": usd(sum(billed for d in won for billed, _ in bills(d))),
        "cash": usd(sum(paid for d in won for _, paid in bills(d))),
    }
    # Funnel counts are of leads: a lead with two won deals is one won lead.
    won_deals_by_lead = [
        [d for d in s["deals"] if d["stage"] == "Won"] for s in cohort if s["fate"] == "sql"
    ]
    funnel_counts = [
        *(roi_total[name] for name in ("leads", "valid_leads", "mql", "sal", "sql")),
        sum(bool(ds) for ds in won_deals_by_lead),
        sum(any(bills(d) for d in ds) for ds in won_deals_by_lead),
        sum(any(paid_in_full(d) for d in ds) for ds in won_deals_by_lead),
    ]
    return roi_total, funnel_counts


@settings(
    max_examples=25,
    database=None,  # no .hypothesis directory in the checkout
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(company=companies, period=periods)
def test_reports_reconcile_for_any_small_company(
    engine: Engine, company: dict[str, Any], period: Period
):
    # One database for the test; each example lives in a transaction that is rolled back.
    with engine.connect() as connection:
        transaction = connection.begin()
        session = Session(bind=connection)
        try:
            build_random_company(session, company)
            expected, expected_funnel = expected_totals(company, period)
            totals = []
            for grouping in Grouping:
                report = roi_report(session, grouping=grouping, period=period)
                for name in ADDITIVE:
                    assert sum(getattr(r, name) for r in report.rows) == getattr(report.total, name)
                for row in [*report.rows, report.total]:
                    assert row.cash <= row.invoiced <= row.revenue, row.key
                    assert row.leads >= row.valid_leads >= row.mql >= row.sal >= row.sql, row.key
                    assert row.won + row.lost <= row.opportunities, row.key
                assert report.total.customers <= sum(r.customers for r in report.rows)
                assert {n: getattr(report.total, n) for n in expected} == expected
                totals.append(as_tuple(report.total))
            assert totals[0] == totals[1] == totals[2]  # the grouping never changes the total

            funnel = funnel_report(session, grouping=Grouping.CHANNEL, period=period)
            counts: dict[str | None, list[int]] = {}
            for stage_row in funnel.rows:
                counts.setdefault(stage_row.key, []).append(stage_row.count)
            total_counts = counts.pop("total")
            assert [sum(c[i] for c in counts.values()) for i in range(8)] == total_counts
            for group_counts in [*counts.values(), total_counts]:
                assert group_counts == sorted(group_counts, reverse=True)  # never grows
            assert total_counts == expected_funnel
        finally:
            session.close()
            transaction.rollback()
