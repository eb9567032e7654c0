"""A large file is cleaned in a second process: the same records as in a thread, its errors
reach the import, and it stops when the import does."""

from __future__ import annotations

import multiprocessing
import pickle
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from closeloop.config import Settings
from closeloop.errors import Invalid
from closeloop.leads.capture.cleaning import (
    Cleaning,
    _packed,
    _unpacked,
    cleaned_batches,
    cleaned_in_process,
)
from closeloop.leads.capture.headers import map_headers
from closeloop.leads.capture.readers import read_rows
from closeloop.leads.capture.record import CapturedLead, Rejection
from tests.capture.helpers import leads_of, read_rejects, run_import, write_csv

HEADER = ["姓名", "公司", "手机", "邮箱"]
ROWS = [
    ["王伟", "华信科技有限公司", "138 0013 8000", "wang.wei@huaxin.cn"],
    ["李娜", "", "", "li.na@"],  # no way to reach her: rejected on the e-mail
    ["王伟", "华信科技", "+86 138-0013-8000", ""],  # the same mobile: merged into the first
    ["张强", "远景集团", "１３９００１３９０００", ""],  # full-width digits
    ["刘洋", "", "", "liu.yang@example.cn"],
]


def _file(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "expo.csv", HEADER, ROWS, encoding="gbk")


def _cleaning(path: Path, batch_size: int = 2) -> Cleaning:
    headers, _ = read_rows(path)
    return Cleaning(path, map_headers(headers, {}), {}, "CN", "1/None/None", batch_size)


def test_the_process_cleans_each_batch_as_the_thread_does(tmp_path: Path) -> None:
    cleaning = _cleaning(_file(tmp_path))
    with cleaned_in_process(cleaning) as batches:
        in_process = list(batches)
    in_thread = list(cleaned_batches(cleaning))
    assert [len(batch) for batch in in_process] == [2, 2, 1]
    assert in_process == in_thread
    kinds = [type(item) for batch in in_process for item in batch]
    assert kinds == [CapturedLead, Rejection, CapturedLead, CapturedLead, CapturedLead]
    assert in_process[1][1].phone == "+8613900139000"  # type: ignore[union-attr]


def test_a_record_with_every_value_crosses_to_the_writer_unchanged() -> None:
    record = CapturedLead(
        "k",
        7,
        "ext-7",
        "王伟",
        "wang.wei@huaxin.cn",
        "+8613800138000",
        "华信科技有限公司",
        "华信科技",
        "经理",
        "software",
        200,
        "CN",
        "上海",
        "展会",
        "expo",
        "https://x.cn/?utm_source=expo",
        {"utm_source": "expo"},
        "contact-us",
        datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
    )

    rejected = Rejection("k2", 3, "email", "not an e-mail address: 'x@'", {"邮箱": "x@"})
    crossed = _unpacked(pickle.loads(pickle.dumps(_packed([record, rejected]))))
    assert crossed == [record, rejected]


def test_an_error_in_the_process_is_raised_by_the_import_side(tmp_path: Path) -> None:
    gone = replace(_cleaning(_file(tmp_path)), path=tmp_path / "gone.csv")
    with pytest.raises(Invalid, match="no such file") as raised, cleaned_in_process(gone) as b:
        list(b)
    assert raised.value.field == "file"


def test_the_process_stops_when_the_import_stops_early(tmp_path: Path) -> None:
    rows = [[f"客户{n}", "华信科技", f"1380013{n:04d}", ""] for n in range(5_000)]
    path = write_csv(tmp_path / "many.csv", HEADER, rows)
    with cleaned_in_process(_cleaning(path, batch_size=10)) as batches:
        first = next(batches)
        assert [item.phone for item in first[:2]] == ["+8613800130000", "+8613800130001"]  # type: ignore[union-attr]
    assert multiprocessing.active_children() == []


@pytest.mark.usefixtures("marketing")
def test_an_import_cleaned_in_a_process_adds_up_and_keeps_its_rejects(
    engine: Engine, tmp_path: Path, db_url: str, read: Session
) -> None:
    settings = Settings(database_url=db_url, import_batch_size=2, import_cleaning_process_min_mb=0)
    summary = run_import(engine, _file(tmp_path), settings)
    assert (summary.read, summary.created, summary.merged, summary.rejected) == (5, 3, 1, 1)
    assert [(lead.full_name, lead.phone, lead.status) for lead in leads_of(read)] == [
        ("王伟", "+8613800138000", "new"),
        ("张强", "+8613900139000", "new"),  # a batch writes its new leads before its merged
        ("王伟", "+8613800138000", "merged"),
        ("刘洋", None, "new"),
    ]
    assert [(r["row"], r["field"]) for r in read_rejects(tmp_path / "expo.rejects.csv")] == [
        ("3", "email")
    ]
