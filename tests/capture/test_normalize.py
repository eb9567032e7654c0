"""Cleaning captured values: Unicode width, names, e-mails, phones (E.164), company keys,
countries; and one record cleaned into a lead candidate. Pure functions, no database."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from closeloop.leads.capture.normalize import (
    NormalizationError,
    clean_email,
    clean_name,
    clean_phone,
    clean_region,
    clean_text,
    company_key,
)
from closeloop.leads.capture.record import CapturedLead, Rejection, clean_record, source_key

# ---- Unicode and names -------------------------------------------------------------------------


def test_full_width_digits_become_ascii_digits() -> None:
    assert clean_text("１３８００１３８０００") == "13800138000"


def test_full_width_letters_become_ascii_letters() -> None:
    assert clean_text("ＡＢＣ") == "ABC"


def test_text_of_only_spaces_is_none() -> None:
    assert clean_text(" \u3000 \t") is None


def test_a_name_is_trimmed_and_its_inner_spaces_collapsed() -> None:
    assert clean_name("  Wang   Wei \t") == "Wang Wei"


@pytest.mark.parametrize("typed", ["王 伟", " 王　伟 ", "王  伟"])
def test_a_chinese_name_loses_the_spaces_typed_inside_it(typed: str) -> None:
    assert clean_name(typed) == "王伟"


def test_a_four_character_chinese_name_loses_its_inner_spaces() -> None:
    assert clean_name("欧阳 娜娜") == "欧阳娜娜"


# ---- e-mails -----------------------------------------------------------------------------------


def test_an_email_is_trimmed_and_lower_cased() -> None:
    assert clean_email("  Wang.Wei@Example.COM ") == "wang.wei@example.com"


def test_a_full_width_email_becomes_ascii() -> None:
    assert clean_email("ｗａｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ") == "wang@example.com"


def test_an_empty_email_is_none() -> None:
    assert clean_email("  ") is None


@pytest.mark.parametrize("bad", ["wang.example.com", "wang@", "wang@example", "wang @example.com"])
def test_a_malformed_email_raises(bad: str) -> None:
    with pytest.raises(NormalizationError):
        clean_email(bad)


# ---- phones ------------------------------------------------------------------------------------

SAME_MOBILE = [
    "138 0013 8000",
    "+86 138-0013-8000",
    "0086 13800138000",
    "(+86)13800138000",
    "１３８００１３８０００",
]


@pytest.mark.parametrize("written", SAME_MOBILE)
def test_five_ways_of_writing_one_mobile_give_one_e164(written: str) -> None:
    assert clean_phone(written, "CN") == "+8613800138000"


def test_a_landline_with_area_code_gets_the_country_code() -> None:
    assert clean_phone("010-6552 9988", "CN") == "+861065529988"


def test_a_number_with_its_own_country_code_ignores_the_default_region() -> None:
    assert clean_phone("+1 650-253-0000", "CN") == "+16502530000"


def test_the_first_valid_of_several_numbers_is_kept() -> None:
    assert clean_phone("12345; 13800138000", "CN") == "+8613800138000"


def test_an_empty_phone_is_none() -> None:
    assert clean_phone("", "CN") is None


@pytest.mark.parametrize("bad", ["12345", "not a phone", "138001380001234"])
def test_a_phone_that_is_no_number_raises(bad: str) -> None:
    with pytest.raises(NormalizationError):
        clean_phone(bad, "CN")


# Mobile prefixes that are certainly allocated in China (so the numbers are valid).
CN_MOBILE_PREFIXES = ["130", "131", "135", "136", "138", "139", "150", "158", "186", "188"]
FULL_WIDTH = str.maketrans("0123456789+()-", "０１２３４５６７８９＋（）－")


def _write(prefix: str, rest: str, style: int) -> str:
    number = prefix + rest
    return [
        number,
        f"{prefix} {rest[:4]} {rest[4:]}",
        f"{prefix}-{rest[:4]}-{rest[4:]}",
        f"+86 {number}",
        f"+86-{prefix}-{rest[:4]}-{rest[4:]}",
        f"0086 {number}",
        f"0086{number}",
        f"(+86){number}",
        f"(+86) {prefix} {rest}",
        f"+86{number}".translate(FULL_WIDTH),
        number.translate(FULL_WIDTH),
    ][style]


@given(
    prefix=st.sampled_from(CN_MOBILE_PREFIXES),
    rest=st.text(alphabet="0123456789", min_size=8, max_size=8),
    style=st.integers(min_value=0, max_value=10),
)
def test_any_way_of_writing_a_cn_mobile_cleans_to_one_e164_and_stays_there(
    prefix: str, rest: str, style: int
) -> None:
    written = _write(prefix, rest, style)
    cleaned = clean_phone(written, "CN")
    assert cleaned == f"+86{prefix}{rest}"
    assert clean_phone(cleaned, "CN") == cleaned


# ---- company keys ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("company", "key"),
    [
        ("华信科技有限公司", "华信科技"),
        ("华信科技股份有限公司", "华信科技"),
        ("华信科技集团", "华信科技"),
        ("Huaxin Tech Co., Ltd.", "huaxintech"),
        ("HUAXIN TECH LTD", "huaxintech"),
        ("Huaxin Tech, Inc.", "huaxintech"),
        ("Huaxin Tech LLC", "huaxintech"),
        ("Huaxin Tech GmbH", "huaxintech"),
        ("ООО «Ромашка»", "ромашка"),
        ("ОАО Ромашка", "ромашка"),
        ("ＡＢＣ Co., Ltd.", "abc"),
    ],
)
def test_company_key_drops_the_legal_form(company: str, key: str) -> None:
    assert company_key(company) == key


def test_company_key_of_nothing_is_none() -> None:
    assert company_key("  ") is None


SUFFIXES = ["Co.", "Ltd.", "Inc.", "LLC", "GmbH", "Limited", "Corp."]
NOISE = {"co", "ltd", "inc", "llc", "gmbh", "limited", "corp", "the", "company", "corporation"}
NOISE |= {"incorporated", "group", "holding", "holdings", "plc", "pte", "pty", "sarl", "sas"}
NOISE |= {"srl", "spa", "llp"}
words = st.from_regex(r"[A-Za-z]{3,9}", fullmatch=True).filter(lambda w: w.lower() not in NOISE)


@given(
    name=st.lists(words, min_size=1, max_size=3),
    suffixes=st.lists(st.sampled_from(SUFFIXES), max_size=3),
    shout=st.booleans(),
    data=st.data(),
)
def test_company_key_ignores_case_and_which_suffixes_in_which_order(
    name: list[str], suffixes: list[str], shout: bool, data: st.DataObject
) -> None:
    company = " ".join(name) + (", " + " ".join(suffixes) if suffixes else "")
    reordered = data.draw(st.permutations(suffixes))
    other = " ".join(w.upper() if shout else w.lower() for w in name) + " " + " ".join(reordered)
    assert company_key(company) == company_key(other) == "".join(name).lower()


# ---- countries ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("China", "CN"),
        ("中国", "CN"),
        ("cn", "CN"),
        ("ｃｎ", "CN"),
        ("PRC", "CN"),
        ("United States", "US"),
        ("USA", "US"),
        ("UK", "GB"),
        ("Deutschland", "DE"),
        ("德国", "DE"),
        ("Россия", "RU"),
        ("日本", "JP"),
        ("br", "BR"),
        ("Vietnam", "VN"),
        ("越南", "VN"),
        ("Brazil", "BR"),
    ],
)
def test_a_country_name_or_code_becomes_its_iso_code(written: str, code: str) -> None:
    assert clean_region(written) == code


def test_an_unknown_country_name_raises() -> None:
    with pytest.raises(NormalizationError):
        clean_region("Atlantis")


def test_two_letters_that_are_no_iso_country_code_raise() -> None:
    with pytest.raises(NormalizationError):
        clean_region("XX")


# ---- one record --------------------------------------------------------------------------------

MAPPING = {
    "name": "full_name",
    "first": "first_name",
    "last": "last_name",
    "email": "email",
    "phone": "phone",
    "company": "company",
}


def _clean(**raw: str) -> CapturedLead:
    item = clean_record(raw, MAPPING, row_number=2, default_region="CN")
    assert isinstance(item, CapturedLead), item
    return item


def test_a_record_is_cleaned_field_by_field() -> None:
    lead = _clean(
        name=" 王 伟 ",
        email="WANG@Example.com",
        phone="138 0013 8000",
        company="华信科技有限公司",
    )
    assert (lead.full_name, lead.email, lead.phone) == (
        "王伟",
        "wang@example.com",
        "+8613800138000",
    )
    assert (lead.company, lead.company_key, lead.region) == ("华信科技有限公司", "华信科技", "CN")


def test_western_first_and_last_names_join_given_name_first() -> None:
    assert _clean(first="Wei", last="Wang", email="w@example.com").full_name == "Wei Wang"


def test_chinese_first_and_last_names_join_family_name_first_without_space() -> None:
    assert _clean(first="伟", last="王", email="w@example.com").full_name == "王伟"


def test_accented_latin_first_and_last_names_join_given_name_first() -> None:
    assert _clean(first="José", last="García", email="j@example.com").full_name == "José García"


def test_cyrillic_first_and_last_names_join_given_name_first() -> None:
    assert _clean(first="Иван", last="Петров", email="i@example.ru").full_name == "Иван Петров"


def test_a_record_with_neither_email_nor_phone_is_rejected_on_email() -> None:
    item = clean_record({"name": "Wang Wei"}, MAPPING, row_number=7, default_region="CN")
    assert isinstance(item, Rejection)
    assert (item.row_number, item.field) == (7, "email")
    assert "no e-mail or phone" in item.reason


def test_a_record_with_a_bad_phone_and_no_email_is_rejected_on_phone() -> None:
    item = clean_record({"phone": "12345"}, MAPPING, row_number=3, default_region="CN")
    assert isinstance(item, Rejection)
    assert (item.field, item.reason) == ("phone", "not a valid phone number: '12345'")


def test_the_same_raw_record_has_the_same_source_key() -> None:
    one = _clean(name="Wang Wei", email="w@example.com")
    two = _clean(email="w@example.com", name="Wang Wei")
    assert one.source_key == two.source_key
    assert one.source_key != _clean(name="Wang Wei", email="x@example.com").source_key


def test_a_source_key_is_the_one_earlier_versions_stored() -> None:
    # Re-importing a file imported before an upgrade must find its rows: the key is the SHA-256
    # of the columns sorted by name, each "name␞value" (None as empty), joined by "␟".
    content = "email\x1ew@example.com\x1fnote\x1e\x1f姓名\x1e王伟"
    expected = hashlib.sha256(content.encode()).hexdigest()
    assert source_key({"姓名": "王伟", "email": "w@example.com", "note": None}) == expected
    assert source_key({"note": None, "姓名": "王伟", "email": "w@example.com"}) == expected
    assert source_key({"姓名": "王伟", "email": "w@example.com"}) != expected
