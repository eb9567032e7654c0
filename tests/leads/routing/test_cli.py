"""The real `closeloop` script for routing: the commands work, and a refusal is one line on
stderr, exit code 2 and nothing changed. SQLite only: the services beneath are tested on both
databases, and each call here is a new process (about a second)."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from closeloop.db.engine import unit_of_work
from closeloop.models import Lead, LeadStatus
from tests.capture.helpers import SQLITE_ONLY, assert_refused, closeloop
from tests.leads.routing.conftest import RULES, Floor, add_lead, counts, snapshot

pytestmark = SQLITE_ONLY


def run(db_url: str, tmp_path: Path, *args: str):  # type: ignore[no-untyped-def]
    return closeloop(*args, "--db", db_url, cwd=tmp_path)


def test_routing_show_prints_the_default_until_a_file_is_set(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    shown = run(db_url, tmp_path, "routing", "show")
    assert shown.returncode == 0, shown.stderr
    assert "routing rules v0 (built-in default)" in shown.stdout
    assert "fallback_team: Inside sales" in shown.stdout


def test_routing_set_refuses_a_bad_file_with_its_line_and_keeps_the_running_version(
    db_url: str, floor: Floor, tmp_path: Path
) -> None:
    bad = tmp_path / "routing.yaml"
    bad.write_text(RULES.replace("team: Sales West\n", "team: Sales North\n"), encoding="utf-8")
    assert_refused(
        run(db_url, tmp_path, "routing", "set", str(bad)),
        "routing.yaml line 6: unknown team 'Sales North'",
    )
    good = tmp_path / "good.yaml"
    good.write_text(RULES.replace("daily_claim_limit: 2", "daily_claim_limit: 5"), encoding="utf-8")
    saved = run(db_url, tmp_path, "routing", "set", str(good))
    assert saved.returncode == 0, saved.stderr
    assert "Routing rules v2 from good.yaml are in force." in saved.stdout
    shown = json.loads(run(db_url, tmp_path, "routing", "show", "--json").stdout)
    assert (shown["version"], shown["rules"]["pool"]["daily_claim_limit"]) == (2, 5)


def test_assign_all_then_the_rep_works_the_lead(
    db_url: str, engine: Engine, floor: Floor, read: Session, tmp_path: Path
) -> None:
    with unit_of_work(engine) as session:
        lead_id = add_lead(session).id
        pooled = add_lead(session, status=LeadStatus.POOL, score=80).id
    assigned = run(db_url, tmp_path, "leads", "assign", "--all", "--json")
    assert assigned.returncode == 0, assigned.stderr
    summary = json.loads(assigned.stdout)
    assert (summary["assigned"], summary["by_rep"]) == (1, {"east1@example.com": 1})
    for args in (
        ("leads", "contact", str(lead_id), "--rep", "east1@example.com", "--note", "电话已联系"),
        ("leads", "accept", str(lead_id), "--rep", str(floor["east1"])),
        ("leads", "claim", str(pooled), "--rep", "WEST1@example.com"),
    ):
        result = run(db_url, tmp_path, *args)
        assert result.returncode == 0, result.stderr
    assert f"Lead {pooled} claimed by west1@example.com: now working." in result.stdout
    read.rollback()
    lead = read.get_one(Lead, lead_id)
    assert (lead.status, lead.owner_id) == ("sal", floor["east1"])
    pool = run(db_url, tmp_path, "leads", "pool", "--json", "--rep", "west1@example.com")
    assert json.loads(pool.stdout)["rep"] == {
        "email": "west1@example.com",
        "open_leads": 1,
        "max_open_leads": 2,
        "claimed_today": 1,
        "daily_claim_limit": 2,
    }


def test_qualify_scores_every_open_lead_and_routes_the_unowned(
    db_url: str, engine: Engine, floor: Floor, read: Session, tmp_path: Path
) -> None:
    with unit_of_work(engine) as session:
        # Fit 65 (CEO 25, software 15, 1,500 people 20, CN 5): sales-ready, to Sales East.
        ready = add_lead(session, title="CEO", industry="software", company_size=1500).id
        # Fit 2 (an intern, no industry or size, no region): Inside sales, still new.
        cold = add_lead(session, region=None, title="intern").id
        owned = add_lead(session, owner=floor["west2"], title="CEO").id
    qualified = run(db_url, tmp_path, "leads", "qualify", "--json")
    assert qualified.returncode == 0, qualified.stderr
    out = json.loads(qualified.stdout)
    assert (out["scoring"]["considered"], out["scoring"]["mql"]) == (3, 1)
    assert (out["routing"]["considered"], out["routing"]["assigned"]) == (2, 2)
    assert out["routing"]["by_rep"] == {"east1@example.com": 1, "sdr1@example.com": 1}
    read.rollback()
    leads = {i: read.get_one(Lead, i) for i in (ready, cold, owned)}
    assert [(leads[i].status, leads[i].score, leads[i].owner_id) for i in (ready, cold, owned)] == [
        ("mql", 65, floor["east1"]),
        ("new", 2, floor["sdr1"]),
        ("new", 30, floor["west2"]),  # CEO 25 + CN 5; scored, its owner kept
    ]
    again = closeloop("--lang", "zh_CN", "leads", "qualify", "--db", db_url, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "已为 3 条未结线索评分" in again.stdout and "0 条分给销售" in again.stdout


def test_refusals_are_one_line_exit_2_and_change_nothing(
    db_url: str, engine: Engine, floor: Floor, read: Session, tmp_path: Path
) -> None:
    with unit_of_work(engine) as session:
        full = [
            add_lead(session, owner=floor["east1"], status=LeadStatus.WORKING).id for _ in range(2)
        ]
        pooled = add_lead(session, status=LeadStatus.POOL).id
    before = (snapshot(read), counts(read))
    cases = [
        (
            ("leads", "claim", str(pooled), "--rep", "east1@example.com"),
            "east1@example.com has 2 open leads, the cap is 2",
        ),
        (
            ("leads", "release", str(full[0]), "--rep", "east2@example.com"),
            f"cannot release lead {full[0]}: it is owned by user {floor['east1']}",
        ),
        (
            ("leads", "return", str(full[0]), "--rep", "east1@example.com"),
            "a reason is required to return a lead to marketing",
        ),
        (("leads", "accept", "999", "--rep", "east1@example.com"), "no lead with id 999"),
        (
            ("leads", "contact", str(full[0]), "--rep", "nobody@example.com"),
            "no user 'nobody@example.com'",
        ),
        (("leads", "assign"), "name lead ids or give --all"),
        (("leads", "assign", str(full[0])), f"lead {full[0]} already has an owner"),
    ]
    for args, message in cases:
        assert_refused(run(db_url, tmp_path, *args), message)
    assert (snapshot(read), counts(read)) == before
    assert read.scalar(select(Lead.status).where(Lead.id == pooled)) == "pool"
