"""De-duplication and merging: a captured lead that is someone we have merges into that lead.

Each test imports a first file at a trade show (the lead we have, "the survivor") and then a
second one from a webinar, unless it says otherwise. The survivor is

    Wang Wei · Huaxin Tech Co., Ltd. · wang.wei@huaxin.cn · 138 0013 8000 · 2026-03-02 (trade show)
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from closeloop.analytics.period import Grouping, Period
from closeloop.analytics.roi import roi_report
from closeloop.config import Settings
from closeloop.leads.capture.importer import ImportSummary
from closeloop.models import Lead, LeadMerge, LeadStatusChange
from tests.capture.conftest import Marketing
from tests.capture.helpers import leads_of, run_import, touches_of, write_csv

HEADER = ["name", "company", "email", "phone", "title", "date"]
SURVIVOR = ["Wang Wei", "Huaxin Tech Co., Ltd.", "wang.wei@huaxin.cn", "138 0013 8000", "",
            "2026-03-02"]  # fmt: skip


def capture(
    engine: Engine,
    settings: Settings,
    directory: Path,
    rows: list[list[str]],
    *,
    channel: str,
    name: str | None = None,
) -> ImportSummary:
    """Import ``rows`` (columns of HEADER) as one file from ``channel``."""
    path = write_csv(directory / f"{name or channel}.csv", HEADER, rows)
    return run_import(engine, path, settings, channel=channel)


@pytest.fixture
def survivor(engine: Engine, settings: Settings, marketing: Marketing, tmp_path: Path) -> int:
    """The lead we have, captured at the trade show; returns its id."""
    summary = capture(engine, settings, tmp_path, [SURVIVOR], channel="trade_show")
    assert summary.created == 1
    with engine.connect() as connection:
        return int(connection.scalar(select(Lead.id)))


def merged_lead(read: Session) -> Lead:
    [lead] = [lead for lead in leads_of(read) if lead.status == "merged"]
    return lead


def live_lead_and_merges(read: Session) -> tuple[Lead, list[LeadMerge]]:
    """The one lead not merged away, and the merge records in the order they were made."""
    [lead] = [lead for lead in leads_of(read) if lead.status != "merged"]
    return lead, list(read.scalars(select(LeadMerge).order_by(LeadMerge.id)))


# ---- what matches ------------------------------------------------------------------------------


def test_the_same_email_in_another_case_merges_into_the_lead_we_have(
    engine: Engine, settings: Settings, read: Session, survivor: int, tmp_path: Path
) -> None:
    row = ["W. Wang", "", "WANG.WEI@HUAXIN.CN", "", "", "2026-03-09"]

    summary = capture(engine, settings, tmp_path, [row], channel="webinar")

    assert (summary.created, summary.merged) == (0, 1)
    lead = merged_lead(read)
    assert (lead.merged_into_id, lead.full_name) == (survivor, "W. Wang")


def test_the_same_phone_written_differently_merges_into_the_lead_we_have(
    engine: Engine, settings: Settings, read: Session, survivor: int, tmp_path: Path
) -> None:
    row = ["王伟", "", "", "+86 138-0013-8000", "", "2026-03-09"]

    summary = capture(engine, settings, tmp_path, [row], channel="webinar")

    assert (summary.created, summary.merged) == (0, 1)
    assert merged_lead(read).merged_into_id == survivor
    assert read.scalars(select(LeadMerge.matched_on)).all() == ["phone"]


def test_the_same_person_twice_in_one_file_is_one_lead_and_one_merge(
    engine: Engine, settings: Settings, read: Session, marketing: Marketing, tmp_path: Path
) -> None:
    rows = [
        ["Li Na", "", "li.na@example.com", "", "", "2026-03-02"],
        ["Na Li", "", "LI.NA@example.com", "139 0013 9000", "", "2026-03-02"],
    ]

    summary = capture(engine, settings, tmp_path, rows, channel="trade_show")

    assert (summary.read, summary.created, summary.merged) == (2, 1, 1)
    first, second = leads_of(read)
    assert (first.status, second.status, second.merged_into_id) == ("new", "merged", first.id)
    assert first.phone == "+8613900139000"  # the second row filled it in


def test_a_similar_name_at_the_same_company_merges_without_a_shared_email_or_phone(
    engine: Engine, settings: Settings, read: Session, survivor: int, tmp_path: Path
) -> None:
    row = ["Wei Wang", "HUAXIN TECH LTD", "wei.wang@gmail.com", "", "", "2026-03-09"]

    summary = capture(engine, settings, tmp_path, [row], channel="webinar")

    assert summary.merged == 1
    assert merged_lead(read).merged_into_id == survivor
    merge = read.scalars(select(LeadMerge)).one()
    assert (merge.matched_on, merge.score) == ("name_company", 100)


def test_a_clearly_different_name_at_the_same_company_is_a_new_lead(
    engine: Engine, settings: Settings, read: Session, survivor: int, tmp_path: Path
) -> None:
    row = ["Li Na", "Huaxin Tech Co., Ltd.", "li.na@huaxin.cn", "", "", "2026-03-09"]

    summary = capture(engine, settings, tmp_path, [row], channel="webinar")

    assert (summary.created, summary.merged) == (1, 0)
    assert [lead.status for lead in leads_of(read)] == ["new", "new"]


def test_a_similar_name_at_another_company_is_a_new_lead(
    engine: Engine, settings: Settings, survivor: int, tmp_path: Path
) -> None:
    row = ["Wei Wang", "Dongfang Electric", "wei.wang@gmail.com", "", "", "2026-03-09"]

    summary = capture(engine, settings, tmp_path, [row], channel="webinar")

    assert (summary.created, summary.merged) == (1, 0)


# "Zhang Xiaomin" is 96 % like "Zhang Xiaoming": above the threshold (90), below certain (97).
ZHANG = [
    "Zhang Xiaoming",
    "Huaxin Tech Co., Ltd.",
    "zxm@huaxin.cn",
    "139 0013 9000",
    "",
    "2026-03-02",
]


def test_a_similar_name_whose_email_and_phone_both_differ_is_a_new_lead(
    engine: Engine, settings: Settings, marketing: Marketing, tmp_path: Path
) -> None:
    capture(engine, settings, tmp_path, [ZHANG], channel="trade_show")
    row = ["Zhang Xiaomin", "HUAXIN TECH LTD", "zhang@gmail.com", "137 0013 7000", "", "2026-03-09"]

    summary = capture(engine, settings, tmp_path, [row], channel="webinar")

    assert (summary.created, summary.merged) == (1, 0)


def test_a_similar_name_whose_phone_is_unknown_merges(
    engine: Engine, settings: Settings, read: Session, marketing: Marketing, tmp_path: Path
) -> None:
    capture(engine, settings, tmp_path, [ZHANG], channel="trade_show")
    row = ["Zhang Xiaomin", "HUAXIN TECH LTD", "zhang@gmail.com", "", "", "2026-03-09"]

    summary = capture(engine, settings, tmp_path, [row], channel="webinar")

    assert summary.merged == 1
    merge = read.scalars(select(LeadMerge)).one()
    assert (merge.matched_on, merge.score) == ("name_company", 96)


def test_a_name_threshold_above_100_turns_fuzzy_merging_off(
    engine: Engine, db_url: str, survivor: int, tmp_path: Path
) -> None:
    strict = Settings(database_url=db_url, match_name_threshold=101)
    row = ["Wei Wang", "HUAXIN TECH LTD", "wei.wang@gmail.com", "", "", "2026-03-09"]

    summary = capture(engine, strict, tmp_path, [row], channel="webinar")

    assert (summary.created, summary.merged) == (1, 0)


def test_a_name_threshold_above_100_still_merges_the_same_email(
    engine: Engine, db_url: str, survivor: int, tmp_path: Path
) -> None:
    strict = Settings(database_url=db_url, match_name_threshold=101)
    row = ["Someone Else", "", "wang.wei@huaxin.cn", "", "", "2026-03-09"]

    summary = capture(engine, strict, tmp_path, [row], channel="webinar")

    assert summary.merged == 1


def test_a_merged_leads_own_email_still_finds_its_survivor(
    engine: Engine, settings: Settings, read: Session, survivor: int, tmp_path: Path
) -> None:
    # Merged on the phone; its other e-mail is not the survivor's, yet it is the same person.
    first = ["Wang Wei", "", "wangwei@163.com", "13800138000", "", "2026-03-09"]
    capture(engine, settings, tmp_path, [first], channel="webinar")
    again = ["Wang Wei", "", "wangwei@163.com", "", "", "2026-03-10"]

    summary = capture(engine, settings, tmp_path, [again], channel="referral")

    assert summary.merged == 1
    assert {lead.merged_into_id for lead in leads_of(read) if lead.status == "merged"} == {survivor}


# ---- what a merge does -------------------------------------------------------------------------


def test_the_merged_lead_is_kept_with_status_merged_and_its_own_source(
    engine: Engine,
    settings: Settings,
    read: Session,
    marketing: Marketing,
    survivor: int,
    tmp_path: Path,
) -> None:
    row = ["W. Wang", "", "wang.wei@huaxin.cn", "", "", "2026-03-09"]

    capture(engine, settings, tmp_path, [row], channel="webinar")

    lead = merged_lead(read)
    assert (lead.status, lead.merged_into_id, lead.channel_id) == (
        "merged",
        survivor,
        marketing.webinar,
    )
    history = read.scalars(
        select(LeadStatusChange)
        .where(LeadStatusChange.lead_id == lead.id)
        .order_by(LeadStatusChange.id)
    ).all()
    assert [(h.from_status, h.to_status) for h in history] == [(None, "new"), ("new", "merged")]
    assert history[1].reason == f"duplicate of lead {survivor} (same email, score 100)"


def test_the_survivor_keeps_its_first_touch_and_gets_the_new_source_as_a_second_touch(
    engine: Engine,
    settings: Settings,
    read: Session,
    marketing: Marketing,
    survivor: int,
    tmp_path: Path,
) -> None:
    row = ["W. Wang", "", "wang.wei@huaxin.cn", "", "", "2026-03-09"]

    capture(engine, settings, tmp_path, [row], channel="webinar")

    lead = read.get_one(Lead, survivor)
    assert (lead.status, lead.channel_id) == ("new", marketing.trade_show)
    assert lead.created_at.date() == date(2026, 3, 2)
    touches = touches_of(read, survivor)
    assert [(t.channel_id, t.occurred_at.date()) for t in touches] == [
        (marketing.trade_show, date(2026, 3, 2)),
        (marketing.webinar, date(2026, 3, 9)),
    ]
    assert touches_of(read, merged_lead(read).id) == []


def test_a_merge_fills_the_survivors_empty_fields(
    engine: Engine, settings: Settings, read: Session, survivor: int, tmp_path: Path
) -> None:
    row = ["Wang Wei", "", "wang.wei@huaxin.cn", "", "采购总监", "2026-03-09"]

    capture(engine, settings, tmp_path, [row], channel="webinar")

    assert read.get_one(Lead, survivor).title == "采购总监"
    merge = read.scalars(select(LeadMerge)).one()
    assert merge.filled == {"title": "采购总监"}
    assert merge.conflicts == {}


def test_a_merge_keeps_the_survivors_values_and_records_the_conflicts(
    engine: Engine, settings: Settings, read: Session, survivor: int, tmp_path: Path
) -> None:
    row = ["Wang Wei", "Dongfang Electric", "wang.wei@huaxin.cn", "139 0013 9000", "", "2026-03-09"]

    capture(engine, settings, tmp_path, [row], channel="webinar")

    lead = read.get_one(Lead, survivor)
    assert (lead.company, lead.phone) == ("Huaxin Tech Co., Ltd.", "+8613800138000")
    merge = read.scalars(select(LeadMerge)).one()
    assert merge.conflicts == {
        "company": ["Huaxin Tech Co., Ltd.", "Dongfang Electric"],
        "company_key": ["huaxintech", "dongfangelectric"],
        "phone": ["+8613800138000", "+8613900139000"],
    }


def test_later_rows_of_a_file_merge_into_what_earlier_rows_filled_in(
    engine: Engine, settings: Settings, read: Session, marketing: Marketing, tmp_path: Path
) -> None:
    no_phone = ["Li Na", "Huaxin Tech Co., Ltd.", "li.na@huaxin.cn", "", "", "2026-03-02"]
    capture(engine, settings, tmp_path, [no_phone], channel="trade_show")
    rows = [
        ["Li Na", "", "li.na@huaxin.cn", "139 0013 9000", "采购总监", "2026-03-09"],
        ["Li Na", "", "", "139-0013-9000", "销售经理", "2026-03-10"],  # the phone just filled in
    ]

    summary = capture(engine, settings, tmp_path, rows, channel="webinar")

    assert (summary.created, summary.merged) == (0, 2)
    lead, (first, second) = live_lead_and_merges(read)
    assert (lead.phone, lead.title) == ("+8613900139000", "采购总监")
    assert (first.matched_on, first.filled, first.conflicts) == (
        "email",
        {"phone": "+8613900139000", "title": "采购总监", "region": "CN"},  # region: the phone's
        {},
    )
    assert (second.matched_on, second.filled, second.conflicts) == (
        "phone",
        {},
        {"title": ["采购总监", "销售经理"]},
    )


def test_a_lead_that_shares_only_the_company_fills_in_and_then_matches_by_what_it_got(
    engine: Engine, settings: Settings, read: Session, marketing: Marketing, tmp_path: Path
) -> None:
    # Found only by its company (no e-mail or phone of the file's), then merged into by name.
    stored = ["Zhao Lei", "Huaxin Tech Co., Ltd.", "", "137 0013 7000", "", "2026-03-02"]
    capture(engine, settings, tmp_path, [stored], channel="trade_show")
    rows = [
        ["Lei Zhao", "HUAXIN TECH LTD", "zhao.lei@gmail.com", "", "CTO", "2026-03-09"],
        ["Z. Lei", "", "zhao.lei@gmail.com", "", "CEO", "2026-03-10"],  # the e-mail just filled
    ]

    summary = capture(engine, settings, tmp_path, rows, channel="webinar")

    assert (summary.created, summary.merged) == (0, 2)
    lead, (first, second) = live_lead_and_merges(read)
    assert (lead.email, lead.phone, lead.title) == ("zhao.lei@gmail.com", "+8613700137000", "CTO")
    assert (first.matched_on, first.score, first.filled, first.conflicts) == (
        "name_company",
        100,
        {"email": "zhao.lei@gmail.com", "title": "CTO"},
        {
            "full_name": ["Zhao Lei", "Lei Zhao"],
            "company": ["Huaxin Tech Co., Ltd.", "HUAXIN TECH LTD"],
        },
    )
    assert (second.matched_on, second.filled, second.conflicts) == (
        "email",
        {},
        {"full_name": ["Zhao Lei", "Z. Lei"], "title": ["CTO", "CEO"]},
    )


def test_the_merged_lead_row_keeps_its_own_conflicting_values(
    engine: Engine, settings: Settings, read: Session, survivor: int, tmp_path: Path
) -> None:
    row = ["Wang Wei", "Dongfang Electric", "wang.wei@huaxin.cn", "139 0013 9000", "", "2026-03-09"]

    capture(engine, settings, tmp_path, [row], channel="webinar")

    lead = merged_lead(read)
    assert (lead.company, lead.phone) == ("Dongfang Electric", "+8613900139000")


def test_a_merged_lead_counts_as_a_lead_but_not_a_valid_lead(
    engine: Engine, settings: Settings, read: Session, survivor: int, tmp_path: Path
) -> None:
    row = ["W. Wang", "", "wang.wei@huaxin.cn", "", "", "2026-03-09"]
    capture(engine, settings, tmp_path, [row], channel="webinar")

    report = roi_report(
        read, grouping=Grouping.CHANNEL, period=Period(date(2026, 3, 1), date(2026, 3, 31))
    )

    rows = {row.key: (row.leads, row.valid_leads) for row in report.rows}
    assert rows == {"Trade shows": (1, 1), "Webinars": (1, 0)}
    assert (report.total.leads, report.total.valid_leads) == (2, 1)


def test_the_same_row_from_another_channel_adds_a_touch_for_that_channel(
    engine: Engine,
    settings: Settings,
    read: Session,
    marketing: Marketing,
    survivor: int,
    tmp_path: Path,
) -> None:
    summary = capture(engine, settings, tmp_path, [SURVIVOR], channel="webinar")

    assert (summary.merged, summary.already) == (1, 0)
    assert [t.channel_id for t in touches_of(read, survivor)] == [
        marketing.trade_show,
        marketing.webinar,
    ]
