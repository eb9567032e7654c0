"""What every command shares: the database option, opening it, and printing errors."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from closeloop.config import get_settings
from closeloop.db.engine import make_engine, normalize_url
from closeloop.db.migrate import ensure_current
from closeloop.errors import SchemaOutOfDate

# Piped output is not cut to 80 columns: wide report tables stay readable in files and CI logs.
console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database URL (default: $CLOSELOOP_DATABASE_URL, else sqlite:///closeloop.db).",
        show_default=False,
    ),
]


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
        raise SchemaOutOfDate(f"no database at {path}: run `closeloop init` (or `closeloop demo`)")
