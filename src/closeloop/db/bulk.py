"""Writing many rows at once through the fast path, with ids known before the insert."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Table, func, select, text
from sqlalchemy.orm import Session

from closeloop.db.dialect import bulk_insert
from closeloop.db.types import UTCDateTime


def allocate_ids(session: Session, table: Table, count: int) -> list[int]:
    """``count`` new primary keys for ``table``.

    PostgreSQL draws them from the table's sequence (safe with any number of writers); SQLite
    continues after the largest id, which is safe because its writer holds the database lock
    (see ``closeloop.db.locks.begin_writing``).
    """
    if count <= 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        statement = text(
            "SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"
        )
        return sorted(session.scalars(statement, {"table": table.name, "n": count}))
    top = session.scalar(select(func.coalesce(func.max(table.c.id), 0)))
    return list(range(int(top) + 1, int(top) + 1 + count))


def insert_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows (all with the same keys) with COPY / executemany, skipping the ORM."""
    if not rows:
        return
    columns = list(rows[0])
    postgresql = session.get_bind().dialect.name == "postgresql"
    data = []
    for name in columns:
        values = [row[name] for row in rows]
        convert = _converter(table.c[name].type, postgresql)
        data.append([convert(v) for v in values] if convert else values)
    bulk_insert(session.connection(), table, columns, list(zip(*data, strict=True)))


def _converter(column_type: Any, postgresql: bool) -> Any:
    if isinstance(column_type, UTCDateTime):
        suffix = "+00" if postgresql else ""
        texts: dict[datetime, str] = {}  # a batch shares a few timestamps: format each once

        def timestamp(value: datetime | None) -> str | None:
            if value is None:
                return None
            found = texts.get(value)
            if found is None:
                found = texts[value] = _utc_text(value) + suffix
            return found

        return timestamp
    if isinstance(column_type, JSON):
        return lambda value: None if value is None else json.dumps(value, ensure_ascii=False)
    return None


def _utc_text(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError(f"timestamps must be timezone-aware, got {value!r}")
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
