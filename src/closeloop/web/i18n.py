"""Two languages, English and Simplified Chinese: message catalogs, the user's locale, formats.

Catalogs are Babel ``.po`` files under ``translations/``; they are compiled in memory at first use
(no binary ``.mo`` files to keep in step). The locale is the user's choice (their profile, or the
language switch before signing in), then the browser's ``Accept-Language``, then English.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel import Locale, negotiate_locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, format_percent
from babel.support import NullTranslations, Translations

TRANSLATIONS = Path(__file__).parent / "translations"
LOCALES = ("en", "zh_CN")
DEFAULT_LOCALE = "en"
LANGUAGE_NAMES = {"en": "English", "zh_CN": "简体中文"}


@lru_cache(maxsize=len(LOCALES))
def translations(locale: str) -> NullTranslations:
    """The compiled catalog of ``locale`` (English is the source language: no catalog)."""
    po = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
    if locale == DEFAULT_LOCALE or not po.exists():
        return NullTranslations()
    with po.open("rb") as source:
        catalog = read_po(source, locale=locale)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def best_locale(chosen: str | None, accept_language: str | None) -> str:
    """The user's choice if we have it, else the best match of the browser's languages."""
    if chosen in LOCALES:
        return str(chosen)
    preferred = []
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().replace("-", "_")
        if tag:
            preferred.append(tag)
    # zh, zh-CN, zh-Hans and zh-SG all read Simplified Chinese.
    preferred = [
        "zh_CN"
        if tag.lower().startswith("zh") and "tw" not in tag.lower() and "hk" not in tag.lower()
        else tag
        for tag in preferred
    ]
    return negotiate_locale(preferred, LOCALES, sep="_") or DEFAULT_LOCALE


class Formatter:
    """Messages, money, numbers and dates in one locale; templates get it as ``fmt``."""

    def __init__(self, locale: str, time_zone: str = "UTC") -> None:
        self.locale = locale
        self.babel_locale = Locale.parse(locale)
        self.time_zone = time_zone
        self._translations = translations(locale)

    def gettext(self, message: str, **values: Any) -> str:
        text = self._translations.gettext(message)
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, n: int, **values: Any) -> str:
        text = self._translations.ngettext(singular, plural, n)
        return text % {"num": n, **values}

    def money(self, amount: Decimal | int | None, currency: str, *, whole: bool = False) -> str:
        if amount is None:
            return "—"
        pattern = None
        if whole:
            pattern = self.babel_locale.currency_formats["standard"].pattern.replace(".00", "")
        return format_currency(
            amount, currency, format=pattern, locale=self.babel_locale, currency_digits=not whole
        )

    def number(self, value: float | Decimal | int | None, digits: int = 0) -> str:
        if value is None:
            return "—"
        return format_decimal(
            value, format=f"#,##0.{'0' * digits}" if digits else "#,##0", locale=self.babel_locale
        )

    def percent(self, value: float | Decimal | None, digits: int = 1) -> str:
        if value is None:
            return "—"
        return format_percent(value, format=f"#,##0.{'0' * digits}%", locale=self.babel_locale)

    def date(self, value: date | datetime | None, style: str = "medium") -> str:
        if value is None:
            return "—"
        if isinstance(value, datetime):
            value = value.date()
        return format_date(value, format=style, locale=self.babel_locale)

    def datetime(self, value: datetime | None, style: str = "short") -> str:
        if value is None:
            return "—"
        return format_datetime(value, format=style, tzinfo=self.time_zone, locale=self.babel_locale)
