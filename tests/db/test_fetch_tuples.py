"""``fetch_tuples``: a SELECT run on the driver's cursor gives the rows SQLAlchemy would."""

from __future__ import annotations

from sqlalchemy import select, union_all
from sqlalchemy.orm import Session

from closeloop.db.dialect import fetch_tuples, one_of
from closeloop.models import Lead
from tests import factories as f
from tests.factories import at


def test_the_rows_of_a_union_of_list_lookups_are_those_sqlalchemy_reads(session: Session) -> None:
    leads = [f.lead(session, at(2026, 3, day)) for day in (2, 3, 4)]
    leads[0].email, leads[1].phone, leads[2].company_key = "a@x.cn", "+8613800138000", "huaxin"
    session.flush()
    dialect = session.get_bind().dialect.name
    statement = union_all(
        select(Lead.id, Lead.email).where(one_of(dialect, Lead.email, ["a@x.cn", "b@x.cn"])),
        select(Lead.id, Lead.email).where(one_of(dialect, Lead.phone, ["+8613800138000"])),
        select(Lead.id, Lead.email).where(one_of(dialect, Lead.id, [leads[2].id, 10**9])),
    )

    rows = fetch_tuples(session, statement)

    assert sorted(rows) == [(leads[0].id, "a@x.cn"), (leads[1].id, None), (leads[2].id, None)]
    assert all(type(row) is tuple for row in rows)
    assert sorted(rows) == sorted(tuple(row) for row in session.execute(statement))


def test_nothing_found_is_an_empty_list(session: Session) -> None:
    dialect = session.get_bind().dialect.name
    statement = select(Lead.id).where(one_of(dialect, Lead.email, ["nobody@x.cn"]))

    assert fetch_tuples(session, statement) == []
