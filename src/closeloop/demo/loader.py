"""Writing generated batches: bulk inserts in foreign-key order, then sequences and statistics."""

from __future__ import annotations

from sqlalchemy import Connection, func, select, text

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


def write_batch(connection: Connection, tables: dict[str, Batch]) -> dict[str, int]:
    """Insert every table of a batch; return the rows written per table."""
    written = {}
    for name in INSERT_ORDER:
        if name not in tables:
            continue
        columns, values = rows(tables[name])
        if values:
            bulk_insert(connection, Base.metadata.tables[name], columns, values)
        written[name] = len(values)
    return written


def prepare(connection: Connection) -> None:
    """Session settings for loading: UTC text timestamps on PostgreSQL."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SET TIME ZONE 'UTC'"))


def finish(connection: Connection) -> None:
    """Move id sequences past the ids written explicitly, and refresh planner statistics."""
    if connection.dialect.name == "postgresql":
        for table in Base.metadata.sorted_tables:
            if "id" not in table.c or not table.c.id.primary_key:
                continue
            top = connection.scalar(select(func.max(table.c.id)))
            if top:
                connection.execute(
                    text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :v)"),
                    {"t": table.name, "v": top},
                )
    connection.execute(text("ANALYZE"))


def wipe(connection: Connection) -> None:
    """Delete every row of every Closeloop table (the schema and its version stay)."""
    if connection.dialect.name == "postgresql":
        names = ", ".join(t.name for t in Base.metadata.sorted_tables)
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        return
    for table in reversed(Base.metadata.sorted_tables):
        connection.execute(table.delete())
