"""An import decides each batch while the one before is written (capture/ahead.py and
overlapped.py): the leads must end as if the batches had been captured one after another, and a
capture that comes in between two batches must be seen by the second."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from closeloop.config import Settings
from closeloop.db.engine import make_engine, unit_of_work
from closeloop.db.locks import LOCK_BUCKETS, begin_writing
from closeloop.leads.capture import ahead
from closeloop.leads.capture.attribution import Source
from closeloop.leads.capture.cleaning import Batch
from closeloop.leads.capture.decide import Decided
from closeloop.leads.capture.headers import map_headers
from closeloop.leads.capture.overlapped import Overlap, capture_overlapped
from closeloop.leads.capture.record import CapturedLead, clean_record
from closeloop.leads.capture.service import BatchResult, capture_batch, write_decided
from closeloop.models import Lead, LeadMerge

# A batch this large locks every capture on PostgreSQL too, so the next is decided meanwhile.
LARGE = 4 * LOCK_BUCKETS
MAPPING = map_headers(["name", "email", "phone", "company"], {})


def record(name: str, email: str = "", phone: str = "", company: str = "") -> Any:
    raw = {"name": name, "email": email, "phone": phone, "company": company}
    return clean_record(raw, MAPPING, row_number=None, default_region="CN")


def fillers(batch: int) -> list[CapturedLead]:
    return [record(f"Filler {n}", email=f"filler.{batch}.{n}@example.cn") for n in range(LARGE)]


def capture_all(
    engine: Engine,
    batches: list[Batch],
    between: Callable[[int], None] = lambda done: None,
    settings: Settings = Settings(),
) -> tuple[Overlap, list[BatchResult]]:
    """The batches through ``capture_overlapped``; ``between(n)`` runs after n are committed."""
    results: list[BatchResult] = []

    def write(session: Session, decided: Decided) -> None:
        results.append(write_decided(session, decided, source=Source(), attribution=None))

    overlap = capture_overlapped(
        engine, iter(batches), settings, write, lambda items: between(len(results))
    )
    return overlap, results


def test_a_batch_decided_ahead_finds_what_the_batch_before_writes(engine: Engine) -> None:
    wang = record("王伟", email="wang.wei@huaxin.cn", company="华信科技有限公司")
    repeat = fillers(1)[7]  # the same row again: already captured, by the batch before
    adds_phone = record("王伟", email="wang.wei@huaxin.cn", phone="13812345678")
    other_email = record("王伟", email="wei.wang@gmail.com", company="华信科技有限公司")
    by_phone = record("W. Wang", phone="+86 138 1234 5678")
    by_other_email = record("Wang", email="wei.wang@gmail.com")
    batches: list[Batch] = [
        [*fillers(1), wang],
        [*fillers(2), repeat, adds_phone, other_email],
        [by_phone, by_other_email],
    ]

    overlap, results = capture_all(engine, batches)

    assert overlap == Overlap(ahead=2, again=0, in_turn=1)
    wang_id = results[0].outcomes[-1].lead_id
    repeated_id = results[0].outcomes[7].lead_id
    assert results[0].outcomes[-1].kind == "created"
    second = [(o.kind, o.lead_id) for o in results[1].outcomes[-3:]]
    # The e-mail merges and fills the phone; the same name at the same company merges too.
    assert second == [("already", repeated_id), ("merged", wang_id), ("merged", wang_id)]
    # Found by the phone the batch before filled in, and by the e-mail of a lead merged in it.
    assert [(o.kind, o.lead_id) for o in results[2].outcomes] == [("merged", wang_id)] * 2
    with unit_of_work(engine) as session:
        lead = session.get_one(Lead, wang_id)
        assert (lead.email, lead.phone) == ("wang.wei@huaxin.cn", "+8613812345678")
        matched = session.scalars(
            select(LeadMerge.matched_on).where(LeadMerge.survivor_id == wang_id)
        )
        assert sorted(matched) == ["email", "email", "name_company", "phone"]
        assert session.scalar(select(func.count()).select_from(Lead)) == 2 * LARGE + 1 + 4


def test_a_capture_between_two_batches_is_found_by_the_second(engine: Engine) -> None:
    zhao = record("赵敏", email="zhao.min@dongfang.cn")
    captured: list[int | None] = []

    def capture_over_http(done: int) -> None:
        if done == 1:  # the second batch was decided meanwhile, without this lead
            with unit_of_work(engine) as session:
                begin_writing(session)
                result = capture_batch(
                    session, [zhao], source=Source(), attribution=None, settings=Settings()
                )
                captured.append(result.outcomes[0].lead_id)

    batches: list[Batch] = [fillers(1), [*fillers(2), record("Zhao Min", "zhao.min@dongfang.cn")]]
    overlap, results = capture_all(engine, batches, capture_over_http)

    assert overlap == Overlap(ahead=0, again=1, in_turn=1)
    last = results[1].outcomes[-1]
    assert (last.kind, last.lead_id) == ("merged", captured[0])


def test_a_failure_deciding_ahead_stops_the_import_after_the_batch_before(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any) -> Any:
        raise RuntimeError("lookup failed")

    monkeypatch.setattr(ahead.InFlight, "with_its_writes", broken)
    with pytest.raises(RuntimeError, match="lookup failed"):
        capture_all(engine, [fillers(1), fillers(2), fillers(3)])
    with unit_of_work(engine) as session:
        assert session.scalar(select(func.count()).select_from(Lead)) == LARGE


def test_every_batch_after_the_first_is_decided_ahead_unless_turned_off(engine: Engine) -> None:
    overlap, results = capture_all(engine, [fillers(1), fillers(2), fillers(3)])
    assert overlap == Overlap(ahead=2, in_turn=1)
    assert [r.count("created") for r in results] == [LARGE] * 3

    off = Settings(import_decide_ahead=False)
    overlap, results = capture_all(engine, [fillers(4), fillers(5)], settings=off)
    assert overlap == Overlap(in_turn=2)
    assert [r.count("created") for r in results] == [LARGE] * 2


# ---- the same leads either way (SQLite: it decides ahead at any batch size) ----------------

NAMES = ["王伟", "Wang Wei", "李娜", "Li Na", "张伟"]
EMAILS = ["", "a@huaxin.cn", "b@huaxin.cn", "c@dongfang.cn"]
PHONES = ["", "13800000001", "13800000002"]
COMPANIES = ["", "华信科技有限公司", "Huaxin Co., Ltd.", "东方集团"]
records = st.builds(
    record,
    st.sampled_from(NAMES),
    st.sampled_from(EMAILS),
    st.sampled_from(PHONES),
    st.sampled_from(COMPANIES),
)


def stored(engine: Engine) -> tuple[list[Any], list[Any]]:
    with unit_of_work(engine) as session:
        leads = session.execute(
            select(
                Lead.id,
                Lead.full_name,
                Lead.email,
                Lead.phone,
                Lead.company_key,
                Lead.status,
                Lead.merged_into_id,
                Lead.source_key,
            ).order_by(Lead.id)
        )
        merges = session.execute(
            select(
                LeadMerge.merged_lead_id,
                LeadMerge.survivor_id,
                LeadMerge.matched_on,
                LeadMerge.score,
                LeadMerge.filled,
                LeadMerge.conflicts,
            ).order_by(LeadMerge.merged_lead_id)
        )
        return [tuple(r) for r in leads], [tuple(r) for r in merges]


@pytest.mark.parametrize("backend", ["sqlite"])
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batches=st.lists(st.lists(records, min_size=1, max_size=5), min_size=2, max_size=4))
def test_deciding_ahead_ends_as_capturing_one_batch_after_another(
    server: Any, batches: list[Batch]
) -> None:
    with tempfile.TemporaryDirectory() as directory:
        one_by_one = make_engine(server.create(migrated=True, directory=Path(directory)))
        overlapped = make_engine(server.create(migrated=True, directory=Path(directory)))
        try:
            expected = []
            for batch in batches:
                with unit_of_work(one_by_one) as session:
                    begin_writing(session)
                    result = capture_batch(
                        session, batch, source=Source(), attribution=None, settings=Settings()
                    )
                    expected.append(result.outcomes)
            overlap, results = capture_all(overlapped, batches)

            assert overlap.ahead == len(batches) - 1
            assert [r.outcomes for r in results] == expected
            assert stored(overlapped) == stored(one_by_one)
        finally:
            one_by_one.dispose()
            overlapped.dispose()
