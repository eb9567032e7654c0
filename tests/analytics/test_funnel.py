"""The lead-to-cash funnel, checked against nine leads with hand-computed counts and medians.

All leads were created in January 2026 (00:00 UTC of the day shown); the gaps are in days unless
marked h (hours). "—" is a stage the lead never reached; * counts from the lead's creation.

    lead  channel   created  → MQL   → SAL   → SQL   → won   → invoiced → paid   notes
    F1    Search    01-01      +1      +2      +1      +10     +24h       +30    paid on 02-15
    F2    Search    01-02      +3      +1      +4      +4      +48h       —
    F3    Search    01-03      +2      —       —       —       —          —
    F4    Search    01-04      +5      +4      —       —       —          —
    F5    Search    01-05      disqualified: invalid
    F6    Search    01-06      —  (new)
    F7    Referral  01-07      —       +1*     +2      +6      +12h       +3     skipped MQL
    F8    Referral  01-08      merged into F6
    F9    Referral  01-09      +1      +1      +3      lost on 01-20

Counts (a lead that skipped a stage counts as having passed it: F7 is an MQL):
    lead 9; valid 9 − F5 − F8 = 7; MQL F1 F2 F3 F4 F7 F9 = 6; SAL F1 F2 F4 F7 F9 = 5;
    SQL F1 F2 F7 F9 = 4; won F1 F2 F7 = 3; invoiced 3; paid F1 F7 = 2.
Median days from the previous stage (only leads with both times; F7 has no MQL time, so it is in
neither the MQL nor the SAL median):
    MQL       1 1 2 3 5     → 2.0        SAL   1 1 2 4   → (1 + 2) / 2 = 1.5
    SQL       1 2 3 4       → (2 + 3) / 2 = 2.5      won   4 6 10    → 6.0
    invoiced  12h 24h 48h   → 24h = 1.0        paid  3 30      → (3 + 30) / 2 = 16.5
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from closeloop.analytics.funnel import FunnelRow, funnel_json_rows, funnel_report, median_days
from closeloop.analytics.period import Grouping, Period
from closeloop.models import Channel, DisqualifyReason, Lead, LeadStatus, Stage
from tests import factories as f
from tests.factories import at

D = Decimal
JANUARY = Period(date(2026, 1, 1), date(2026, 1, 31))
DAY, HOUR = timedelta(days=1), timedelta(hours=1)


def as_tuple(row: FunnelRow) -> tuple[object, ...]:
    """(stage, count, conversion, conversion from lead, median days), Decimals as text."""
    values = (row.stage, row.count, row.conversion, row.conversion_from_lead, row.median_days)
    return tuple(str(v) if isinstance(v, Decimal) else v for v in values)


def won_deal(
    session: Session,
    lead: Lead,
    stages: dict[str, Stage],
    *,
    closed_at: datetime,
    invoiced_at: datetime | None,
    paid_at: datetime | None,
) -> None:
    """A won opportunity of ``lead`` and its order, first invoiced and paid in full at the times."""
    account = f.account(session, f"Account of lead {lead.id}")
    deal = f.opportunity(
        session,
        lead=lead,
        account=account,
        stage=stages["Won"],
        amount=D("1000.00"),
        closed_at=closed_at,
    )
    f.order(
        session,
        deal,
        signed_at=closed_at,
        amount=D("1000.00"),
        invoiced_at=invoiced_at,
        paid_at=paid_at,
    )


def progressed_lead(
    session: Session,
    channel: Channel,
    created_at: datetime,
    *,
    mql: timedelta | None = None,
    sal: timedelta | None = None,
    sql: timedelta | None = None,
) -> Lead:
    """A lead whose MQL, SAL and SQL times each come the given gap after the previous time."""
    times: dict[str, datetime | None] = {}
    previous = created_at
    for name, gap in (("mql_at", mql), ("sal_at", sal), ("sql_at", sql)):
        times[name] = previous + gap if gap is not None else None
        previous = times[name] or previous
    status = next(
        (LeadStatus(name[:3]) for name in ("sql_at", "sal_at", "mql_at") if times[name]),
        LeadStatus.NEW,
    )
    return f.lead(session, created_at, channel=channel, status=status, **times)


@pytest.fixture
def nine_leads(session: Session) -> None:
    """The leads of the module docstring."""
    search = f.channel(session, "Search")
    referral = f.channel(session, "Referral", kind="referral")
    stages = f.pipeline(session)

    f1 = progressed_lead(session, search, at(2026, 1, 1), mql=DAY, sal=2 * DAY, sql=DAY)
    assert f1.sql_at == at(2026, 1, 5)
    won_deal(
        session,
        f1,
        stages,
        closed_at=at(2026, 1, 15),
        invoiced_at=at(2026, 1, 16),
        paid_at=at(2026, 2, 15),
    )
    f2 = progressed_lead(session, search, at(2026, 1, 2), mql=3 * DAY, sal=DAY, sql=4 * DAY)
    assert f2.sql_at == at(2026, 1, 10)
    won_deal(
        session, f2, stages, closed_at=at(2026, 1, 14), invoiced_at=at(2026, 1, 16), paid_at=None
    )
    progressed_lead(session, search, at(2026, 1, 3), mql=2 * DAY)
    progressed_lead(session, search, at(2026, 1, 4), mql=5 * DAY, sal=4 * DAY)
    f.lead(
        session,
        at(2026, 1, 5),
        channel=search,
        status=LeadStatus.DISQUALIFIED,
        disqualified_reason=DisqualifyReason.INVALID,
    )
    f6 = f.lead(session, at(2026, 1, 6), channel=search)

    f7 = progressed_lead(session, referral, at(2026, 1, 7), sal=DAY, sql=2 * DAY)
    assert (f7.mql_at, f7.sql_at) == (None, at(2026, 1, 10))
    won_deal(
        session,
        f7,
        stages,
        closed_at=at(2026, 1, 16),
        invoiced_at=at(2026, 1, 16, 12),
        paid_at=at(2026, 1, 19, 12),
    )
    f.lead(session, at(2026, 1, 8), channel=referral, status=LeadStatus.MERGED, merged_into=f6)
    f9 = progressed_lead(session, referral, at(2026, 1, 9), mql=DAY, sal=DAY, sql=3 * DAY)
    f.opportunity(
        session,
        lead=f9,
        account=f.account(session, "Lost account"),
        stage=stages["Lost"],
        amount=D("500.00"),
        closed_at=at(2026, 1, 20),
    )


# stage, count, conversion (count / previous count), from lead (count / 9), median days
ALL_LEADS = [
    ("lead", 9, None, "1.0000", None),
    ("valid_lead", 7, "0.7778", "0.7778", None),  # 7/9
    ("mql", 6, "0.8571", "0.6667", "2.0"),  # 6/7 = 0.857142…; 6/9
    ("sal", 5, "0.8333", "0.5556", "1.5"),  # 5/6; 5/9 = 0.5555…
    ("sql", 4, "0.8000", "0.4444", "2.5"),  # 4/5; 4/9
    ("won", 3, "0.7500", "0.3333", "6.0"),  # 3/4; 3/9
    ("invoiced", 3, "1.0000", "0.3333", "1.0"),  # 3/3; 3/9
    ("paid", 2, "0.6667", "0.2222", "16.5"),  # 2/3; 2/9
]

# Search F1..F6: lead 6; valid 5 (not F5); MQL F1-F4 = 4; SAL F1 F2 F4 = 3; SQL F1 F2 = 2;
# won 2; invoiced 2; paid F1 = 1.
# medians: MQL 1 2 3 5 → 2.5; SAL 1 2 4 → 2.0; SQL 1 4 → 2.5; won 4 10 → 7.0;
# invoiced 24h 48h → 36h = 1.5; paid 30 → 30.0
SEARCH = [
    ("lead", 6, None, "1.0000", None),
    ("valid_lead", 5, "0.8333", "0.8333", None),  # 5/6
    ("mql", 4, "0.8000", "0.6667", "2.5"),  # 4/5; 4/6
    ("sal", 3, "0.7500", "0.5000", "2.0"),  # 3/4; 3/6
    ("sql", 2, "0.6667", "0.3333", "2.5"),  # 2/3; 2/6
    ("won", 2, "1.0000", "0.3333", "7.0"),  # 2/2; 2/6
    ("invoiced", 2, "1.0000", "0.3333", "1.5"),
    ("paid", 1, "0.5000", "0.1667", "30.0"),  # 1/2; 1/6
]
# Referral F7 F8 F9: lead 3; valid 2 (not F8); MQL 2 (F7 skipped it); SAL 2; SQL 2; won F7 = 1;
# invoiced 1; paid 1. medians: MQL F9 1 → 1.0; SAL F9 1 → 1.0; SQL 2 3 → 2.5; won 6 → 6.0;
# invoiced 12h → 0.5; paid 3 → 3.0
REFERRAL = [
    ("lead", 3, None, "1.0000", None),
    ("valid_lead", 2, "0.6667", "0.6667", None),  # 2/3
    ("mql", 2, "1.0000", "0.6667", "1.0"),
    ("sal", 2, "1.0000", "0.6667", "1.0"),
    ("sql", 2, "1.0000", "0.6667", "2.5"),
    ("won", 1, "0.5000", "0.3333", "6.0"),  # 1/2; 1/3
    ("invoiced", 1, "1.0000", "0.3333", "0.5"),
    ("paid", 1, "1.0000", "0.3333", "3.0"),
]


@pytest.mark.usefixtures("nine_leads")
def test_counts_conversions_and_medians_of_all_leads(session: Session):
    report = funnel_report(session, grouping=None, period=JANUARY)

    assert [as_tuple(row) for row in report.rows] == ALL_LEADS
    assert {row.key for row in report.rows} == {None}


@pytest.mark.usefixtures("nine_leads")
def test_a_lead_that_skipped_mql_counts_as_mql_and_valid(session: Session):
    report = funnel_report(session, grouping=Grouping.CHANNEL, period=JANUARY)
    referral = {row.stage: row.count for row in report.rows if row.key == "Referral"}

    # F7 went straight to SAL; F9 passed MQL; F8 was merged.
    assert (referral["valid_lead"], referral["mql"], referral["sal"]) == (2, 2, 2)


@pytest.mark.usefixtures("nine_leads")
def test_by_channel_gives_each_channel_then_the_total_last(session: Session):
    report = funnel_report(session, grouping=Grouping.CHANNEL, period=JANUARY)

    assert report.groups == ["Search", "Referral", "total"]  # most leads first
    by_key: dict[str | None, list[tuple[object, ...]]] = {}
    for row in report.rows:
        by_key.setdefault(row.key, []).append(as_tuple(row))
    assert list(by_key) == ["Search", "Referral", "total"]
    assert by_key["Search"] == SEARCH
    assert by_key["Referral"] == REFERRAL
    assert by_key["total"] == ALL_LEADS


@pytest.mark.usefixtures("nine_leads")
def test_the_period_selects_the_cohort_by_creation_day(session: Session):
    report = funnel_report(
        session, grouping=None, period=Period(date(2026, 1, 1), date(2026, 1, 4))
    )

    # F1..F4: all valid, all MQL; SAL F1 F2 F4; SQL F1 F2, won and invoiced; F1 paid in February
    # (after the period) still counts: the funnel follows the cohort, not the activity.
    assert [row.count for row in report.rows] == [4, 4, 4, 3, 2, 2, 2, 1]


@pytest.mark.usefixtures("nine_leads")
def test_json_rows_carry_the_grouping_name_and_decimals_as_text(session: Session):
    grouped = funnel_json_rows(funnel_report(session, grouping=Grouping.CHANNEL, period=JANUARY))
    ungrouped = funnel_json_rows(funnel_report(session, grouping=None, period=JANUARY))

    assert len(grouped) == 3 * 8
    assert grouped[-1] == {
        "channel": "total",
        "stage": "paid",
        "count": 2,
        "conversion": "0.6667",
        "conversion_from_lead": "0.2222",
        "median_days": "16.5",
    }
    assert ungrouped[2] == {
        "stage": "mql",
        "count": 6,
        "conversion": "0.8571",
        "conversion_from_lead": "0.6667",
        "median_days": "2.0",
    }


def test_a_lead_with_two_won_deals_counts_once_per_stage(session: Session):
    search = f.channel(session, "Search")
    stages = f.pipeline(session)
    lead = progressed_lead(session, search, at(2026, 1, 1), mql=DAY, sal=DAY, sql=DAY)
    for day in (10, 20):
        won_deal(
            session,
            lead,
            stages,
            closed_at=at(2026, 1, day),
            invoiced_at=at(2026, 1, day),
            paid_at=at(2026, 1, day + 1),
        )

    report = funnel_report(session, grouping=None, period=JANUARY)

    assert [row.count for row in report.rows] == [1, 1, 1, 1, 1, 1, 1, 1]


def test_an_empty_funnel_has_zero_counts_and_no_ratios(session: Session):
    report = funnel_report(session, grouping=Grouping.CHANNEL, period=JANUARY)

    assert report.groups == ["total"]
    assert [as_tuple(row) for row in report.rows] == [
        (stage, 0, None, None, None)
        for stage in ("lead", "valid_lead", "mql", "sal", "sql", "won", "invoiced", "paid")
    ]


@pytest.mark.parametrize(
    ("hours", "expected"),
    [
        ({}, None),
        ({24: 1}, "1.0"),
        ({24: 1, 72: 1}, "2.0"),  # even count: (24 + 72) / 2 = 48h
        ({12: 2, 100: 1}, "0.5"),  # 12 12 100 → 12h
        ({24: 1, 36: 1, 48: 2}, "1.8"),  # 24 36 48 48 → (36 + 48) / 2 = 42h = 1.75 → 1.8
        ({6: 1, 30: 1}, "0.8"),  # 18h = 0.75 → 0.8 (half to even)
        ({6: 1, 6 + 24 * 2: 1}, "1.2"),  # 30h = 1.25 → 1.2 (half to even)
    ],
)
def test_median_days_of_an_hours_histogram(hours: dict[int, int], expected: str | None):
    result = median_days(hours)

    assert (str(result) if result is not None else None) == expected
