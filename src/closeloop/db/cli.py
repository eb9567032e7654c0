"""`closeloop init`: create or upgrade the schema."""

from __future__ import annotations

from closeloop.cli_support import DbOption, console, open_database
from closeloop.db.migrate import upgrade


def init(db: DbOption = None) -> None:
    """Create the database schema, or upgrade it to this version."""
    engine = open_database(db, migrated=False)
    before, after = upgrade(engine)
    if before == after:
        console.print(f"Database schema is up to date ({after}).")
    else:
        console.print(f"Database schema upgraded from {before or 'empty'} to {after}.")
