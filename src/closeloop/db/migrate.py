"""Create and upgrade the schema through Alembic; refuse a database that is behind."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from closeloop.errors import SchemaOutOfDate
from closeloop.i18n import N_

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration bound to ``engine`` (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    """The newest migration this code knows."""
    head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    assert head is not None, "no migrations found"
    return head


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at, or None for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the schema to the newest migration; return (before, after)."""
    before = current_revision(engine)
    command.upgrade(alembic_config(engine), "head")
    return before, head_revision()


def ensure_current(engine: Engine) -> None:
    """Raise ``SchemaOutOfDate`` unless the database is at the newest migration."""
    revision = current_revision(engine)
    if revision == head_revision():
        return
    if revision is None:
        raise SchemaOutOfDate(N_("the database has no Closeloop schema yet: run `closeloop init`"))
    raise SchemaOutOfDate(
        N_(
            "the database schema is at %(revision)s, this version needs %(head)s: "
            "run `closeloop init` to upgrade it"
        ),
        revision=revision,
        head=head_revision(),
    )
