"""Cleaning of captured values: Unicode, names, e-mails, phones, company keys, countries."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from closeloop.i18n import N_

_SPACES = re.compile(r"\s+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# The plain addresses nearly everyone has; they skip the full (slow) RFC validation. Anything
# else — quoted parts, international domains, odd dots — goes through email-validator.
_SIMPLE_EMAIL = re.compile(
    r"^[a-z0-9_%+-]+(?:\.[a-z0-9_%+-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}$"
)
_PHONE_SPLIT = re.compile(r"[,;/，；、|]|\s{2,}")


class NormalizationError(ValueError):
    """A value that cannot be cleaned into a valid one; the message says why.

    Like a domain error it keeps its English template and values (``Invalid(error.template,
    **error.values)`` translates), and ``str(error)`` is the English text."""

    def __init__(self, message: str, **values: Any) -> None:
        super().__init__(message % values if values else message)
        self.template = message
        self.values = values


def clean_text(value: object) -> str | None:
    """NFKC (full-width → half-width), trimmed, inner whitespace collapsed; None when empty."""
    if value is None:
        return None
    text = unicodedata.normalize("NFKC", str(value))
    text = _SPACES.sub(" ", text).strip()
    return text or None


def is_cjk(text: str) -> bool:
    """Whether the text is written in Chinese (or Japanese/Korean) characters."""
    return bool(_CJK.search(text))


def clean_name(value: object) -> str | None:
    """A person's name: cleaned text; Chinese names lose the spaces people type inside them."""
    text = clean_text(value)
    if text and _CJK.search(text):
        text = text.replace(" ", "")
    return text


def clean_email(value: object) -> str | None:
    """A canonical (lower-case) e-mail address, None when empty; raises if malformed."""
    text = clean_text(value)
    if not text:
        return None
    text = text.lower().removeprefix("mailto:")
    if _SIMPLE_EMAIL.match(text):
        return text
    try:
        return validate_email(text, check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise NormalizationError(str(error)) from None


def clean_phone(value: object, default_region: str | None) -> str | None:
    """The first valid phone number in the value as E.164, None when empty; raises if none."""
    found = parse_phone(value, default_region)
    return found[0] if found else None


def parse_phone(value: object, default_region: str | None) -> tuple[str, str | None] | None:
    """(E.164, ISO country) of the first valid number in the value; None when empty."""
    text = clean_text(value)
    if not text:
        return None
    for candidate in _PHONE_SPLIT.split(text):
        parsed = _parse_phone(candidate.strip(), default_region)
        if parsed:
            return parsed
    raise NormalizationError(N_("not a valid phone number: %(text)r"), text=text)


_SEPARATORS = re.compile(r"[\s\-().]")


@lru_cache(maxsize=64)
def _mobile_rule(region: str) -> tuple[int, re.Pattern[str], tuple[int, ...]] | None:
    """(country code, mobile pattern, lengths) from phonenumbers' own metadata for a region."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if (
        metadata is None
        or metadata.country_code is None
        or metadata.mobile is None
        or not metadata.mobile.national_number_pattern
    ):
        return None
    pattern = re.compile(metadata.mobile.national_number_pattern)
    return metadata.country_code, pattern, tuple(metadata.mobile.possible_length or ())


def _fast_mobile(text: str, region: str | None) -> tuple[str, str | None] | None:
    """A mobile number in its plainest forms, checked against the same metadata as the slow
    path (a tenth of its cost); anything unusual returns None and takes the slow path."""
    if not region:
        return None
    rule = _mobile_rule(region)
    if rule is None:
        return None
    country_code, pattern, lengths = rule
    digits = _SEPARATORS.sub("", text)
    prefix = f"+{country_code}"
    if digits.startswith(prefix):
        digits = digits[len(prefix) :]
    if not digits.isdigit() or len(digits) not in lengths or not pattern.fullmatch(digits):
        return None
    return prefix + digits, region


@lru_cache(maxsize=65_536)
def _parse_phone(text: str, default_region: str | None) -> tuple[str, str | None] | None:
    if not text:
        return None
    if text.startswith("00"):
        text = "+" + text[2:]
    fast = _fast_mobile(text, default_region)
    if fast:
        return fast
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164, phonenumbers.region_code_for_number(number) or None


# Legal forms and noise that say nothing about which company it is, longest first.
_COMPANY_NOISE_CJK = sorted(
    [
        "股份有限公司",
        "有限责任公司",
        "集团有限公司",
        "有限公司",
        "集团公司",
        "集团",
        "分公司",
        "总公司",
        "公司",
        "（中国）",
        "(中国)",
        "中国区",
    ],
    key=len,
    reverse=True,
)
_COMPANY_NOISE_WORDS = {
    "co",
    "company",
    "ltd",
    "limited",
    "inc",
    "incorporated",
    "llc",
    "llp",
    "lp",
    "gmbh",
    "ag",
    "kg",
    "corp",
    "corporation",
    "plc",
    "pte",
    "pty",
    "sa",
    "sarl",
    "sas",
    "srl",
    "spa",
    "bv",
    "nv",
    "oy",
    "ab",
    "as",
    "kk",
    "group",
    "holding",
    "holdings",
    "the",
    "ооо",
    "оао",
    "зао",
    "пао",
    "ао",
    "ип",
    "нао",
}
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def company_key(value: object) -> str | None:
    """A matching key for a company name: lower case, no legal form, no punctuation."""
    text = clean_text(value)
    if not text:
        return None
    text = text.lower()
    for noise in _COMPANY_NOISE_CJK:
        text = text.replace(noise, " ")
    words = [w for w in _WORD.findall(text) if w not in _COMPANY_NOISE_WORDS]
    key = "".join(words)
    return key or None


# Everyday names Babel's territory names lack.
_COUNTRY_ALIASES = {
    "usa": "US",
    "united states of america": "US",
    "america": "US",
    "uk": "GB",
    "england": "GB",
    "britain": "GB",
    "great britain": "GB",
    "prc": "CN",
    "mainland china": "CN",
    "中华人民共和国": "CN",
    "中国大陆": "CN",
    "deutschland": "DE",
    "russia": "RU",
    "korea": "KR",
    "south korea": "KR",
    "vietnam": "VN",
    "viet nam": "VN",
    "holland": "NL",
    "uae": "AE",
}


@lru_cache(maxsize=1)
def _countries() -> dict[str, str]:
    """Country name (English, Chinese, Russian, German, French, Japanese, Spanish) → ISO code."""
    from babel import Locale

    names: dict[str, str] = {}
    for locale in ("en", "zh", "zh_Hant", "ru", "de", "fr", "ja", "es"):
        for code, name in Locale.parse(locale).territories.items():
            if len(code) == 2 and code.isalpha():
                names.setdefault(name.casefold(), code)
    names.update(_COUNTRY_ALIASES)
    return names


def clean_region(value: object) -> str | None:
    """An ISO 3166 alpha-2 country code from a code or a name; raises if unknown."""
    text = clean_text(value)
    if not text:
        return None
    if len(text) == 2 and text.isascii() and text.upper() in phonenumbers.SUPPORTED_REGIONS:
        return text.upper()
    code = _countries().get(text.casefold())
    if code:
        return code
    raise NormalizationError(N_("unknown country: %(text)r"), text=text)


def clean_int(value: object) -> int | None:
    """A whole number such as a company size ('1,200', '１２００', '500+'); raises if not one."""
    text = clean_text(value)
    if not text:
        return None
    digits = re.sub(r"[,\s+人名]", "", text)
    if not digits.isdigit():
        raise NormalizationError(N_("not a whole number: %(text)r"), text=text)
    return int(digits)
