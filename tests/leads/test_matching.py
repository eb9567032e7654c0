"""The unsupervised record matcher: types, normalization, hand-made duplicates, lead-style
colleagues and re-entries, name levels, term frequencies, linkage, the `dedup` command, bad
input, and F1 on the public FEBRL benchmark.

The hand-made people (ids 1-12) and the duplicates a person would mark:

    1 John Smith    2 Jon Smith     typo, e-mail case, phone with and without +1, date layout
    3 Maria Garcia  4 Garcia Maria  given name and surname swapped, no e-mail, no +34
    5 张 伟          6 张伟           a space inside a Chinese name, no e-mail, no +86
    8 Anna Müller   9 Ana Muller    accent and typo, no phone
    7 Peter Jones  12 Peter Jones   namesakes: different e-mail, phone, birth date, city
   11 王 伟                          shares a given name and a city with 5 and 6, nothing else
   10 Li Wang                       alone
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np
import pytest
import typer
from pydantic import ValidationError
from typer.testing import CliRunner

from closeloop.errors import Invalid
from closeloop.leads.matching import (
    FieldSpec,
    FieldType,
    MatchConfig,
    find_duplicates,
    link_records,
)
from closeloop.leads.matching.cli import dedup
from closeloop.leads.matching.clusters import (
    close_clusters,
    connected_components,
    split_by_evidence,
)
from closeloop.leads.matching.compare import NAME_LEVELS
from closeloop.leads.matching.fields import (
    infer_field_type,
    normalize_address,
    normalize_date,
    normalize_name,
    normalize_phone,
    parse_fields,
    type_from_header,
)
from closeloop.leads.matching.frequencies import exact_agreement
from closeloop.leads.matching.names import grade_names
from closeloop.leads.matching.service import dedup_files
from closeloop.leads.matching.table import build_table

HEADER = ["id", "first_name", "last_name", "email", "phone", "birth_date", "city"]
PEOPLE = [
    [
        "1",
        "John",
        "Smith",
        "john.smith@example.com",
        "+1 415 555 0101",
        "1980-03-14",
        "San Francisco",
    ],
    [
        "2",
        "Jon",
        "Smith",
        "John.Smith@example.com",
        "(415) 555-0101",
        "14/03/1980",
        "San Francisco",
    ],
    ["3", "Maria", "Garcia", "mgarcia@example.org", "+34 612 345 678", "1975-11-02", "Madrid"],
    ["4", "Garcia", "Maria", "", "612345678", "1975-11-02", "Madrid"],
    ["5", "张", "伟", "zhangwei@example.cn", "+86 138 0013 8000", "1990-01-02", "北京"],
    ["6", "张伟", "", "", "138-0013-8000", "1990年1月2日", "北京"],
    ["7", "Peter", "Jones", "peter.jones@example.com", "+44 20 7946 0958", "1965-07-21", "London"],
    ["8", "Anna", "Müller", "anna.mueller@example.de", "+49 30 1234567", "1988-05-30", "Berlin"],
    ["9", "Ana", "Muller", "anna.mueller@example.de", "", "1988-05-30", "Berlin"],
    ["10", "Li", "Wang", "li.wang@example.cn", "+86 139 1111 2222", "1992-09-09", "上海"],
    ["11", "王", "伟", "wangwei@example.cn", "+86 137 2222 3333", "1985-06-06", "北京"],
    ["12", "Peter", "Jones", "pjones@mail.com", "+1 212 555 0199", "1971-02-11", "New York"],
]
EXPECTED = {("1", "2"), ("3", "4"), ("5", "6"), ("8", "9")}
FEBRL = Path(__file__).parents[3] / "shared" / "data" / "febrl"


def records(rows: list[list[str]] = PEOPLE) -> list[dict[str, str]]:
    return [dict(zip(HEADER, row, strict=True)) for row in rows]


def write_csv(path: Path, rows: list[list[str]], *, encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def read_pairs(path: Path) -> list[tuple[str, str, float]]:
    with path.open(encoding="utf-8") as handle:
        reader = csv.reader(handle)
        assert next(reader) == ["id_1", "id_2", "score"]
        return [(a, b, float(score)) for a, b, score in reader]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("given_name", FieldType.NAME),
        ("surname", FieldType.NAME),
        ("lastName", FieldType.NAME),
        ("姓名", FieldType.NAME),
        ("date_of_birth", FieldType.DATE),
        ("出生日期", FieldType.DATE),
        ("soc_sec_id", FieldType.CODE),
        ("postcode", FieldType.CODE),
        ("street_number", FieldType.CODE),
        ("address_1", FieldType.ADDRESS),
        ("suburb", FieldType.TEXT),
        ("company_name", FieldType.TEXT),
        ("E-Mail", FieldType.EMAIL),
        ("phone_number", FieldType.PHONE),
        ("手机号码", FieldType.PHONE),
        ("notes", None),
    ],
)
def test_type_from_header(header: str, expected: FieldType | None) -> None:
    assert type_from_header(header) is expected


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["a@b.com", "jo.smith@mail.example.org"], FieldType.EMAIL),
        (["1980-03-14", "19991231", "02/01/2001"], FieldType.DATE),
        (["+1 415 555 0101", "(415) 555-0101", "13800138000"], FieldType.PHONE),
        (["A-1023", "X77", "4211"], FieldType.CODE),
        (["John", "Mary Ann", "O'Brien", "张伟"], FieldType.NAME),
        (["12 Main Street", "4 Long Road"], FieldType.ADDRESS),
        (["likes golf and long walks", "called back twice about pricing"], FieldType.TEXT),
    ],
)
def test_type_from_values_when_the_header_says_nothing(
    values: list[str], expected: FieldType
) -> None:
    assert infer_field_type("x", values) is expected


def test_normalization_per_type() -> None:
    assert normalize_phone("+86 138 0013 8000") == "8613800138000"
    assert normalize_phone("0086 138-0013-8000") == "8613800138000"
    assert normalize_phone("(0)20 7946 0958") == "2079460958"
    assert {
        normalize_date(d) for d in ("1980-03-14", "14/03/1980", "19800314", "1980年3月14日")
    } == {"19800314"}
    assert normalize_date("03/14/1980") == "19800314"  # month first only when unambiguous
    assert normalize_name("Anna-Maria  MÜLLER") == "anna maria muller"
    assert normalize_name("O'Connell") == "oconnell"
    assert normalize_name("张 伟") == "张伟"
    assert normalize_address("12 Main St.") == "12 main street"


def test_parse_fields_and_unknown_type() -> None:
    assert parse_fields("given_name:name, dob:date,notes") == [
        ("given_name", FieldType.NAME),
        ("dob", FieldType.DATE),
        ("notes", None),
    ]
    assert parse_fields("ssn:exact") == [("ssn", FieldType.CODE)]
    with pytest.raises(Invalid, match="unknown field type 'colour'"):
        parse_fields("eyes:colour")


def test_finds_the_hand_made_duplicates_in_process() -> None:
    people = records()
    result = find_duplicates([{k: v for k, v in p.items() if k != "id"} for p in people])
    found = {(people[pair.left]["id"], people[pair.right]["id"]) for pair in result.pairs}
    assert found == EXPECTED
    assert all(pair.left < pair.right and 0.5 <= pair.probability <= 1 for pair in result.pairs)
    assert result.records == len(people)
    assert result.comparisons >= len(EXPECTED)


def test_given_fields_override_inference_and_missing_values_are_neutral() -> None:
    fields = [
        FieldSpec("first_name", FieldType.NAME),
        FieldSpec("last_name", FieldType.NAME),
        FieldSpec("birth_date", FieldType.DATE),
        FieldSpec("email", FieldType.EMAIL),
    ]
    result = find_duplicates(records(), fields=fields)
    assert result.fields == fields
    # A missing e-mail weighs nothing: 3-4 (swapped names, same birth date) still match.
    found = {(pair.left + 1, pair.right + 1) for pair in result.pairs}
    assert (3, 4) in found
    missing_email = result.model.log_bayes_factors(np.array([[0, 0, 0, -1]], dtype=np.int8))
    all_agree = result.model.log_bayes_factors(np.array([[0, 0, 0, 0]], dtype=np.int8))
    assert 0 < missing_email[0] < all_agree[0]


def test_links_two_lists_across_only() -> None:
    people = records()
    left = [people[k] for k in (0, 2, 4, 6, 7)]  # 1 3 5 7 8
    right = [people[k] for k in (1, 3, 5, 8, 9, 10, 11)]  # 2 4 6 9 10 11 12
    fields = [
        FieldSpec(column, type_from_header(column) or FieldType.TEXT)
        for column in ("first_name", "last_name", "email", "phone", "birth_date")
    ]
    result = link_records(left, right, fields=fields)
    found = {(left[p.left]["id"], right[p.right]["id"]) for p in result.pairs}
    assert found == EXPECTED


def test_the_same_input_gives_the_same_pairs() -> None:
    first = find_duplicates(records())
    second = find_duplicates(records())
    assert first.pairs == second.pairs


# Lead-style: colleagues share a company (and a surname or a given name), not a person.
LEADS = [
    ("郑霞", "xia.zheng@haina.cn", "+86 138 2741 9035", "深圳海纳科技有限公司"),
    ("郑伟", "wei.zheng@haina.cn", "+86 159 0162 3378", "深圳海纳科技有限公司"),
    ("郑霞敏", "xiamin.zheng@haina.cn", "+86 186 7720 4416", "深圳海纳科技有限公司"),
    ("王芳", "fang.wang@haina.cn", "+86 137 5508 2961", "深圳海纳科技有限公司"),
    ("郑 霞", "XIA.ZHENG@HAINA.CN", "", "深圳海纳科技有限公司"),  # re-entry of 0
    ("张伟", "wei.zhang@yunqi.cn", "+86 135 3390 1287", "北京云启软件有限公司"),
    ("张伟明", "weiming.zhang@yunqi.cn", "+86 188 6214 7750", "北京云启软件有限公司"),
    ("李娜", "na.li@yunqi.cn", "+86 131 4409 8823", "北京云启软件有限公司"),
    ("Lucy Fontaine", "lucy.fontaine@pinnacle.com", "+44 7700 900461", "Pinnacle Software Ltd."),
    ("Lucy Martin", "lucy.martin@pinnacle.com", "+44 7700 913382", "Pinnacle Software Ltd."),
    ("Peter Brown", "peter.brown@pinnacle.com", "+44 7911 123456", "Pinnacle Software Ltd."),
    ("Fontaine Lucy", "", "+44 7700 900461", "Pinnacle Software Ltd."),  # re-entry of 8
    ("Anna Schmidt", "anna.schmidt@umbrella.de", "+49 151 2345 6789", "Umbrella Robotics GmbH"),
    ("Anna Weber", "anna.weber@umbrella.de", "+49 160 9876 5432", "Umbrella Robotics GmbH"),
    ("Jonas Schmidt", "jonas.schmidt@umbrella.de", "+49 170 5550 1234", "Umbrella Robotics GmbH"),
]


def test_lead_style_colleagues_are_not_matched_and_re_entries_are() -> None:
    columns = ("full_name", "email", "phone", "company")
    leads = [dict(zip(columns, row, strict=True)) for row in LEADS]
    result = find_duplicates(leads)
    assert [spec.type for spec in result.fields] == ["name", "email", "phone", "text"]
    # A space in a Chinese name, the e-mail in capitals and no phone; the name order reversed.
    assert {(pair.left, pair.right) for pair in result.pairs} == {(0, 4), (8, 11)}


def test_name_levels_latin_word_by_word_chinese_by_character() -> None:
    cases = {
        ("lucy fontaine", "fontaine lucy"): "exact",
        ("max turner", "mx turner"): "nearly",
        ("肖超磊", "肖超"): "character more or less",
        ("肖超磊", "肖超霞"): "similar",  # Jaro-Winkler 0.82: too lenient for Chinese names
        ("andrew keller", "andrew walker"): "different",  # whole-string Jaro-Winkler 0.92
        ("高霞", "高丽"): "different",
    }
    values = [name for pair in cases for name in pair]
    ends = np.arange(0, len(values), 2)
    levels = grade_names(values, ends, ends + 1, 0.92, 0.8)
    assert [NAME_LEVELS[level] for level in levels] == list(cases.values())


def test_a_value_many_records_share_is_weaker_evidence() -> None:
    leads = [{"company": "Acme" if k < 30 else f"Firm {k // 2}"} for k in range(60)]
    fields = [FieldSpec("company", FieldType.TEXT)]
    table = build_table(leads, fields)
    exact = exact_agreement(table, [0.05], 100, 1e-5, adjust=True)
    pairs = np.array([[0, 1], [30, 31]])
    shift = exact.adjustment(table, pairs[:, 0], pairs[:, 1], np.zeros((2, 1), dtype=np.int8))
    assert shift[0] < 0 < shift[1]


def test_connected_components() -> None:
    labels = connected_components(6, np.array([0, 1, 4]), np.array([1, 2, 5]))
    assert labels.tolist() == [0, 0, 0, 3, 4, 4]


def test_split_by_evidence_keeps_a_held_cluster_and_cuts_a_chain() -> None:
    held = np.array([[0, 9, 9], [9, 0, -4], [9, -4, 0]], dtype=float)
    assert split_by_evidence(held) == [[0, 1, 2]]
    # Two sure pairs (0-1, 2-3) joined only by a weak link 1-2; the other pairs across disagree.
    chain = np.full((4, 4), -20.0)
    chain[0, 1] = chain[1, 0] = chain[2, 3] = chain[3, 2] = 15
    chain[1, 2] = chain[2, 1] = 1
    assert sorted(split_by_evidence(chain)) == [[0, 1], [2, 3]]


def test_close_clusters_adds_the_missing_pair_and_flags_it() -> None:
    left, right, odds = np.array([0, 1]), np.array([1, 2]), np.array([10.0, 10.0])

    def score(first: np.ndarray, second: np.ndarray) -> np.ndarray:
        assert (first.tolist(), second.tolist()) == ([0], [2])
        return np.array([-3.0])

    closed = close_clusters(4, left, right, odds, max_cluster_size=12, score=score)
    pairs = sorted(zip(*(array.tolist() for array in closed), strict=True))
    assert pairs == [(0, 1, 10.0, False), (0, 2, -3.0, True), (1, 2, 10.0, False)]
    unchanged = close_clusters(4, left, right, odds, max_cluster_size=2, score=score)
    assert unchanged[0].tolist() == [0, 1] and not unchanged[3].any()


def test_configuration_is_validated() -> None:
    assert MatchConfig().threshold == 0.5
    with pytest.raises(ValidationError):
        MatchConfig(threshold=1.5)
    with pytest.raises(ValidationError):
        MatchConfig(unknown_knob=1)  # type: ignore[call-arg]


def test_service_writes_sorted_pairs_of_ids(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "people.csv", PEOPLE)
    out = tmp_path / "out" / "pairs.csv"
    summary = dedup_files(source, id_column="id", out=out)
    pairs = read_pairs(out)
    assert {(a, b) for a, b, _ in pairs} == EXPECTED
    assert all(a < b and 0.5 <= score <= 1 for a, b, score in pairs)
    assert pairs == sorted(pairs)
    assert summary.records == 12 and summary.pairs == 4 and summary.mode == "dedup"
    assert "id" not in {spec.column for spec in summary.fields}


def test_service_links_two_files_gbk_and_bom(tmp_path: Path) -> None:
    first = write_csv(tmp_path / "a.csv", [PEOPLE[k] for k in (0, 2, 4, 6, 7)], encoding="gbk")
    second = write_csv(
        tmp_path / "b.csv", [PEOPLE[k] for k in (1, 3, 5, 8, 9, 10, 11)], encoding="utf-8-sig"
    )
    out = tmp_path / "links.csv"
    summary = dedup_files(first, second, id_column="id", out=out)
    assert {(a, b) for a, b, _ in read_pairs(out)} == EXPECTED
    assert summary.mode == "link" and summary.records == 12


def cli_app() -> typer.Typer:
    """The command mounted the way the root app will mount it."""
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """Test root."""

    app.command()(dedup)
    return app


def test_cli_prints_json(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "people.csv", PEOPLE)
    out = tmp_path / "pairs.csv"
    args = ["dedup", str(source), "--id-column", "id", "--out", str(out), "--json"]
    result = CliRunner().invoke(cli_app(), args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert {"records", "pairs", "seconds", "comparisons", "out"} <= summary.keys()
    assert (summary["records"], summary["pairs"], summary["out"]) == (12, 4, str(out))


def test_cli_prints_for_humans_with_fields(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "people.csv", PEOPLE)
    out = tmp_path / "pairs.csv"
    args = ["dedup", str(source), "--id-column", "id", "--out", str(out)]
    args += ["--fields", "first_name:name,last_name:name,birth_date:date,phone:phone"]
    result = CliRunner().invoke(cli_app(), args)
    assert result.exit_code == 0, result.output
    assert "duplicate pairs among 12 records" in result.stdout
    assert "birth_date:date" in result.stdout


@pytest.mark.parametrize(
    ("case", "message", "field"),
    [
        ("missing file", "no such file", "file"),
        ("empty file", "is empty", "file"),
        ("header only", "no records", "file"),
        ("no id column", "no column 'key'", "id_column"),
        ("duplicate ids", "duplicate id '3' (lines 4 and 5)", "id_column"),
        ("unknown field", "unknown field 'shoe_size'", "fields"),
        ("unknown type", "unknown field type 'colour'", "fields"),
    ],
)
def test_bad_input_is_one_clear_invalid(
    tmp_path: Path, case: str, message: str, field: str
) -> None:
    source = write_csv(tmp_path / "people.csv", PEOPLE)
    id_column, fields = "id", None
    if case == "missing file":
        source = tmp_path / "nowhere.csv"
    elif case == "empty file":
        source.write_text("")
    elif case == "header only":
        source.write_text(",".join(HEADER) + "\n")
    elif case == "no id column":
        id_column = "key"
    elif case == "duplicate ids":
        write_csv(source, [*PEOPLE[:3], PEOPLE[2]])
    elif case == "unknown field":
        fields = "first_name:name,shoe_size:code"
    else:
        fields = "first_name:colour"
    out = tmp_path / "pairs.csv"
    with pytest.raises(Invalid, match=re.escape(message)) as raised:
        dedup_files(source, id_column=id_column, out=out, fields=fields)
    assert raised.value.field == field
    assert "\n" not in str(raised.value)
    assert not out.exists()
    args = ["dedup", str(source), "--id-column", id_column, "--out", str(out)]
    result = CliRunner().invoke(cli_app(), [*args, *(["--fields", fields] if fields else [])])
    assert isinstance(result.exception, Invalid)  # the root main() prints it and exits 2


def f1(predicted: set[tuple[str, str]], truth: set[tuple[str, str]]) -> float:
    hits = len(predicted & truth)
    return 2 * hits / (len(predicted) + len(truth))


@pytest.mark.skipif(not FEBRL.is_dir(), reason=f"FEBRL data not found at {FEBRL}")
@pytest.mark.parametrize("name", ["febrl1", "febrl3"])
def test_febrl_f1(tmp_path: Path, name: str) -> None:
    out = tmp_path / "pairs.csv"
    summary = dedup_files(FEBRL / f"{name}_records.csv", id_column="rec_id", out=out)
    with (FEBRL / f"{name}_true_pairs.csv").open() as handle:
        truth = {(row["id_1"], row["id_2"]) for row in csv.DictReader(handle)}
    predicted = {(a, b) for a, b, _ in read_pairs(out)}
    assert summary.pairs == len(predicted)
    assert f1(predicted, truth) >= 0.99
