"""What every command shares: the database option, opening it, printing errors, the language.

Messages go through ``_`` (and ``ngettext``) of this module: the command line's language is
``--lang``, then ``CLOSELOOP_LOCALE``, then the POSIX locale (see ``closeloop.i18n``). Help texts
stay English in the source and are translated when help is shown (``LocalizedGroup``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from closeloop.config import get_settings
from closeloop.db.engine import make_engine, normalize_url
from closeloop.db.migrate import ensure_current
from closeloop.errors import SchemaOutOfDate
from closeloop.i18n import N_, cli_gettext, cli_ngettext, set_cli_locale

_ = cli_gettext
ngettext = cli_ngettext

__all__ = ["N_", "_", "ngettext"]

# Piped output is not cut to 80 columns: wide report tables stay readable in files and CI logs.
console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help=N_("Database URL (default: $CLOSELOOP_DATABASE_URL, else sqlite:///closeloop.db)."),
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


_root_db: str | None = None


def set_root_db(db: str | None) -> None:
    """Remember the root command's --db for the subcommand that runs after it."""
    global _root_db
    _root_db = db


def database_url(db: str | None) -> str:
    """The URL from the command's --db, then the root --db, then the environment."""
    return db or _root_db or os.environ.get("CLOSELOOP_DATABASE_URL") or get_settings().database_url


def open_database(db: str | None, *, migrated: bool = True) -> Engine:
    """Connect, and unless ``migrated`` is False, refuse a database that is not at head."""
    url = database_url(db)
    if migrated:
        refuse_missing_sqlite_file(url)
    engine = make_engine(url)
    if migrated:
        ensure_current(engine)
    return engine


def refuse_missing_sqlite_file(url: str) -> None:
    """Opening a missing SQLite file would create it; a report must not write anything."""
    parsed = make_url(normalize_url(url)) if "://" in url else None
    if parsed is None or parsed.get_backend_name() != "sqlite":
        return
    path = parsed.database
    if path and path != ":memory:" and not path.startswith("file:") and not Path(path).exists():
        raise SchemaOutOfDate(
            N_("no database at %(path)s: run `closeloop init` (or `closeloop demo`)"), path=path
        )


# ---- help in the user's language ----------------------------------------------------------


# Click's own words in a help page, for the catalog.
HELP_WORDS = (
    N_("Usage: "),
    N_("Options"),
    N_("Commands"),
    N_("Arguments"),
    N_("Show this message and exit."),
)

# Typer's own classes (recent Typer vendors Click; older ones use Click itself).
_Context: Any = typer.core.TyperGroup.context_class
_HelpFormatter: Any = _Context.formatter_class


class LocalizedHelpFormatter(_HelpFormatter):  # type: ignore[misc]
    """Click's help layout with its headings and usage prefix in the user's language."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, prefix=_(prefix or "Usage: "))

    def write_heading(self, heading: str) -> None:
        super().write_heading(_(heading))


class LocalizedContext(_Context):  # type: ignore[misc]
    """A context whose help is translated when it is shown (help strings are English)."""

    formatter_class = LocalizedHelpFormatter

    def get_help(self) -> str:
        translate_help(self.command, self)
        return str(super().get_help())

    def get_usage(self) -> str:
        translate_help(self.command, self)
        return str(super().get_usage())


def command_tree(command: Any) -> list[Any]:
    """``command`` and every command under it."""
    found = [command]
    for sub in getattr(command, "commands", {}).values():
        found.extend(command_tree(sub))
    return found


def help_messages(command: Any) -> list[str]:
    """Every help text of the tree, as Typer built it: what the catalog must translate."""
    messages: list[str] = list(HELP_WORDS)
    for cmd in command_tree(command):
        messages.extend(m for m in (cmd.help, cmd.short_help) if m)
        messages.extend(p.help for p in cmd.params if getattr(p, "help", None))
    return messages


def translate_help(command: Any, ctx: Any) -> None:
    """Put the help of ``command`` (and of its subcommands' one-liners) in the user's language."""
    help_option = command.get_help_option(ctx)
    shown = [command, *getattr(command, "commands", {}).values()]
    for cmd in shown:
        if getattr(cmd, "_closeloop_translated", False):
            continue
        cmd._closeloop_translated = True
        english = cmd.help
        if english:
            cmd.help = _(english)
            if cmd.help != english and not cmd.short_help:
                # Click shortens at an English full stop; Chinese has none to find.
                cmd.short_help = cmd.help.split("\n")[0].split("。")[0].split("：")[0]
        if cmd.short_help:
            cmd.short_help = _(cmd.short_help)
        for param in cmd.params:
            if getattr(param, "help", None):
                param.help = _(param.help)
    if help_option is not None and help_option.help:
        help_option.help = _(help_option.help)


class LocalizedGroup(typer.core.TyperGroup):
    """The root group: picks the language for this run and lets every command's help follow it."""

    def main(self, *args: object, **kwargs: object) -> object:
        set_cli_locale(None)  # the environment's; --lang, processed first, may change it
        for cmd in command_tree(self):
            cmd.context_class = LocalizedContext
        return super().main(*args, **kwargs)  # type: ignore[arg-type]


def choose_language(value: str | None) -> str | None:
    """The root --lang option: this run's language (eager, so that --help follows it)."""
    if value is not None:
        if value not in ("en", "zh_CN"):
            raise typer.BadParameter(_("choose en or zh_CN"), param_hint="--lang")
        set_cli_locale(value)
    return value


def extract_help(
    fileobj: Any, keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[Any, ...]]:
    """Babel extraction method for ``src/closeloop/cli.py``: its own gettext calls, and every
    command's help text as the running CLI has it (docstrings and ``help=`` strings)."""
    from babel.messages.extract import extract_python

    from closeloop.cli import app

    yield from extract_python(fileobj, keywords, comment_tags, options)
    for message in dict.fromkeys(help_messages(typer.main.get_command(app))):
        yield 0, "", message, ["help text of a command"]
