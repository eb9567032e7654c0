"""Throwaway databases for every test, on SQLite and (when configured) PostgreSQL.

The real Alembic migrations run once per test session into a template; each test then gets its
own copy of it:

- SQLite: the migrated template file is copied into the test's ``tmp_path``;
- PostgreSQL: ``CREATE DATABASE <unique> TEMPLATE <template>``, dropped after the test.

PostgreSQL runs only when ``CLOSELOOP_TEST_DATABASE_URL`` points at a server's maintenance
database (e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``); its tests carry the id
``[postgresql]``. If that server cannot be reached the PostgreSQL tests are skipped, except on CI
(``CI=true``), where they fail.
"""

from __future__ import annotations

import itertools
import os
import shutil
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from closeloop.db.engine import make_engine, session_factory
from closeloop.db.migrate import upgrade
from closeloop.errors import DatabaseUnavailable

PG_URL_VARIABLE = "CLOSELOOP_TEST_DATABASE_URL"

# An app made in a test runs no background jobs (sweeps, deliveries) unless the test asks for them
# (tests/jobs): they would change rows under other tests' feet at every minute boundary.
os.environ.setdefault("CLOSELOOP_EMBEDDED_JOBS", "false")
BACKENDS = ["sqlite", *(["postgresql"] if os.environ.get(PG_URL_VARIABLE) else [])]

# Unique per process, so that parallel test runs against one server never collide.
RUN_ID = f"{os.getpid()}_{uuid.uuid4().hex[:6]}"


class DatabaseServer(Protocol):
    def create(self, *, migrated: bool, directory: Path) -> str:
        """A new database (migrated to head, or empty); returns its URL."""

    def drop(self, url: str) -> None:
        """Remove a database made by ``create``."""


@dataclass
class SqliteServer:
    template: Path

    def create(self, *, migrated: bool, directory: Path) -> str:
        path = directory / f"closeloop-{uuid.uuid4().hex[:8]}.db"
        if migrated:
            shutil.copyfile(self.template, path)
        return f"sqlite:///{path}"

    def drop(self, url: str) -> None:
        """Nothing to do: the file lives in the test's tmp_path."""


@dataclass
class PostgresServer:
    """Databases on one server: migrated ones copied from a template, empty ones from template0.

    CREATE DATABASE takes a few hundred milliseconds (the server syncs the new files), so one
    migrated database is always being made ahead, in a background thread, while a test runs.
    """

    admin: Engine  # AUTOCOMMIT, connected to the maintenance database
    template: str
    counter: itertools.count[int] = field(default_factory=itertools.count)
    _maker: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(max_workers=1))
    _ahead: Future[str] | None = None

    def create(self, *, migrated: bool, directory: Path) -> str:
        if not migrated:
            return self.url_of(self._create_from("template0"))
        ready = self._ahead or self._maker.submit(self._create_from, self.template)
        self._ahead = self._maker.submit(self._create_from, self.template)
        return self.url_of(ready.result())

    def drop(self, url: str) -> None:
        self._drop(str(make_url(url).database))

    def close(self) -> None:
        """Drop the database made ahead (if any) and the template."""
        try:
            if self._ahead is not None:
                self._drop(self._ahead.result())
        finally:
            self._maker.shutdown()
            self._drop(self.template)

    def url_of(self, name: str) -> str:
        return make_url(self.admin.url).set(database=name).render_as_string(hide_password=False)

    def _create_from(self, source: str) -> str:
        name = f"closeloop_test_{RUN_ID}_{next(self.counter)}"
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source}"'))
        return name

    def _drop(self, name: str) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def sqlite_server(tmp_path_factory: pytest.TempPathFactory) -> SqliteServer:
    """A SQLite 'server': one migrated template file, copied per test."""
    template = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{template}")
    upgrade(engine)
    # Closing the last connection folds the write-ahead log into the file and removes it, so a
    # plain copy of the file is the whole database.
    engine.dispose()
    assert not template.with_name(template.name + "-wal").exists()
    return SqliteServer(template)


@pytest.fixture(scope="session")
def postgresql_server() -> Iterator[PostgresServer]:
    """The PostgreSQL server of $CLOSELOOP_TEST_DATABASE_URL, with a migrated template database."""
    url = os.environ.get(PG_URL_VARIABLE)
    if not url:
        pytest.skip(f"{PG_URL_VARIABLE} is not set")
    try:
        admin = make_engine(url).execution_options(isolation_level="AUTOCOMMIT")
    except DatabaseUnavailable as error:
        message = f"PostgreSQL from {PG_URL_VARIABLE} is unreachable: {error}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    server = PostgresServer(admin, template=f"closeloop_template_{RUN_ID}")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{server.template}" TEMPLATE template0'))
    try:
        engine = make_engine(server.url_of(server.template))
        upgrade(engine)
        # CREATE DATABASE ... TEMPLATE needs the template to have no open connection.
        engine.dispose()
        yield server
    finally:
        server.close()
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database kind of this test: ``sqlite`` or ``postgresql``."""
    return str(request.param)


@pytest.fixture
def server(backend: str, request: pytest.FixtureRequest) -> DatabaseServer:
    server: DatabaseServer = request.getfixturevalue(f"{backend}_server")
    return server


@pytest.fixture
def db_url(server: DatabaseServer, tmp_path: Path) -> Iterator[str]:
    """URL of this test's own database, migrated to head (for ``closeloop --db URL``)."""
    url = server.create(migrated=True, directory=tmp_path)
    yield url
    server.drop(url)


@pytest.fixture
def empty_db_url(server: DatabaseServer, tmp_path: Path) -> Iterator[str]:
    """URL of this test's own database without any schema (a missing file on SQLite)."""
    url = server.create(migrated=False, directory=tmp_path)
    yield url
    server.drop(url)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on this test's database; tests that need the rows visible elsewhere commit."""
    session = session_factory(engine)()
    yield session
    session.rollback()
    session.close()
