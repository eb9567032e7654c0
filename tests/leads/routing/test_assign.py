"""Assigning leads: the team by rule, the rep by strategy, caps, the pool, history and events."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from closeloop.db.engine import unit_of_work
from closeloop.db.locks import begin_writing
from closeloop.errors import Conflict, NotFound
from closeloop.leads.routing.rules import save_routing_rules
from closeloop.leads.routing.service import assign_lead, assign_leads
from closeloop.models import Lead, LeadDecision, LeadStatus, LeadStatusChange, OutboxEvent, User
from tests.leads.routing.conftest import NOW, RULES, Floor, add_lead, counts, snapshot


def assign_one(engine: Engine, lead_id: int) -> int | None:
    with unit_of_work(engine) as session:
        begin_writing(session)
        return assign_lead(session, lead_id=lead_id, at=NOW).owner_id


def new_leads(engine: Engine, count: int, **fields: object) -> list[int]:
    with unit_of_work(engine) as session:
        return [add_lead(session, **fields).id for _ in range(count)]  # type: ignore[arg-type]


def test_one_lead_at_a_time_goes_round_robin_with_the_cursor_kept(
    engine: Engine, floor: Floor, read: Session
) -> None:
    ids = new_leads(engine, 4)
    owners = [assign_one(engine, lead_id) for lead_id in ids]
    # The manager of Sales East never gets leads (roles: sales_rep).
    assert owners == [floor["east1"], floor["east2"], floor["east3"], floor["east1"]]
    decision = read.scalars(select(LeadDecision).where(LeadDecision.lead_id == ids[0])).one()
    assert (decision.kind, decision.rule, decision.rule_version) == (
        "assigned",
        "routing v1: China → Sales East (round_robin)",
        1,
    )
    event = read.scalars(select(OutboxEvent).where(OutboxEvent.lead_id == ids[0])).one()
    assert event.topic == "lead.assigned"
    assert event.payload["owner_email"] == "east1@example.com"
    assert event.payload["email"]["to"] == ["east1@example.com"]
    lead = read.get_one(Lead, ids[0])
    assert (lead.status, lead.team_id, lead.assigned_at) == ("new", floor.teams["Sales East"], NOW)


def test_a_full_team_sends_the_lead_to_the_pool_with_the_reason(
    engine: Engine, floor: Floor, read: Session
) -> None:
    ids = new_leads(engine, 7)  # Sales East: three reps with a cap of 2
    owners = [assign_one(engine, lead_id) for lead_id in ids]
    assert owners[-1] is None
    assert sorted(owners[:6]) == sorted([floor["east1"], floor["east2"], floor["east3"]] * 2)
    last = read.get_one(Lead, ids[-1])
    assert (last.status, last.owner_id, last.pool_entered_at) == ("pool", None, NOW)
    change = read.scalars(select(LeadStatusChange).where(LeadStatusChange.lead_id == ids[-1])).one()
    assert (change.from_status, change.to_status) == ("new", "pool")
    decision = read.scalars(select(LeadDecision).where(LeadDecision.lead_id == ids[-1])).one()
    assert decision.detail == {
        "team": "Sales East",
        "to": "pool",
        "reason": "every rep of Sales East is at their cap",
    }


def test_assigning_an_owned_pooled_or_missing_lead_is_refused_and_changes_nothing(
    engine: Engine, floor: Floor, read: Session
) -> None:
    with unit_of_work(engine) as session:
        owned = add_lead(session, owner=floor["east1"]).id
        pooled = add_lead(session, status=LeadStatus.POOL).id
        closed = add_lead(session, status=LeadStatus.SQL).id
    before = (snapshot(read), counts(read))
    for lead_id, error, message in [
        (owned, Conflict, f"lead {owned} already has an owner"),
        (pooled, Conflict, f"lead {pooled} is in the public pool"),
        (closed, Conflict, f"lead {closed} is sql: only new, working, mql and sal"),
        (999, NotFound, "no lead with id 999"),
    ]:
        with pytest.raises(error, match=message):
            assign_one(engine, lead_id)
    assert (snapshot(read), counts(read)) == before


def test_bulk_assignment_keeps_every_rep_within_cap_and_pools_the_rest_by_score(
    engine: Engine, floor: Floor, read: Session
) -> None:
    with unit_of_work(engine) as session:
        east = [add_lead(session, score=score).id for score in range(10, 90, 10)]  # 8 leads
        west = [
            add_lead(session, region="US", channel=floor.channels["referral"]).id for _ in range(3)
        ]
        inside = [add_lead(session, region="DE").id for _ in range(2)]
        # Untouched: already owned, parked in the pool or nurture, closed.
        add_lead(session, owner=floor["sdr1"], status=LeadStatus.WORKING)
        add_lead(session, status=LeadStatus.NURTURE)
        add_lead(session, status=LeadStatus.POOL)
        add_lead(session, status=LeadStatus.DISQUALIFIED)
    with unit_of_work(engine) as session:
        begin_writing(session)
        summary = assign_leads(session, at=NOW)
    assert (summary.considered, summary.assigned, summary.pooled, summary.skipped) == (13, 11, 2, 0)
    assert summary.by_team == {
        "Sales East": {"assigned": 6, "pooled": 2},
        "Sales West": {"assigned": 3, "pooled": 0},
        "Inside sales": {"assigned": 2, "pooled": 0},
    }
    leads = {lead.id: lead for lead in read.scalars(select(Lead))}
    # The two lowest-scored China leads went to the pool: the best were served first.
    assert [leads[i].status for i in east] == ["pool", "pool"] + ["new"] * 6
    assert {leads[i].owner_id for i in west} <= {floor["west1"], floor["west2"]}
    assert {leads[i].owner_id for i in inside} == {floor["sdr1"], floor["sdr2"]}
    for user in read.scalars(select(User).where(User.max_open_leads.is_not(None))):
        owned = [lead for lead in leads.values() if lead.owner_id == user.id]
        assert len(owned) <= user.max_open_leads  # type: ignore[operator]
    assert counts(read) == {"lead_decisions": 13, "lead_status_changes": 2, "outbox_events": 13}
    topics = sorted(e.topic for e in read.scalars(select(OutboxEvent)))
    assert topics == ["lead.assigned"] * 11 + ["lead.status_changed"] * 2
    # Each pooled lead's event names its own lead, and the rule its decision names.
    for lead_id in east[:2]:
        event = read.scalars(select(OutboxEvent).where(OutboxEvent.lead_id == lead_id)).one()
        decision = read.scalars(select(LeadDecision).where(LeadDecision.lead_id == lead_id)).one()
        assert event.payload == {
            "lead_id": lead_id,
            "from": "new",
            "to": "pool",
            "reason": "every rep of Sales East is at their cap",
            "rule": decision.rule,
        }
        assert decision.rule.endswith("→ Sales East (round_robin)")


def test_bulk_assignment_continues_the_round_robin_cursor(engine: Engine, floor: Floor) -> None:
    first = new_leads(engine, 1)
    assert assign_one(engine, first[0]) == floor["east1"]
    new_leads(engine, 2)
    with unit_of_work(engine) as session:
        begin_writing(session)
        summary = assign_leads(session, at=NOW)
    assert summary.by_rep == {"east2@example.com": 1, "east3@example.com": 1}


def test_only_the_named_leads_are_assigned(engine: Engine, floor: Floor, read: Session) -> None:
    ids = new_leads(engine, 3)
    with unit_of_work(engine) as session:
        begin_writing(session)
        summary = assign_leads(session, at=NOW, lead_ids=[ids[1]])
    assert summary.assigned == 1
    assert [read.get_one(Lead, i).owner_id for i in ids] == [None, floor["east1"], None]


def test_performance_gives_more_to_the_rep_who_converts_and_still_some_to_the_weakest(
    engine: Engine, floor: Floor, read: Session
) -> None:
    with unit_of_work(engine) as session:
        save_routing_rules(
            session,
            text=RULES.replace(
                "Sales East: {strategy: round_robin, roles: [sales_rep]}",
                "Sales East: {strategy: performance, floor: 0.5, roles: [sales_rep]}",
            ),
        )
        session.execute(update(User).values(max_open_leads=50))
        # History in the window: east1 brought 10 of 10 to SQL, east2 0 of 10, east3 none yet.
        # A conversion of east2's older than 90 days does not count.
        assigned = NOW - timedelta(days=30)
        for _ in range(10):
            add_lead(
                session,
                owner=floor["east1"],
                status=LeadStatus.SQL,
                assigned_at=assigned,
                sql_at=assigned,
            )
            add_lead(
                session, owner=floor["east2"], status=LeadStatus.DISQUALIFIED, assigned_at=assigned
            )
        old = NOW - timedelta(days=200)
        add_lead(session, owner=floor["east2"], status=LeadStatus.SQL, assigned_at=old, sql_at=old)
    new_leads(engine, 12)
    with unit_of_work(engine) as session:
        begin_writing(session)
        summary = assign_leads(session, at=NOW)
    # Shrunk rates: team 10/20 → prior 10 leads; east1 15/20, east2 5/20, east3 5/10 → shares
    # 1/2, 1/6 (the floor), 1/3 → 12 leads as 6 : 2 : 4.
    assert summary.by_rep == {
        "east1@example.com": 6,
        "east2@example.com": 2,
        "east3@example.com": 4,
    }
    rule = read.scalars(select(LeadDecision.rule).where(LeadDecision.rule_version == 2)).first()
    assert rule == "routing v2: China → Sales East (performance)"
