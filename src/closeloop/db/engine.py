"""Engines and sessions for SQLite and PostgreSQL, from one URL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from closeloop.db.locks import begin_writing
from closeloop.errors import DatabaseUnavailable
from closeloop.i18n import N_


def normalize_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` and use the psycopg 3 driver for them.

    Raise ``DatabaseUnavailable`` when the text cannot be parsed as a database URL at all.
    """
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix) :]
            break
    try:
        make_url(url)
    except (ArgumentError, ValueError):  # ValueError: e.g. a port that is not a number
        raise DatabaseUnavailable(
            N_(
                "not a database URL: %(url)r (try sqlite:///closeloop.db "
                "or postgresql+psycopg://user@host/dbname)"
            ),
            url=url,
        ) from None
    return url


SQLITE_CACHE_KIB = 256 * 1024  # page cache per connection


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, decide where transactions begin: with the driver's
    # default, DDL and SELECTs run outside any transaction (SQLAlchemy's pysqlite recipe).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql(connection.get_execution_options().get("sqlite_begin", "BEGIN"))


def make_engine(url: str) -> Engine:
    """Create an engine and prove the database answers; raise ``DatabaseUnavailable`` if not."""
    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise DatabaseUnavailable(
            N_("unsupported database %(backend)r: use SQLite or PostgreSQL"),
            backend=parsed.get_backend_name(),
        )
    try:
        if parsed.get_backend_name() == "sqlite":
            engine = create_engine(url, connect_args={"timeout": 30})
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _sqlite_begin)
        else:
            engine = create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 5})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except (NoSuchModuleError, ImportError):  # ImportError: a known dialect, its driver missing
        raise DatabaseUnavailable(
            N_("no driver for %(driver)r"), driver=parsed.drivername
        ) from None
    except DBAPIError as error:  # also "file is not a database", "invalid connection option"
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        raise DatabaseUnavailable(
            N_("cannot open database %(url)s: %(reason)s"),
            url=parsed.render_as_string(hide_password=True),
            reason=reason,
        ) from None
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory whose objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def unit_of_work(engine: Engine, *, writing: bool = False) -> Iterator[Session]:
    """One transaction: commit when the block ends, roll back if it raises.

    ``writing``: the transaction will change rows, so on SQLite it takes the write lock up front
    (``begin_writing``) instead of failing with "database is locked" when a read turns into a
    write while another connection writes.
    """
    session = session_factory(engine)()
    try:
        if writing:
            begin_writing(session)
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
