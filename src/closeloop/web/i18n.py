"""The pages' view of ``closeloop.i18n``: catalogs, the user's locale, formats (re-exported)."""

from __future__ import annotations

from closeloop.i18n import (
    DEFAULT_LOCALE,
    LANGUAGE_NAMES,
    LOCALES,
    N_,
    TRANSLATIONS,
    Formatter,
    best_locale,
    translations,
)

__all__ = [
    "DEFAULT_LOCALE",
    "LANGUAGE_NAMES",
    "LOCALES",
    "N_",
    "TRANSLATIONS",
    "Formatter",
    "best_locale",
    "translations",
]
