"""Every message marked for translation in src/closeloop has a Simplified Chinese translation.

Extracts in-process, as ``pybabel extract -F babel.cfg`` does (Python gettext calls and ``N_``
marks, templates, and the commands' help texts), and reads the zh_CN catalog."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from closeloop.i18n import TRANSLATIONS, environment_locale

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def extracted() -> set[str]:
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_marked_message_has_a_chinese_translation() -> None:
    with (TRANSLATIONS / "zh_CN" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale="zh_CN")
    messages = extracted()
    assert len(messages) > 300  # the CLI alone: a broken extraction must not pass as "complete"
    untranslated = sorted(m for m in messages if not catalog.get(m) or not catalog[m].string)
    assert untranslated == []


def test_the_environment_chooses_the_command_lines_language() -> None:
    assert environment_locale({}) == "en"
    assert environment_locale({"LANG": "zh_CN.UTF-8"}) == "zh_CN"
    assert environment_locale({"LANG": "zh_CN.UTF-8", "LC_ALL": "C"}) == "en"
    assert environment_locale({"LC_MESSAGES": "zh_SG", "LANG": "en_US.UTF-8"}) == "zh_CN"
    assert environment_locale({"CLOSELOOP_LOCALE": "en", "LANG": "zh_CN.UTF-8"}) == "en"
    assert environment_locale({"LANG": "zh_TW.UTF-8"}) == "en"
