"""`closeloop leads history`: a lead's status changes and decisions on one timeline, with the rule
and version of each decision."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from closeloop.cli import app
from closeloop.db.engine import unit_of_work
from closeloop.db.locks import begin_writing
from closeloop.errors import NotFound
from closeloop.leads.history import lead_history
from closeloop.leads.routing.service import accept_lead, assign_lead, log_contact
from tests.leads.routing.conftest import NOW, Floor, add_lead


def test_the_timeline_shows_assignment_contact_and_acceptance_in_order(
    engine: Engine, db_url: str, floor: Floor
) -> None:
    with unit_of_work(engine) as session:
        lead_id = add_lead(session).id
    with unit_of_work(engine) as session:
        begin_writing(session)
        owner = assign_lead(session, lead_id=lead_id, at=NOW).owner_id
    assert owner is not None
    for minutes, action in ((30, log_contact), (60, accept_lead)):
        with unit_of_work(engine) as session:
            begin_writing(session)
            action(session, lead_id=lead_id, rep_id=owner, at=NOW + timedelta(minutes=minutes))

    with unit_of_work(engine) as session:
        entries = lead_history(session, lead_id=lead_id)
    assert [(e.what, e.summary.split(" (")[0]) for e in entries] == [
        ("assigned", "team=Sales East, owner_id=east1@example.com, strategy=round_robin"),
        ("status", "new → working"),
        ("contacted", "first=True"),
        ("status", "working → sal"),
        ("accepted", "owner_id=east1@example.com"),
    ]
    assert entries[0].rule_version == 1  # the routing rules of the floor fixture
    assert entries[1].actor == "east1@example.com"

    result = CliRunner().invoke(app, ["--db", db_url, "leads", "history", str(lead_id), "--json"])
    assert result.exit_code == 0, result.output
    assert [row["what"] for row in json.loads(result.output)] == [e.what for e in entries]


def test_an_unknown_lead_has_no_history(engine: Engine) -> None:
    with unit_of_work(engine) as session, pytest.raises(NotFound, match="no lead with id 999"):
        lead_history(session, lead_id=999)
