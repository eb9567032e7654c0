"""``one_of``: a list lookup finds exactly the rows a plain ``IN`` finds, whatever the values."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from closeloop.db.dialect import one_of
from closeloop.models import Lead
from tests import factories as f
from tests.factories import at


@pytest.mark.parametrize(
    "names",
    [
        ["Wang Wei", "Li Na"],
        ["Wang Wei", "Li\x1fNa"],  # holds the separator PostgreSQL's lookup splits on
        ["", "Wang Wei"],  # PostgreSQL splits '' into no values at all
        [""],
        ["Zhao Lei"],  # nobody
        [],
    ],
)
def test_a_text_lookup_finds_what_in_finds(session: Session, names: list[str]) -> None:
    stored = ["Wang Wei", "Li\x1fNa", "", "Li Na"]
    for day, name in enumerate(stored, start=1):
        f.lead(session, at(2026, 3, day)).full_name = name
    session.flush()
    dialect = session.get_bind().dialect.name

    found = session.scalars(select(Lead.full_name).where(one_of(dialect, Lead.full_name, names)))

    assert sorted(found) == sorted(name for name in stored if name in names)


@pytest.mark.parametrize("extra", [[], [10**12], [0, -1]])
def test_an_id_lookup_finds_what_in_finds(session: Session, extra: list[Any]) -> None:
    ids = [f.lead(session, at(2026, 3, day)).id for day in (1, 2, 3)]
    dialect = session.get_bind().dialect.name

    found = session.scalars(select(Lead.id).where(one_of(dialect, Lead.id, [ids[0], *extra])))

    assert list(found) == [ids[0]]
