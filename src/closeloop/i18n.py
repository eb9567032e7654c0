"""Two languages, English and Simplified Chinese, for the pages and the command line.

Catalogs are Babel ``.po`` files under ``web/translations/``; they are compiled in memory at first
use (no binary ``.mo`` files to keep in step). English is the source language.

- Pages: the user's choice (their profile, or the language switch), then the browser's
  ``Accept-Language`` (``best_locale``), then English.
- Command line: ``--lang``, then ``CLOSELOOP_LOCALE``, then the POSIX locale (``LC_ALL``,
  ``LC_MESSAGES``, ``LANG``; ``zh_CN.UTF-8`` reads zh_CN), then English (``environment_locale``).
  CLI code prints through ``_`` (``cli_gettext``) and ``ngettext`` of this module.
- Domain errors carry an English template and its values (see ``closeloop.errors``): the API
  answers in English, the CLI and the pages translate the template (``error.localized``).

Strings that are defined in one place and translated later (table headers, error templates) are
marked with ``N_`` so that ``pybabel extract -k N_`` finds them.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel import Locale, negotiate_locale
from babel.dates import format_date, format_datetime, get_timezone
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, format_percent
from babel.support import NullTranslations, Translations

TRANSLATIONS = Path(__file__).parent / "web" / "translations"
LOCALES = ("en", "zh_CN")
DEFAULT_LOCALE = "en"
LANGUAGE_NAMES = {"en": "English", "zh_CN": "简体中文"}
# Where the command line looks for the user's language, in order (POSIX precedence after ours).
LOCALE_VARIABLES = ("CLOSELOOP_LOCALE", "LC_ALL", "LC_MESSAGES", "LANG")


def N_(message: str) -> str:
    """Mark ``message`` for the catalog without translating it here."""
    return message


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


def _supported(tag: str) -> str | None:
    """``tag`` (zh-CN, zh_CN.UTF-8, en_US@euro …) as one of LOCALES, or None."""
    tag = tag.split(".")[0].split("@")[0].strip().replace("-", "_")
    lowered = tag.lower()
    if not lowered:
        return None
    # zh, zh-CN, zh-Hans and zh-SG all read Simplified Chinese; zh-TW and zh-HK do not.
    if lowered.startswith("zh"):
        return "zh_CN" if "tw" not in lowered and "hk" not in lowered else None
    return negotiate_locale([tag], LOCALES, sep="_")


def best_locale(chosen: str | None, accept_language: str | None) -> str:
    """The user's choice if we have it, else the best match of the browser's languages."""
    if chosen in LOCALES:
        return str(chosen)
    preferred = []
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().replace("-", "_")
        if tag:
            preferred.append("zh_CN" if _supported(tag) == "zh_CN" else tag)
    return negotiate_locale(preferred, LOCALES, sep="_") or DEFAULT_LOCALE


def environment_locale(environ: Mapping[str, str] | None = None) -> str:
    """The command line's language: CLOSELOOP_LOCALE, then LC_ALL, LC_MESSAGES, LANG.

    The first variable that is set decides (as in POSIX: ``LC_ALL=C`` means English even with
    ``LANG=zh_CN.UTF-8``); a language we have no catalog for means English."""
    environ = os.environ if environ is None else environ
    for name in LOCALE_VARIABLES:
        value = environ.get(name, "").strip()
        if value:
            return _supported(value) or DEFAULT_LOCALE
    return DEFAULT_LOCALE


# ---- the command line's language -----------------------------------------------------------

_cli_locale: str | None = None


def set_cli_locale(locale: str | None) -> str:
    """Use ``locale`` (None: the environment's) for this process's command-line output."""
    global _cli_locale
    _cli_locale = (_supported(locale) if locale else None) or environment_locale()
    return _cli_locale


def cli_locale() -> str:
    """The locale of the command line, resolved from the environment on first use."""
    return _cli_locale or set_cli_locale(None)


def cli_gettext(message: str, /, **values: Any) -> str:
    """``message`` in the command line's language, with ``%(name)s`` filled from ``values``."""
    text = translations(cli_locale()).gettext(message)
    return text % values if values else text


def cli_ngettext(singular: str, plural: str, n: int, /, **values: Any) -> str:
    """The singular or plural of a message for ``n`` (``%(num)s`` is ``n``)."""
    text = translations(cli_locale()).ngettext(singular, plural, n)
    return text % {"num": n, **values}


_ = cli_gettext
ngettext = cli_ngettext


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
        zone = get_timezone(self.time_zone)
        return format_datetime(value, format=style, tzinfo=zone, locale=self.babel_locale)
