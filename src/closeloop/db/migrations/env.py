"""Alembic environment: runs against the engine handed over by closeloop.db.migrate."""

from __future__ import annotations

from alembic import context

import closeloop.models  # noqa: F401  (registers every table on the metadata)
from closeloop.db.base import Base

engine = context.config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
