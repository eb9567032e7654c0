"""Undoing a merge, in the service and through `closeloop leads unmerge ID`.

Every test starts from one merge:

    S  Wang Wei  wang.wei@huaxin.cn  138 0013 8000  no title   trade show  03-02  the survivor
    M  W. Wang   wang.wei@huaxin.cn                 采购总监   webinar     03-09  merged into S

    The merge filled S.title = 采购总监 and moved M's webinar touch to S.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from closeloop.config import Settings
from closeloop.db.engine import unit_of_work
from closeloop.errors import InvalidTransition, NotFound
from closeloop.leads.capture.unmerge import unmerge_lead
from closeloop.models import Lead, LeadMerge, LeadStatusChange
from tests.capture.conftest import Marketing
from tests.capture.helpers import (
    SQLITE_ONLY,
    closeloop,
    leads_of,
    run_import,
    touches_of,
    write_csv,
)

HEADER = ["name", "email", "phone", "title", "date"]


@dataclass(frozen=True)
class Merge:
    survivor: int
    merged: int


@pytest.fixture
def merge(
    engine: Engine, settings: Settings, marketing: Marketing, read: Session, tmp_path: Path
) -> Merge:
    show = write_csv(
        tmp_path / "show.csv",
        HEADER,
        [["Wang Wei", "wang.wei@huaxin.cn", "138 0013 8000", "", "2026-03-02"]],
    )
    webinar = write_csv(
        tmp_path / "webinar.csv",
        HEADER,
        [["W. Wang", "wang.wei@huaxin.cn", "", "采购总监", "2026-03-09"]],
    )
    run_import(engine, show, settings, channel="trade_show")
    run_import(engine, webinar, settings, channel="webinar")
    survivor, merged = leads_of(read)
    assert (merged.status, merged.merged_into_id, survivor.title) == (
        "merged",
        survivor.id,
        "采购总监",
    )
    return Merge(survivor.id, merged.id)


def unmerge(engine: Engine, lead_id: int) -> None:
    with unit_of_work(engine) as session:
        unmerge_lead(session, lead_id=lead_id)


def test_unmerging_restores_the_merged_leads_status(
    engine: Engine, read: Session, merge: Merge
) -> None:
    unmerge(engine, merge.merged)

    lead = leads_of(read)[1]
    assert (lead.id, lead.status, lead.merged_into_id) == (merge.merged, "new", None)


def test_unmerging_moves_the_touch_back_to_the_merged_lead(
    engine: Engine, read: Session, marketing: Marketing, merge: Merge
) -> None:
    unmerge(engine, merge.merged)

    assert [t.channel_id for t in touches_of(read, merge.survivor)] == [marketing.trade_show]
    assert [t.channel_id for t in touches_of(read, merge.merged)] == [marketing.webinar]


def test_unmerging_clears_the_fields_the_merge_filled_on_the_survivor(
    engine: Engine, read: Session, merge: Merge
) -> None:
    unmerge(engine, merge.merged)

    survivor = leads_of(read)[0]
    assert (survivor.title, survivor.email, survivor.phone) == (
        None,
        "wang.wei@huaxin.cn",
        "+8613800138000",
    )


def test_unmerging_keeps_a_filled_field_that_was_changed_since(
    engine: Engine, read: Session, merge: Merge
) -> None:
    with unit_of_work(engine) as session:
        session.get_one(Lead, merge.survivor).title = "总经理"

    with unit_of_work(engine) as session:
        result = unmerge_lead(session, lead_id=merge.merged)

    assert (result.cleared, result.kept) == ([], ["title"])
    assert leads_of(read)[0].title == "总经理"


def test_unmerging_writes_a_status_change_and_marks_the_merge_undone(
    engine: Engine, read: Session, merge: Merge
) -> None:
    unmerge(engine, merge.merged)

    read.rollback()
    last = read.scalars(
        select(LeadStatusChange)
        .where(LeadStatusChange.lead_id == merge.merged)
        .order_by(LeadStatusChange.id.desc())
    ).first()
    assert last is not None
    assert (last.from_status, last.to_status, last.reason) == (
        "merged",
        "new",
        f"unmerged from lead {merge.survivor}",
    )
    assert read.scalars(select(LeadMerge.undone_at)).one() is not None


def test_unmerging_a_lead_that_is_not_merged_is_an_invalid_transition(
    engine: Engine, merge: Merge
) -> None:
    with pytest.raises(InvalidTransition, match="not merged"), unit_of_work(engine) as session:
        unmerge_lead(session, lead_id=merge.survivor)


def test_unmerging_twice_is_an_invalid_transition(engine: Engine, merge: Merge) -> None:
    unmerge(engine, merge.merged)

    with pytest.raises(InvalidTransition), unit_of_work(engine) as session:
        unmerge_lead(session, lead_id=merge.merged)


def test_unmerging_a_lead_that_does_not_exist_is_not_found(engine: Engine, merge: Merge) -> None:
    with pytest.raises(NotFound), unit_of_work(engine) as session:
        unmerge_lead(session, lead_id=999)


def test_the_same_file_after_an_unmerge_does_not_merge_again(
    engine: Engine, settings: Settings, read: Session, merge: Merge, tmp_path: Path
) -> None:
    unmerge(engine, merge.merged)

    again = run_import(engine, tmp_path / "webinar.csv", settings, channel="webinar")

    assert (again.created, again.already) == (0, 1)
    assert [lead.status for lead in leads_of(read)] == ["new", "new"]


# ---- the command -------------------------------------------------------------------------------


@SQLITE_ONLY  # a new process (about a second); the service is tested on both databases above
def test_the_unmerge_command_restores_the_lead(
    db_url: str, read: Session, merge: Merge, tmp_path: Path
) -> None:
    result = closeloop("leads", "unmerge", str(merge.merged), "--db", db_url, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert f"Lead {merge.merged} is new again" in result.stdout
    assert "Cleared on lead" in result.stdout and "title" in result.stdout
    survivor, lead = leads_of(read)
    assert (lead.status, lead.merged_into_id, survivor.title) == ("new", None, None)
