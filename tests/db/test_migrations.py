"""The Alembic migrations build exactly the schema the models describe, both ways, on both DBs."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, bindparam, inspect, select, text

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
from closeloop.db.types import UTCDateTime
from closeloop.errors import SchemaOutOfDate
from closeloop.leads.capture.dedup import KnownLead
from closeloop.leads.capture.lookups import BatchKeys, already_captured, known_leads
from closeloop.models import Lead, LeadDecision, LeadSlaStep, Role
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


def test_leads_stored_before_the_byte_compared_keys_are_found_by_them_after(engine: Engine):
    # Migration 0009 gives the matching keys the "C" collation on PostgreSQL and makes the
    # owner and account indexes partial: what was stored before must still match and list.
    command.downgrade(alembic_config(engine), "0008")
    with unit_of_work(engine) as session:
        rep = f.user(session, "li.na@example.com", role=Role.SALES_REP)
        stored = f.lead(session, at(2026, 1, 1), owner=rep)
        stored.email, stored.phone = "wang.fang@example.cn", "+8613812345678"
        stored.company, stored.company_key, stored.source_key = "华为技术有限公司", "华为", "k-1"
        other = f.lead(session, at(2026, 1, 2))
        other.email = "wang.fang@example.com"
        lead_id, other_id, rep_id = stored.id, other.id, rep.id

    assert upgrade(engine) == ("0008", head_revision())

    with unit_of_work(engine) as session:
        keys = BatchKeys(["wang.fang@example.cn"], ["+8613812345678"], ["华为"])
        found = known_leads(session, keys)
        assert [k.id if isinstance(k, KnownLead) else k[0] for k in found] == [lead_id]
        assert already_captured(session, ["k-1", "k-2"]) == {"k-1": lead_id}
        by_prefix = select(Lead.id).where(Lead.email.like("wang.fang@%")).order_by(Lead.id)
        assert session.scalars(by_prefix).all() == [lead_id, other_id]
        assert session.scalars(select(Lead.id).where(Lead.owner_id == rep_id)).all() == [lead_id]


def test_running_clocks_keep_their_deadline_and_breach_step_across_0010(engine: Engine):
    # Migration 0010 moves a clock's breach step off the lead row. The lead row keeps the
    # deadline: a clock already breached gets back the one its notice named. A clock on a lead
    # nobody owns is no clock (the sweep would have dropped it).
    command.downgrade(alembic_config(engine), "0009")
    with unit_of_work(engine) as session:
        rep = f.user(session, "li.na@example.com", role=Role.SALES_REP)
        running = f.lead(session, at(2026, 1, 1), owner=rep)
        breached = f.lead(session, at(2026, 1, 1), owner=rep)
        unowned = f.lead(session, at(2026, 1, 1))
        ids = running.id, breached.id, unowned.id
        notice = {"deadline": "2026-01-05T10:00:00.250000+00:00", "escalate_at": "…"}
        notified = at(2026, 1, 5, 10)
        session.add(
            LeadDecision(
                lead_id=breached.id, kind="sla_notified", decided_at=notified, detail=notice
            )
        )
    set_clock = text(
        "UPDATE leads SET sla_kind = 'first_contact', sla_due_at = :due, sla_level = :level "
        "WHERE id = :id"
    ).bindparams(bindparam("due", type_=UTCDateTime()))
    with engine.begin() as connection:
        for lead_id, due, level in zip(
            ids, [at(2026, 1, 6, 9), at(2026, 1, 5, 12), at(2026, 1, 2, 9)], [0, 1, 0], strict=True
        ):
            connection.execute(set_clock, {"id": lead_id, "due": due, "level": level})

    assert upgrade(engine) == ("0009", head_revision())

    with unit_of_work(engine) as session:
        clocks = session.execute(
            select(Lead.id, Lead.sla_kind, Lead.sla_due_at, LeadSlaStep.level, LeadSlaStep.step_at)
            .outerjoin(LeadSlaStep)
            .order_by(Lead.id)
        ).all()
    deadline = at(2026, 1, 5, 10).replace(microsecond=250_000)
    assert [tuple(row) for row in clocks] == [
        (ids[0], "first_contact", at(2026, 1, 6, 9), 0, at(2026, 1, 6, 9)),
        (ids[1], "first_contact", deadline, 1, at(2026, 1, 5, 12)),
        (ids[2], None, None, None, None),
    ]


def test_the_migrated_columns_have_the_models_collations(engine: Engine):
    # compare_metadata does not compare collations (a column put back to the database's
    # default goes unnoticed), so this does.
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite compares the keys byte by byte whatever the column says")
    wanted: dict[tuple[str, str], str] = {}
    for table in Base.metadata.tables.values():
        for column in table.columns:
            collation = getattr(column.type.dialect_impl(engine.dialect), "collation", None)
            if collation:
                wanted[table.name, column.name] = collation
    assert {("leads", key) for key in ("email", "phone", "company_key", "source_key")} <= set(
        wanted
    )

    inspector = inspect(engine)
    found = {
        (table, column["name"]): getattr(column["type"], "collation", None)
        for table in {table for table, _ in wanted}
        for column in inspector.get_columns(table)
    }
    assert {key: found[key] for key in wanted} == wanted


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
