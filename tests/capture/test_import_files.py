"""Importing spreadsheets: encodings, XLSX, JSON Lines, Chinese headers, --map, extra columns.

Every file holds the same person unless a test says otherwise:

    王伟 · 华信科技有限公司 · mobile 138 0013 8000 · wang.wei@huaxin.cn · 采购经理 · 制造业 · 上海

Reading and cleaning a file does not depend on the database, so these run on SQLite only; what
the import writes is checked on both databases in test_validate.py and test_dedup_merge.py.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from closeloop.config import Settings
from closeloop.errors import Invalid
from closeloop.leads.capture.headers import parse_mapping
from closeloop.leads.capture.readers import read_rows
from tests.capture.conftest import Marketing
from tests.capture.helpers import (
    SQLITE_ONLY,
    assert_adds_up,
    leads_of,
    read_rejects,
    run_import,
    write_csv,
    write_jsonl,
)

pytestmark = [pytest.mark.usefixtures("marketing"), SQLITE_ONLY]


CHINESE_HEADER = ["姓名", "公司", "手机", "邮箱", "职位", "行业", "城市", "来源", "备注"]
WANG_WEI = [
    "王伟",
    "华信科技有限公司",
    "138 0013 8000",
    "wang.wei@huaxin.cn",
    "采购经理",
    "制造业",
    "上海",
    "展会",
    "展会当天交换名片",
]


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig", "utf-8"])
def test_a_csv_with_chinese_headers_reads_the_same_in_each_encoding(
    engine: Engine,
    settings: Settings,
    read: Session,
    marketing: Marketing,
    tmp_path: Path,
    encoding: str,
) -> None:
    path = write_csv(tmp_path / "expo.csv", CHINESE_HEADER, [WANG_WEI], encoding=encoding)

    summary = run_import(engine, path, settings)

    assert (summary.read, summary.created, summary.rejected) == (1, 1, 0)
    [lead] = leads_of(read)
    assert (lead.full_name, lead.company, lead.company_key) == (
        "王伟",
        "华信科技有限公司",
        "华信科技",
    )
    assert (lead.phone, lead.email) == ("+8613800138000", "wang.wei@huaxin.cn")
    assert (lead.title, lead.industry, lead.city) == ("采购经理", "制造业", "上海")
    assert (lead.region, lead.notes) == ("CN", "展会当天交换名片")
    assert (lead.status, lead.channel_id) == ("new", marketing.trade_show)


def test_the_summary_names_the_field_each_chinese_header_fills(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "expo.csv", CHINESE_HEADER, [WANG_WEI], encoding="gbk")

    summary = run_import(engine, path, settings)

    assert summary.columns == {
        "姓名": "full_name",
        "公司": "company",
        "手机": "phone",
        "邮箱": "email",
        "职位": "title",
        "行业": "industry",
        "城市": "city",
        "来源": "source",
        "备注": "notes",
    }


def test_a_landline_under_the_header_dianhua_is_the_phone(
    engine: Engine, settings: Settings, read: Session, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "a.csv", ["联系人", "电话"], [["李娜", "010-6552 9988"]])

    run_import(engine, path, settings)

    [lead] = leads_of(read)
    assert (lead.full_name, lead.phone) == ("李娜", "+861065529988")


def test_a_second_phone_column_is_kept_in_the_notes(
    engine: Engine, settings: Settings, read: Session, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "a.csv", ["姓名", "手机", "电话"], [["李娜", "13900139000", "010-65529988"]]
    )

    run_import(engine, path, settings)

    [lead] = leads_of(read)
    assert (lead.phone, lead.notes) == ("+8613900139000", "电话: 010-65529988")


def test_unknown_columns_end_up_in_the_notes_after_the_notes_column(
    engine: Engine, settings: Settings, read: Session, tmp_path: Path
) -> None:
    header = ["姓名", "微信", "邮箱", "展位号", "备注"]
    path = write_csv(
        tmp_path / "a.csv", header, [["王伟", "wangwei_88", "w@huaxin.cn", "A-12", "要报价"]]
    )

    run_import(engine, path, settings)

    [lead] = leads_of(read)
    assert lead.notes == "要报价\n微信: wangwei_88\n展位号: A-12"


def test_a_map_option_gives_an_unknown_header_its_field(
    engine: Engine, settings: Settings, read: Session, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "a.csv",
        ["姓名", "单位名称", "邮箱"],
        [["王伟", "华信科技有限公司", "w@huaxin.cn"]],
    )

    summary = run_import(engine, path, settings, mapping=parse_mapping(["单位名称=company"]))

    [lead] = leads_of(read)
    assert (lead.company, lead.company_key, lead.notes) == ("华信科技有限公司", "华信科技", None)
    assert summary.columns is not None and summary.columns["单位名称"] == "company"


def test_a_recognized_column_mapped_to_ignore_fills_no_field(
    engine: Engine, settings: Settings, read: Session, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "a.csv", ["姓名", "邮箱", "城市"], [["王伟", "w@huaxin.cn", "上海"]]
    )

    run_import(engine, path, settings, mapping=parse_mapping(["城市=ignore"]))

    [lead] = leads_of(read)
    assert lead.city is None


def test_a_map_option_wins_over_a_recognized_header(
    engine: Engine, settings: Settings, read: Session, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "a.csv",
        ["姓名", "公司", "单位名称", "邮箱"],
        [["王伟", "华信", "华信科技有限公司", "w@huaxin.cn"]],
    )

    run_import(engine, path, settings, mapping=parse_mapping(["单位名称=company"]))

    [lead] = leads_of(read)
    assert lead.company == "华信科技有限公司"


def test_a_map_option_naming_no_column_of_the_file_is_refused(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "a.csv", ["姓名", "邮箱"], [["王伟", "w@huaxin.cn"]])

    with pytest.raises(Invalid, match="单位名称") as raised:
        run_import(engine, path, settings, mapping=parse_mapping(["单位名称=company"]))
    assert raised.value.field == "map"


@pytest.mark.parametrize("pair", ["单位名称", "=company", "单位名称=companyname"])
def test_a_malformed_map_option_is_refused(pair: str) -> None:
    with pytest.raises(Invalid) as raised:
        parse_mapping([pair])
    assert raised.value.field == "map"


# ---- XLSX --------------------------------------------------------------------------------------


def _xlsx(path: Path, rows: list[list[object]]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def test_an_xlsx_phone_stored_as_a_number_comes_out_as_the_mobile(
    engine: Engine, settings: Settings, read: Session, tmp_path: Path
) -> None:
    path = _xlsx(
        tmp_path / "expo.xlsx",
        [["姓名", "手机", "邮箱"], ["李娜", 13900139000, None], ["张敏", 13700137000.0, None]],
    )

    summary = run_import(engine, path, settings)

    assert (summary.read, summary.created) == (2, 2)
    assert [(lead.full_name, lead.phone) for lead in leads_of(read)] == [
        ("李娜", "+8613900139000"),
        ("张敏", "+8613700137000"),
    ]


def test_an_xlsx_date_cell_is_the_capture_time(
    engine: Engine, settings: Settings, read: Session, tmp_path: Path
) -> None:
    path = _xlsx(
        tmp_path / "expo.xlsx",
        [["姓名", "邮箱", "提交时间"], ["李娜", "li@example.com", datetime(2026, 3, 2, 9, 30)]],
    )

    run_import(engine, path, settings)

    [lead] = leads_of(read)
    assert lead.created_at == datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def test_an_xlsx_rejected_row_has_its_sheet_row_number(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    path = _xlsx(
        tmp_path / "expo.xlsx",
        [[None], ["姓名", "手机"], ["李娜", 13900139000], ["张敏", None]],
    )

    summary = run_import(engine, path, settings)

    assert (summary.created, summary.rejected) == (1, 1)
    [reject] = read_rejects(tmp_path / "expo.rejects.csv")
    assert (reject["row"], reject["field"], reject["姓名"]) == ("4", "email", "张敏")


def test_an_xlsx_column_without_a_header_is_kept_in_the_notes(
    engine: Engine, settings: Settings, read: Session, tmp_path: Path
) -> None:
    path = _xlsx(tmp_path / "expo.xlsx", [["姓名", "手机", None], ["李娜", 13900139000, "VIP"]])

    run_import(engine, path, settings)

    [lead] = leads_of(read)
    assert lead.notes is not None and "VIP" in lead.notes


# ---- JSON Lines --------------------------------------------------------------------------------


def test_json_lines_import_with_their_own_keys(
    engine: Engine, settings: Settings, read: Session, tmp_path: Path
) -> None:
    path = write_jsonl(
        tmp_path / "form.jsonl",
        [
            {"name": "Wang Wei", "email": "Wang.Wei@Huaxin.cn", "company": "Huaxin Tech Co., Ltd."},
            {"name": "Li Na", "phone": 13900139000, "wechat": "lina_01"},
        ],
    )

    summary = run_import(engine, path, settings)

    assert (summary.read, summary.created) == (2, 2)
    wang, li = leads_of(read)
    assert (wang.email, wang.company_key) == ("wang.wei@huaxin.cn", "huaxintech")
    assert (li.phone, li.notes) == ("+8613900139000", "wechat: lina_01")


def test_a_broken_json_line_is_rejected_on_field_line_with_its_line_number(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    path = write_jsonl(
        tmp_path / "form.jsonl",
        [{"name": "Wang Wei", "email": "w@huaxin.cn"}, "", '{"name": "Li Na", "email": '],
    )

    summary = run_import(engine, path, settings)

    assert (summary.read, summary.created, summary.rejected) == (2, 1, 1)
    [reject] = read_rejects(tmp_path / "form.rejects.csv")
    assert (reject["row"], reject["field"]) == ("3", "line")
    assert reject["reason"].startswith("not valid JSON")
    assert reject["line"] == '{"name": "Li Na", "email": '


def test_a_json_line_that_is_no_object_is_rejected_on_field_line(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "form.jsonl", [{"email": "w@huaxin.cn"}, "[1, 2]"])

    summary = run_import(engine, path, settings)

    assert (summary.created, summary.rejected) == (1, 1)
    [reject] = read_rejects(tmp_path / "form.rejects.csv")
    assert (reject["row"], reject["field"], reject["reason"]) == ("2", "line", "not a JSON object")


def test_a_broken_json_line_keeps_its_text_in_the_rejects_file_after_another_reject(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "form.jsonl", [{"name": "No Contact"}, '{"name": "Li Na",'])

    summary = run_import(engine, path, settings)

    assert summary.rejected == 2
    rows = read_rejects(tmp_path / "form.rejects.csv")
    assert rows[1]["row"] == "2"
    assert '{"name": "Li Na",' in rows[1].values()


# ---- reading -----------------------------------------------------------------------------------


def test_a_semicolon_separated_csv_is_read(
    engine: Engine, settings: Settings, read: Session, tmp_path: Path
) -> None:
    path = tmp_path / "a.csv"
    path.write_text("name;email;phone\nWang Wei;w@huaxin.cn;138 0013 8000\n", encoding="utf-8")

    assert_adds_up(run_import(engine, path, settings))
    [lead] = leads_of(read)
    assert (lead.full_name, lead.email, lead.phone) == ("Wang Wei", "w@huaxin.cn", "+8613800138000")


def test_a_gbk_file_whose_first_mebibyte_is_ascii_is_still_read_as_gbk(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with path.open("w", encoding="gbk", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "email", "notes"])
        for number in range(1_100):
            writer.writerow([f"Person {number}", f"p{number}@example.com", "x" * 1_000])
        writer.writerow(["王伟", "w@huaxin.cn", "展会"])

    _, rows = read_rows(path)

    assert list(rows)[-1].values == {"name": "王伟", "email": "w@huaxin.cn", "notes": "展会"}


def test_cells_beyond_the_header_row_are_kept_in_the_notes(
    engine: Engine, settings: Settings, read: Session, tmp_path: Path
) -> None:
    path = tmp_path / "a.csv"
    path.write_text("姓名,邮箱\n王伟,w@huaxin.cn,展位A-12\n", encoding="utf-8")

    run_import(engine, path, settings)

    [lead] = leads_of(read)
    assert lead.notes is not None and "展位A-12" in lead.notes
