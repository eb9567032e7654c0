"""The Alembic migrations build exactly the schema the models describe, both ways, on both DBs."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

import closeloop.models  # noqa: F401  (registers every table on the metadata)
from closeloop.db.base import Base
from closeloop.db.engine import make_engine, unit_of_work
from closeloop.db.migrate import (
    alembic_config,
    current_revision,
    ensure_current,
    head_revision,
    upgrade,
)
from closeloop.errors import SchemaOutOfDate
from tests import factories as f
from tests.factories import at

MODEL_TABLES = set(Base.metadata.tables)


def table_names(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


@pytest.fixture
def empty_engine(empty_db_url: str):
    engine = make_engine(empty_db_url)
    yield engine
    engine.dispose()


def test_the_models_define_the_whole_lead_to_cash_chain():
    # A guard for the test below: an empty metadata would make every comparison pass.
    assert {"channels", "spend_entries", "leads", "opportunities", "orders", "invoices"} <= (
        MODEL_TABLES
    )
    assert {"payments", "allocations", "touches", "users", "accounts", "stages"} <= MODEL_TABLES


def test_upgrade_from_empty_creates_every_table(empty_engine: Engine):
    assert table_names(empty_engine) == set()

    assert upgrade(empty_engine) == (None, head_revision())

    assert table_names(empty_engine) == MODEL_TABLES | {"alembic_version"}
    assert current_revision(empty_engine) == head_revision()
    ensure_current(empty_engine)


def test_upgrade_of_a_current_database_changes_nothing(engine: Engine):
    assert upgrade(engine) == (head_revision(), head_revision())
    assert table_names(engine) == MODEL_TABLES | {"alembic_version"}


# Expression indexes that only PostgreSQL has (migration 0008); the models cannot declare them
# for one database alone.
POSTGRESQL_ONLY_INDEXES = {"ix_leads_sla_order", "ix_leads_name_prefix"}


def _not_postgresql_only(name: str | None, kind: str, _parent: object) -> bool:
    return not (kind == "index" and name in POSTGRESQL_ONLY_INDEXES)


def test_the_migrated_schema_matches_the_models(engine: Engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": _not_postgresql_only}
        )
        differences = compare_metadata(context, Base.metadata)

    assert differences == []


def test_downgrade_to_base_and_upgrade_again(engine: Engine):
    command.downgrade(alembic_config(engine), "base")

    assert table_names(engine) - {"alembic_version"} == set()
    assert current_revision(engine) is None

    assert upgrade(engine) == (None, head_revision())
    ensure_current(engine)
    assert table_names(engine) == MODEL_TABLES | {"alembic_version"}
    # The rebuilt schema takes rows again.
    with unit_of_work(engine) as session:
        f.lead(session, at(2026, 1, 1), channel=f.channel(session, "Search"))
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM leads")) == 1


def test_a_database_without_the_schema_is_refused(empty_engine: Engine):
    with pytest.raises(SchemaOutOfDate, match="no Closeloop schema yet: run `closeloop init`"):
        ensure_current(empty_engine)

    # Checking wrote nothing, not even Alembic's version table.
    assert table_names(empty_engine) == set()


def test_a_database_at_another_revision_is_refused(engine: Engine):
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'older'"))

    with pytest.raises(SchemaOutOfDate, match=f"is at older, this version needs {head_revision()}"):
        ensure_current(engine)
