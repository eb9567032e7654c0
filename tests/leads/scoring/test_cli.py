"""`closeloop scoring show|set|run|train` against a real database, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine, select

from closeloop.db.engine import unit_of_work
from closeloop.leads.scoring.tasks import run_score_decay
from closeloop.models import AuditEntry
from tests.capture.helpers import SQLITE_ONLY, assert_refused, closeloop
from tests.leads.scoring.helpers import RULES_YAML, add_lead, days, use_rules
from tests.leads.scoring.test_service import NOW


@SQLITE_ONLY
def test_show_set_and_run(db_url: str, engine: Engine, tmp_path: Path) -> None:
    with unit_of_work(engine) as session:
        add_lead(session, created=NOW - days(2))
    shown = json.loads(closeloop("scoring", "show", "--json", "--db", db_url, cwd=tmp_path).stdout)
    assert shown["version"] == 0 and shown["rules"]["mql_threshold"] == 60

    (tmp_path / "rules.yaml").write_text(RULES_YAML)
    saved = closeloop("scoring", "set", "rules.yaml", "--db", db_url, cwd=tmp_path)
    assert saved.returncode == 0 and "v1 in force" in saved.stdout
    with unit_of_work(engine) as session:  # the same audit trail as a save from the settings page
        audited = session.execute(
            select(AuditEntry.entity_id, AuditEntry.via).where(AuditEntry.entity == "rule_set")
        ).all()
    assert [tuple(row) for row in audited] == [("scoring:1", "cli")]

    (tmp_path / "bad.yaml").write_text(RULES_YAML.replace("CN: 5", "CN: 500"))
    refused = closeloop("scoring", "set", "bad.yaml", "--db", db_url, cwd=tmp_path)
    assert_refused(refused, "bad.yaml line 13", "less than or equal to 100")
    shown = json.loads(closeloop("scoring", "show", "--json", "--db", db_url, cwd=tmp_path).stdout)
    assert shown["version"] == 1

    ran = closeloop("scoring", "run", "--json", "--db", db_url, cwd=tmp_path)
    result = json.loads(ran.stdout)
    assert (result["considered"], result["mql"], result["rules_version"]) == (1, 1, 1)
    assert {"changed", "decisions", "leads_per_second", "model_version"} <= set(result)


@SQLITE_ONLY
def test_train_without_history_is_one_clear_error(db_url: str, tmp_path: Path) -> None:
    assert_refused(
        closeloop("scoring", "train", "--db", db_url, cwd=tmp_path), "not enough history"
    )


def test_decay_job_rescores_and_counts(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        use_rules(session)
        add_lead(session, created=NOW, title=None, touches=(("visit", NOW),))  # 44
        add_lead(session, created=NOW, title=None, industry=None)  # 20, no engagement
    first = run_score_decay(engine, now=NOW)
    assert (first["considered"], first["changed"]) == (2, 2)
    later = run_score_decay(engine, now=NOW + days(20))  # only the engaged lead is looked at
    assert (later["considered"], later["changed"], later["decisions"]) == (1, 1, 1)
