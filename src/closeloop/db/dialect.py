"""The few places where SQLite and PostgreSQL need different SQL, each with its portable twin."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Integer,
    SQLColumnExpression,
    String,
    Table,
    any_,
    bindparam,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement, ColumnElement
from sqlalchemy.sql.functions import FunctionElement


class hours_between(FunctionElement[int]):
    """Whole hours from the first timestamp to the second, rounded to the nearest hour."""

    type = Integer()
    inherit_cache = True
    name = "hours_between"

    def __init__(self, start: SQLColumnExpression[Any], end: SQLColumnExpression[Any]) -> None:
        super().__init__(start, end)


@compiles(hours_between, "sqlite")
def _hours_between_sqlite(element: hours_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"CAST(ROUND((julianday({end}) - julianday({start})) * 24) AS INTEGER)"


@compiles(hours_between, "postgresql")
def _hours_between_postgresql(element: hours_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(arg, **kw) for arg in element.clauses)
    # date_part is double precision; EXTRACT returns numeric, several times slower.
    return f"CAST(floor(date_part('epoch', {end} - {start}) / 3600 + 0.5) AS INTEGER)"


COPY_FROM_ROWS = 50


def bulk_insert(
    connection: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Insert many rows fast: COPY on PostgreSQL, one prepared executemany on SQLite.

    Values must already be in the database's wire form (see ``closeloop.demo.rows``): this path
    skips the ORM and its type conversions on purpose.
    """
    dbapi = connection.connection.driver_connection
    column_list = ", ".join(columns)
    if not isinstance(rows, list):
        rows = list(rows)
    if connection.dialect.name == "postgresql" and len(rows) < COPY_FROM_ROWS:
        # A few rows (one lead over HTTP): COPY's extra round trips cost more than they save.
        placeholders = ", ".join("%s" for _ in columns)
        with dbapi.cursor() as cursor:  # type: ignore[union-attr]
            cursor.executemany(
                f"INSERT INTO {table.name} ({column_list}) VALUES ({placeholders})", rows
            )
    elif connection.dialect.name == "postgresql":
        statement = f"COPY {table.name} ({column_list}) FROM STDIN"
        with dbapi.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
            for row in rows:
                copy.write_row(row)
    else:
        placeholders = ", ".join("?" for _ in columns)
        cursor = dbapi.cursor()  # type: ignore[union-attr]
        cursor.executemany(
            f"INSERT INTO {table.name} ({column_list}) VALUES ({placeholders})", rows
        )
        cursor.close()


_SEPARATOR = "\x1f"  # the ASCII unit separator: not in any e-mail, phone, key or name we keep


def _joined(values: Sequence[Any], is_int: bool) -> str | None:
    """The values as one separated string, or None when that would not read back the same
    (no values, a value that is not text or a whole number, an empty text — PostgreSQL splits
    '' into no values at all — or one holding the separator)."""
    if not values:
        return None
    if is_int:
        if not all(type(v) is int for v in values):
            return None
        return _SEPARATOR.join(map(str, values))
    if not all(type(v) is str and v for v in values):
        return None
    joined = _SEPARATOR.join(values)
    return joined if joined.count(_SEPARATOR) == len(values) - 1 else None


def one_of(
    dialect_name: str, column: ColumnElement[Any], values: Sequence[Any]
) -> ColumnElement[bool]:
    """``column IN (values)`` with the whole list as one parameter, however long it is.

    A plain IN binds one parameter per value (slow to build for thousands, and capped at 32,766
    on SQLite); PostgreSQL takes one string it splits into an array (or, for values the split
    would not read back, the array itself), SQLite a JSON array read back with json_each.
    """
    is_int = isinstance(column.type, Integer)
    if dialect_name == "postgresql":
        joined = _joined(values, is_int)
        if joined is not None:
            # One string split by the server: psycopg builds an array parameter value by value
            # in Python (7 s of a million-row import's lookups).
            array: ColumnElement[Any] = func.string_to_array(
                bindparam("values", joined, unique=True), _SEPARATOR
            )
            if is_int:
                array = array.cast(ARRAY(BigInteger()))
            return column == any_(array)
        element_type = Integer() if is_int else String()
        return column == any_(
            bindparam("values", list(values), type_=ARRAY(element_type), unique=True)
        )
    values_json = bindparam("values", json.dumps(list(values)), type_=String(), unique=True)
    return column.in_(select(text("value")).select_from(func.json_each(values_json)))


def analyze_temporary(connection: Connection, name: str) -> None:
    """Give a freshly filled temporary table its statistics. Without them PostgreSQL guesses
    its size, and SQLite runs an ``UPDATE leads … FROM`` it by scanning all of ``leads`` and
    probing the temporary table, instead of the other way round."""
    schema = "" if connection.dialect.name == "postgresql" else "temp."
    connection.exec_driver_sql(f"ANALYZE {schema}{name}")


def fetch_tuples(session: Session, statement: ClauseElement) -> list[tuple[Any, ...]]:
    """Run a SELECT on the driver's own cursor: its rows as the plain tuples the driver makes.

    SQLAlchemy's result rows cost about 2 µs more each; capture's lookups read tens of thousands
    a batch. Only for columns and parameters that need no type conversion (text, numbers, the
    lists of ``one_of``)."""
    connection = session.connection()
    compiled = statement.compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )
    assert isinstance(compiled, SQLCompiler)
    params: Any = compiled.params
    if compiled.positional:
        params = tuple(params[name] for name in compiled.positiontup or ())
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(compiled.string, params)
        return list(cursor.fetchall())
    finally:
        cursor.close()


# Lookups of fewer keys (a form's one record, a small file) are left to the planner: the
# whole-table scans were seen with import batches of 20,000 keys.
MANY_KEYS = 1_000


@contextmanager
def index_lookups(session: Session, keys: int) -> Iterator[None]:
    """Plan the statements inside with the tables' indexes, not whole-table scans, when looking
    up ``keys`` values that each match a few rows (PostgreSQL only; from ``MANY_KEYS`` keys).

    20,000 source keys against two million leads: with its default costs (random_page_cost = 4,
    a spinning disk's) PostgreSQL chose a parallel scan of the whole table (0.29 s) over the
    index (0.13 s), for each of an import's lookups, every batch. The setting is the
    transaction's own and is put back after the block; on an error the rollback restores it.
    """
    if keys < MANY_KEYS or session.get_bind().dialect.name != "postgresql":
        yield
        return
    before = session.execute(
        text("SELECT current_setting('enable_seqscan'), set_config('enable_seqscan', 'off', true)")
    ).scalar_one()
    yield
    session.execute(text("SELECT set_config('enable_seqscan', :before, true)"), {"before": before})
