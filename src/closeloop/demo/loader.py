"""Writing generated batches: bulk inserts in foreign-key order, then sequences and statistics."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, func, select, text

from closeloop.db.base import Base
from closeloop.db.dialect import bulk_insert
from closeloop.demo.wire import Batch, rows

# Parents before children, so that every foreign key finds its row.
INSERT_ORDER = (
    "accounts",
    "contacts",
    "leads",
    "lead_status_changes",
    "touches",
    "opportunities",
    "opportunity_stage_changes",
    "orders",
    "order_lines",
    "payment_plans",
    "installments",
    "invoices",
    "payments",
    "allocations",
    "spend_entries",
)


@dataclass(frozen=True)
class PreparedTable:
    """Rows of one table, ready for the bulk loader."""

    name: str
    columns: list[str]
    rows: list[tuple[Any, ...]]


def prepare(tables: dict[str, Batch]) -> list[PreparedTable]:
    """Turn generated columns into row tuples, parents first (CPU work, no database)."""
    prepared = []
    for name in INSERT_ORDER:
        if name in tables:
            columns, _, values = rows(tables[name])
            prepared.append(PreparedTable(name, columns, list(values)))
    return prepared


def write(connection: Connection, prepared: list[PreparedTable]) -> dict[str, int]:
    """Insert prepared tables in order; return the rows written per table."""
    for table in prepared:
        if table.rows:
            bulk_insert(connection, Base.metadata.tables[table.name], table.columns, table.rows)
    return {table.name: len(table.rows) for table in prepared}


@contextmanager
def bulk_load(engine: Engine) -> Iterator[Connection]:
    """One transaction for a whole load, tuned for it; all of it or nothing is written.

    Secondary indexes are dropped and built again at the end (faster than updating them row by
    row), and foreign keys are not checked row by row where the database allows it: the
    generator makes consistent ids.
    """
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:  # must be set outside a transaction
            for pragma in ("foreign_keys=OFF", "synchronous=OFF", "cache_size=-1048576"):
                connection.connection.driver_connection.execute(f"PRAGMA {pragma}")  # type: ignore[union-attr]
        try:
            with connection.begin():
                _tune(connection)
                indexes = [i for t in Base.metadata.sorted_tables for i in t.indexes]
                for index in indexes:
                    index.drop(connection)
                yield connection
                for index in indexes:
                    index.create(connection)
        finally:
            if sqlite:
                for pragma in ("foreign_keys=ON", "synchronous=NORMAL", "cache_size=-262144"):
                    connection.connection.driver_connection.execute(f"PRAGMA {pragma}")  # type: ignore[union-attr]


def _tune(connection: Connection) -> None:
    if connection.dialect.name != "postgresql":
        return
    connection.execute(text("SET LOCAL TIME ZONE 'UTC'"))  # the generator writes UTC text
    connection.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
    superuser = connection.scalar(
        text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    )
    if superuser:  # skips foreign-key triggers; other roles load with the checks on
        connection.execute(text("SET LOCAL session_replication_role = replica"))


def finish(engine: Engine) -> None:
    """Move id sequences past the ids written explicitly, and refresh planner statistics.

    On PostgreSQL a VACUUM also marks the new pages all-visible, which the reports' index-only
    scans need; it cannot run inside a transaction.
    """
    with engine.begin() as connection:
        if connection.dialect.name != "postgresql":
            connection.execute(text("ANALYZE"))
            return
        for table in Base.metadata.sorted_tables:
            if "id" not in table.c or not table.c.id.primary_key:
                continue
            top = connection.scalar(select(func.max(table.c.id)))
            if top:
                connection.execute(
                    text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :v)"),
                    {"t": table.name, "v": top},
                )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))


def wipe(connection: Connection) -> None:
    """Delete every row of every Closeloop table (the schema and its version stay)."""
    if connection.dialect.name == "postgresql":
        names = ", ".join(t.name for t in Base.metadata.sorted_tables)
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        return
    for table in reversed(Base.metadata.sorted_tables):
        connection.execute(table.delete())
