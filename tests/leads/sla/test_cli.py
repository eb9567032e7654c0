"""`closeloop sla show|set|sweep|compliance` (in-process, except the refusal: the real script)."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine
from typer.testing import CliRunner

from closeloop.cli import app
from closeloop.db.engine import unit_of_work
from closeloop.leads.sla import clock
from tests.capture.helpers import assert_refused, closeloop
from tests.leads.sla.conftest import RULES, Org, add_lead, sh

runner = CliRunner()


def run(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_show_prints_the_default_then_a_saved_version(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    assert json.loads(run("sla", "show", "--json", "--db", db_url))["version"] == 0
    with unit_of_work(engine) as session:
        from closeloop.models import Team

        session.add(Team(name="Sales East"))
    rules = tmp_path / "sla.yaml"
    rules.write_text(RULES, encoding="utf-8")

    assert "SLA rules v1 in force" in run("sla", "set", str(rules), "--db", db_url)

    shown = json.loads(run("sla", "show", "--json", "--db", db_url))
    assert (shown["version"], shown["teams"]["Sales East"]["first_contact_hours"]) == (1, 1.0)
    table = run("sla", "show", "--db", db_url)
    assert "Sales East" in table and "(default)" in table


def test_sweep_and_compliance(db_url: str, engine: Engine, org: Org) -> None:
    with unit_of_work(engine) as session:
        lead = add_lead(session, owner=org.ana, team=org.east, assigned_at=sh(11, 9, 9))
        clock.on_assigned(session, lead_ids=[lead], at=sh(11, 9, 9))

    swept = json.loads(
        run("sla", "sweep", "--now", "2026-11-09T12:00+08:00", "--json", "--db", db_url)
    )
    assert (swept["notified"], swept["escalated"], swept["recycled"]) == (1, 1, 0)
    again = run("sla", "sweep", "--now", "2026-11-09T12:00+08:00", "--db", db_url)
    assert "notified 0, escalated 0, recycled 0" in again

    report = json.loads(
        run(
            "sla",
            "compliance",
            "--from",
            "2026-11-09",
            "--to",
            "2026-11-10",
            "--json",
            "--db",
            db_url,
        )
    )
    assert (report["assigned"], report["missed"], report["compliance"]) == (1, 1, 0.0)
    assert "Sales East" in run(
        "sla", "compliance", "--from", "2026-11-09", "--to", "2026-11-10", "--db", db_url
    )


def test_an_invalid_file_is_refused_in_one_line(db_url: str, org: Org, tmp_path: Path) -> None:
    bad = tmp_path / "sla.yaml"
    bad.write_text(RULES.replace("recycle_after_hours: 6", "recycle_after_hours: 0"))

    result = closeloop("sla", "set", str(bad), "--db", db_url, cwd=tmp_path)

    assert_refused(result, "sla.yaml line 10:", "greater than 0")
    assert json.loads(run("sla", "show", "--json", "--db", db_url))["version"] == 1
