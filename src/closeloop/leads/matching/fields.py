"""Field types of the matcher: inference from header names and values, normalization per type."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from closeloop.errors import Invalid
from closeloop.i18n import N_


class FieldType(StrEnum):
    """How a column is normalized, blocked on and compared."""

    NAME = "name"
    TEXT = "text"
    ADDRESS = "address"
    DATE = "date"
    CODE = "code"
    PHONE = "phone"
    EMAIL = "email"


@dataclass(frozen=True)
class FieldSpec:
    """One compared column: its header and its type."""

    column: str
    type: FieldType


TYPE_ALIASES: dict[str, FieldType] = {
    **{member.value: member for member in FieldType},
    "person": FieldType.NAME,
    "person_name": FieldType.NAME,
    "string": FieldType.TEXT,
    "str": FieldType.TEXT,
    "addr": FieldType.ADDRESS,
    "exact": FieldType.CODE,
    "id": FieldType.CODE,
    "number": FieldType.CODE,
    "tel": FieldType.PHONE,
    "mobile": FieldType.PHONE,
    "e-mail": FieldType.EMAIL,
    "mail": FieldType.EMAIL,
}

# Header words, most specific type first: "street_number" is a code, "company_name" text.
HEADER_WORDS: tuple[tuple[FieldType, frozenset[str]], ...] = (
    (FieldType.EMAIL, frozenset(["email", "mail", "e-mail", "邮箱", "邮件", "电邮"])),
    (
        FieldType.PHONE,
        frozenset(["phone", "tel", "telephone", "mobile", "cell", "fax", "电话", "手机", "座机"]),
    ),
    (
        FieldType.DATE,
        frozenset(["date", "dob", "birth", "birthday", "born", "day", "日期", "生日"]),
    ),
    (
        FieldType.CODE,
        frozenset(
            [
                "id",
                "code",
                "postcode",
                "zip",
                "zipcode",
                "postal",
                "ssn",
                "soc",
                "sec",
                "number",
                "no",
                "num",
                "nr",
                "sku",
                "iban",
                "vat",
                "tax",
                "passport",
                "license",
                "邮编",
                "编号",
                "证件号",
                "身份证",
            ]
        ),
    ),
    (
        FieldType.ADDRESS,
        frozenset(["address", "addr", "street", "road", "line1", "line2", "地址", "住址", "街道"]),
    ),
    (
        FieldType.TEXT,
        frozenset(
            [
                "suburb",
                "city",
                "town",
                "locality",
                "state",
                "province",
                "region",
                "country",
                "county",
                "district",
                "company",
                "organisation",
                "organization",
                "title",
                "城市",
                "省份",
                "公司",
                "单位",
            ]
        ),
    ),
    (
        FieldType.NAME,
        frozenset(
            [
                "name",
                "surname",
                "given",
                "first",
                "last",
                "forename",
                "family",
                "middle",
                "firstname",
                "lastname",
                "givenname",
                "fullname",
                "姓名",
                "名字",
                "联系人",
            ]
        ),
    ),
)

_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_HEADER_SPLIT = re.compile(r"[^0-9a-z\u4e00-\u9fff-]+")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[\d\s().-]{7,}$")
_DIGITS = re.compile(r"\d+")
_NON_DIGITS = re.compile(r"\D+")
_CJK = re.compile(r"[\u3400-\u9fff]")
_SPACE_BETWEEN_CJK = re.compile(r"(?<=[\u3400-\u9fff]) +(?=[\u3400-\u9fff])")
_PUNCTUATION = re.compile(r"[^\w\s]|_", re.UNICODE)
_SPACES = re.compile(r"\s+")


def parse_field_type(text: str, *, field: str = "fields") -> FieldType:
    """The field type named by ``text`` (a type name or a common alias)."""
    found = TYPE_ALIASES.get(text.strip().lower())
    if found is None:
        known = ", ".join(member.value for member in FieldType)
        raise Invalid(
            N_("unknown field type %(text)r (known: %(known)s)"),
            field=field,
            text=text,
            known=known,
        )
    return found


def header_words(header: str) -> list[str]:
    """The words of a header: snake_case, kebab, camelCase and spaces all split."""
    return [word for word in _HEADER_SPLIT.split(_CAMEL.sub(" ", header).lower()) if word]


def type_from_header(header: str) -> FieldType | None:
    """The type a header name announces, or None when it says nothing."""
    words = set(header_words(header))
    joined = header.strip().lower()
    for field_type, vocabulary in HEADER_WORDS:
        if words & vocabulary or joined in vocabulary:
            return field_type
        # Chinese headers have no word breaks: "客户编号" holds "编号".
        if any(word in joined for word in vocabulary if not word.isascii()):
            return field_type
    return None


def type_from_values(values: Iterable[str]) -> FieldType:
    """The type most sampled values look like (a vote with an 80 % majority)."""
    sample = [value.strip() for value in values if value and value.strip()][:500]
    if not sample:
        return FieldType.TEXT

    def share(test: Callable[[str], bool]) -> float:
        return sum(1 for value in sample if test(value)) / len(sample)

    if share(lambda v: bool(_EMAIL.match(v))) >= 0.8:
        return FieldType.EMAIL
    if share(lambda v: len(normalize_date(v)) == 8 and _looks_like_date(v)) >= 0.8:
        return FieldType.DATE
    if (
        share(
            lambda v: (
                bool(_PHONE.match(v))
                and len(_NON_DIGITS.sub("", v)) >= 7
                and (not v.isdigit() or len(v) >= 10)
            )
        )
        >= 0.8
    ):
        return FieldType.PHONE
    if share(lambda v: " " not in v and any(c.isdigit() for c in v) and len(v) <= 24) >= 0.8:
        return FieldType.CODE
    if share(_looks_like_name) >= 0.8:
        return FieldType.NAME
    if share(lambda v: any(c.isdigit() for c in v) and any(c.isalpha() for c in v)) >= 0.5:
        return FieldType.ADDRESS
    return FieldType.TEXT


def _looks_like_date(value: str) -> bool:
    digits = normalize_date(value)
    year, month, day = int(digits[:4]), int(digits[4:6]), int(digits[6:])
    return 1800 <= year <= 2200 and 1 <= month <= 12 and 1 <= day <= 31


def _looks_like_name(value: str) -> bool:
    if _CJK.search(value):
        return len(value.replace(" ", "")) <= 5
    words = value.replace("-", " ").replace("'", "").split()
    return 1 <= len(words) <= 3 and all(word.replace(".", "").isalpha() for word in words)


def infer_field_type(header: str, values: Sequence[str]) -> FieldType:
    """The type of a column: its header decides when it can, else its values."""
    return type_from_header(header) or type_from_values(values)


def infer_fields(
    columns: Sequence[str], records: Sequence[Mapping[str, object]], *, exclude: Iterable[str] = ()
) -> list[FieldSpec]:
    """Every column except ``exclude``, each with its inferred type."""
    skipped = set(exclude)
    specs = []
    for column in columns:
        if column in skipped:
            continue
        values = [_text(record.get(column)) for record in records[:500]]
        specs.append(FieldSpec(column, infer_field_type(column, values)))
    return specs


def parse_fields(text: str) -> list[tuple[str, FieldType | None]]:
    """Parse ``column:type,column:type``; a column without ``:type`` gets None (infer it)."""
    specs: list[tuple[str, FieldType | None]] = []
    for item in text.split(","):
        if not item.strip():
            continue
        column, colon, type_name = item.partition(":")
        if not column.strip():
            raise Invalid(N_("empty column name in %(item)r"), field="fields", item=item.strip())
        if colon and not type_name.strip():
            raise Invalid(N_("no type after %(item)r"), field="fields", item=item.strip())
        field_type = parse_field_type(type_name, field="fields") if colon else None
        specs.append((column.strip(), field_type))
    if not specs:
        raise Invalid(N_("no fields given"), field="fields")
    return specs


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _fold(value: str) -> str:
    """NFKC, case-folded, accents removed from Latin letters, CJK untouched."""
    value = unicodedata.normalize("NFKC", value).casefold()
    if value.isascii():
        return value
    decomposed = unicodedata.normalize("NFKD", value)
    return unicodedata.normalize(
        "NFC", "".join(char for char in decomposed if not unicodedata.combining(char))
    )


def normalize_name(value: str) -> str:
    """Person name: folded, apostrophes dropped, other punctuation a space, CJK unspaced."""
    value = _fold(value).replace("'", "").replace("’", "")
    value = _SPACES.sub(" ", _PUNCTUATION.sub(" ", value)).strip()
    return _SPACE_BETWEEN_CJK.sub("", value)


def normalize_text(value: str) -> str:
    """Free text: folded, punctuation a space, spaces collapsed."""
    value = _SPACES.sub(" ", _PUNCTUATION.sub(" ", _fold(value).replace("'", ""))).strip()
    return _SPACE_BETWEEN_CJK.sub("", value)


STREET_WORDS = {
    "st": "street",
    "str": "street",
    "rd": "road",
    "ave": "avenue",
    "av": "avenue",
    "dr": "drive",
    "ln": "lane",
    "pl": "place",
    "cres": "crescent",
    "cr": "crescent",
    "ct": "court",
    "blvd": "boulevard",
    "hwy": "highway",
    "pde": "parade",
    "tce": "terrace",
    "cl": "close",
    "cct": "circuit",
    "sq": "square",
}


def normalize_address(value: str) -> str:
    """Address line: like text, with street-type abbreviations after the first word spelled out."""
    words = normalize_text(value).split(" ")
    return " ".join(
        [words[0], *(STREET_WORDS.get(word, word) for word in words[1:])] if words else []
    )


def normalize_code(value: str) -> str:
    """Identifier: folded, spaces, dashes, dots and slashes removed."""
    return re.sub(r"[\s\-./_]+", "", _fold(value))


def normalize_phone(value: str) -> str:
    """Phone: digits only, without an international ``00`` or a trunk ``0`` prefix."""
    digits = _NON_DIGITS.sub("", unicodedata.normalize("NFKC", value))
    if digits.startswith("00"):
        digits = digits[2:]
    return digits.lstrip("0")


def normalize_email(value: str) -> str:
    """E-mail: folded and trimmed (the local part keeps its dots)."""
    return _fold(value).strip().strip("<>").replace(" ", "")


def normalize_date(value: str) -> str:
    """Date as ``YYYYMMDD`` where the layout is clear; otherwise its digits as they come."""
    value = unicodedata.normalize("NFKC", value).strip()
    parts: list[str] = _DIGITS.findall(value)
    if len(parts) == 1:
        digits: str = parts[0]
        if len(digits) == 8 and digits[:2] not in ("19", "20") and digits[4:6] in ("19", "20"):
            return digits[4:] + digits[2:4] + digits[:2]  # DDMMYYYY
        return digits
    if len(parts) >= 3:
        first, second, third = parts[:3]
        if len(first) == 4:
            return f"{first}{int(second):02d}{int(third):02d}"[:8]
        if len(third) == 4:
            day, month = int(first), int(second)
            if day <= 12 < month:  # unambiguous month-first
                day, month = month, day
            return f"{third}{month:02d}{day:02d}"[:8]
    return "".join(parts)


NORMALIZERS: dict[FieldType, Callable[[str], str]] = {
    FieldType.NAME: normalize_name,
    FieldType.TEXT: normalize_text,
    FieldType.ADDRESS: normalize_address,
    FieldType.DATE: normalize_date,
    FieldType.CODE: normalize_code,
    FieldType.PHONE: normalize_phone,
    FieldType.EMAIL: normalize_email,
}


def normalize_column(field_type: FieldType, values: Iterable[object]) -> list[str]:
    """Normalize one column; repeated raw values are normalized once."""
    normalizer = NORMALIZERS[field_type]
    memo: dict[object, str] = {}
    out = []
    for value in values:
        found = memo.get(value)
        if found is None:
            found = memo[value] = normalizer(_text(value)) if value is not None else ""
        out.append(found)
    return out
