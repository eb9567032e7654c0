"""`closeloop init`: create or upgrade the schema."""

from __future__ import annotations

from closeloop.cli_support import DbOption, _, console, open_database
from closeloop.db.migrate import upgrade


def init(db: DbOption = None) -> None:
    """Create the database schema, or upgrade it to this version."""
    engine = open_database(db, migrated=False)
    before, after = upgrade(engine)
    if before == after:
        console.print(_("Database schema is up to date (%(version)s).", version=after))
    else:
        console.print(
            _(
                "Database schema upgraded from %(before)s to %(after)s.",
                before=before or _("empty"),
                after=after,
            )
        )
