"""``index_lookups``: a lookup of many keys is planned on the index, for that block only."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Select, select, text
from sqlalchemy.orm import Session

from closeloop.db.dialect import MANY_KEYS, index_lookups, one_of
from closeloop.models import Lead
from tests import factories as f
from tests.factories import at


def _seqscan(session: Session) -> str | None:
    if session.get_bind().dialect.name != "postgresql":
        return None
    return str(session.execute(text("SHOW enable_seqscan")).scalar_one())


def _lookup(session: Session, keys: list[str]) -> Select[Any]:
    dialect = session.get_bind().dialect.name
    return select(Lead.id).where(one_of(dialect, Lead.__table__.c.source_key, keys))


def _plan(session: Session, statement: Select[Any]) -> str:
    compiled = statement.compile(
        dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True}
    )
    cursor = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    cursor.execute(f"EXPLAIN {compiled.string}", compiled.params)
    return "\n".join(row[0] for row in cursor.fetchall())


def test_many_keys_are_looked_up_on_the_index_and_the_setting_comes_back(
    session: Session,
) -> None:
    lead = f.lead(session, at(2026, 3, 2))
    lead.source_key = "k-17"
    session.flush()
    keys = [f"k-{i}" for i in range(20_000)]
    postgresql = session.get_bind().dialect.name == "postgresql"

    with index_lookups(session, len(keys)):
        found = list(session.scalars(_lookup(session, keys)))
        inside = _seqscan(session)
        plan = _plan(session, _lookup(session, keys)) if postgresql else ""

    assert found == [lead.id]
    if postgresql:
        assert inside == "off"
        assert "ix_leads_source_key" in plan
        assert _seqscan(session) == "on"


def test_a_few_keys_leave_the_planner_alone(session: Session) -> None:
    with index_lookups(session, MANY_KEYS - 1):
        inside = _seqscan(session)

    assert inside == _seqscan(session)
    assert inside in (None, "on")


def test_an_error_inside_is_raised_and_the_rollback_restores_the_setting(
    session: Session,
) -> None:
    with pytest.raises(RuntimeError, match="lookup failed"), index_lookups(session, MANY_KEYS):
        raise RuntimeError("lookup failed")
    session.rollback()

    assert _seqscan(session) in (None, "on")
