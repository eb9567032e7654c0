"""The sweep: notify the rep, escalate to the manager, recycle to the public pool.

Rules of conftest.py (version 1): Sales East promises first contact within 1 working hour, leads
without a team within 2; escalation 2 working hours and recycling 6 working hours after the
breach; Shanghai, Monday–Friday 09:00–18:00. Monday 9 November 2026, assigned at 09:00:

    lead   team         rep   due     notify  escalate (to)        recycle
    A      Sales East   ana   10:00   10:00   12:00 (mei and ana)  16:00
    B      (none)       cai   11:00   11:00   13:00 (cai only)     17:00
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from closeloop.leads.sla import clock
from closeloop.leads.sla.rules import save_sla_rules
from closeloop.leads.sla.service import SweepResult, sweep
from closeloop.models import Lead, LeadDecision, LeadSlaStep, LeadStatusChange, OutboxEvent
from tests.leads.sla.conftest import RULES, Org, add_lead, sh, step_of


def iso(moment: datetime) -> str:
    """How decision details and events write a moment: ISO 8601 in UTC."""
    return moment.astimezone(UTC).isoformat()


RULE_A = "sla v1: first contact within 1 working hour (team Sales East)"


def decisions_of(session: Session, lead_id: int) -> list[tuple[str, str | None, int | None, Any]]:
    rows = session.execute(
        select(LeadDecision.kind, LeadDecision.rule, LeadDecision.rule_version, LeadDecision.detail)
        .where(LeadDecision.lead_id == lead_id)
        .order_by(LeadDecision.id)
    )
    return [tuple(row) for row in rows]  # type: ignore[misc]


def events_of(session: Session, lead_id: int) -> list[tuple[str, dict[str, Any]]]:
    rows = session.execute(
        select(OutboxEvent.topic, OutboxEvent.payload)
        .where(OutboxEvent.lead_id == lead_id)
        .order_by(OutboxEvent.id)
    )
    return [(topic, payload) for topic, payload in rows]


def lead_state(session: Session, lead_id: int) -> tuple[Any, ...]:
    """Status, owner, the clock's kind and deadline, and its breach step (level, next step at)."""
    lead = session.execute(
        select(Lead.status, Lead.owner_id, Lead.sla_kind, Lead.sla_due_at).where(Lead.id == lead_id)
    ).one()
    return (*lead, step_of(session, lead_id))


def counts(session: Session) -> tuple[int, int, int]:
    return (
        session.scalar(select(func.count()).select_from(LeadDecision)) or 0,
        session.scalar(select(func.count()).select_from(OutboxEvent)) or 0,
        session.scalar(select(func.count()).select_from(LeadStatusChange)) or 0,
    )


def step(session: Session, now: datetime) -> dict[str, int]:
    result = sweep(session, now=now)
    return {k: v for k, v in result.counts().items() if v and k not in ("claimed", "batches")}


def start(session: Session, org: Org) -> tuple[int, int]:
    a = add_lead(session, owner=org.ana, team=org.east, assigned_at=sh(11, 9, 9))
    b = add_lead(session, owner=org.cai, team=None, assigned_at=sh(11, 9, 9))
    clock.on_assigned(session, lead_ids=[a, b], at=sh(11, 9, 9))
    return a, b


def test_breach_notifies_then_escalates_then_recycles(session: Session, org: Org) -> None:
    a, b = start(session, org)

    assert step(session, sh(11, 9, 9, 59)) == {}
    assert step(session, sh(11, 9, 10)) == {"notified": 1}
    deadline = sh(11, 9, 10)
    assert lead_state(session, a) == (
        "working", org.ana, "first_contact", deadline, (1, sh(11, 9, 12))
    )  # fmt: skip
    [(kind, rule, version, detail)] = decisions_of(session, a)
    assert (kind, rule, version) == ("sla_notified", RULE_A, 1)
    assert detail["deadline"] == iso(sh(11, 9, 10))
    assert detail["escalate_at"] == iso(sh(11, 9, 12))
    [(topic, payload)] = events_of(session, a)
    assert topic == "lead.sla_breached"
    assert payload["email"]["to"] == ["ana@example.com"]
    assert f"lead #{a}" in payload["email"]["subject"]
    assert "2026-11-09 16:00" in payload["email"]["body"]  # back to the pool then

    assert step(session, sh(11, 9, 11)) == {"notified": 1}
    assert step(session, sh(11, 9, 12)) == {"escalated": 1}
    assert lead_state(session, a) == (
        "working", org.ana, "first_contact", deadline, (2, sh(11, 9, 16))
    )  # fmt: skip
    kind, rule, version, detail = decisions_of(session, a)[-1]
    assert (kind, version) == ("sla_escalated", 1)
    assert rule == (
        "sla v1: escalate 2 working hours after breach of "
        "first contact within 1 working hour (team Sales East)"
    )
    assert detail["manager_id"] == org.mei
    topic, payload = events_of(session, a)[-1]
    assert topic == "lead.sla_escalated"
    assert payload["email"]["to"] == ["mei@example.com", "ana@example.com"]

    assert step(session, sh(11, 9, 13)) == {"escalated": 1}
    topic, payload = events_of(session, b)[-1]
    assert (topic, payload["email"]["to"]) == ("lead.sla_escalated", ["cai@example.com"])

    assert step(session, sh(11, 9, 15, 59)) == {}
    assert step(session, sh(11, 9, 16)) == {"recycled": 1}
    assert lead_state(session, a) == ("pool", None, None, None, None)
    assert session.scalar(select(Lead.pool_entered_at).where(Lead.id == a)) == sh(11, 9, 16)
    kind, rule, version, detail = decisions_of(session, a)[-1]
    assert (kind, version, detail["previous_owner_id"]) == ("recycled", 1, org.ana)
    assert rule.startswith("sla v1: recycle 6 working hours after breach of first contact")
    [change] = session.scalars(select(LeadStatusChange).where(LeadStatusChange.lead_id == a))
    assert (change.from_status, change.to_status, change.changed_at, change.reason) == (
        "working",
        "pool",
        sh(11, 9, 16),
        rule,
    )
    assert [topic for topic, _ in events_of(session, a)] == [
        "lead.sla_breached",
        "lead.sla_escalated",
        "lead.recycled",
        "lead.status_changed",
    ]
    assert events_of(session, a)[-1][1] | {"reason": None} == {
        "lead_id": a,
        "from": "working",
        "to": "pool",
        "reason": None,
    }

    assert step(session, sh(11, 9, 17)) == {"recycled": 1}
    assert [kind for kind, *_ in decisions_of(session, b)] == [
        "sla_notified",
        "sla_escalated",
        "recycled",
    ]
    assert step(session, sh(11, 30, 9)) == {}


def test_a_breach_on_friday_escalates_on_monday(session: Session, org: Org) -> None:
    lead = add_lead(session, owner=org.ana, team=org.east)
    clock.on_assigned(session, lead_ids=[lead], at=sh(11, 13, 16, 30))  # due Friday 17:30

    assert step(session, sh(11, 13, 17, 30)) == {"notified": 1}
    # Half an hour on Friday, then 1.5 hours on Monday.
    assert lead_state(session, lead)[3:] == (sh(11, 13, 17, 30), (1, sh(11, 16, 10, 30)))
    assert step(session, sh(11, 15, 23)) == {}
    assert step(session, sh(11, 16, 10, 30)) == {"escalated": 1}


def test_a_lead_late_for_every_step_takes_them_all_at_once(session: Session, org: Org) -> None:
    a, _ = start(session, org)

    result = sweep(session, now=sh(11, 10, 9))

    assert (result.notified, result.escalated, result.recycled) == (2, 2, 2)
    assert [kind for kind, *_ in decisions_of(session, a)] == [
        "sla_notified",
        "sla_escalated",
        "recycled",
    ]
    assert lead_state(session, a) == ("pool", None, None, None, None)


def test_sweeping_twice_changes_nothing_the_second_time(session: Session, org: Org) -> None:
    a, b = start(session, org)
    first = sweep(session, now=sh(11, 9, 12))
    before = (counts(session), lead_state(session, a), lead_state(session, b))

    second = sweep(session, now=sh(11, 9, 12))

    assert (first.notified, first.escalated) == (2, 1)
    assert second == SweepResult()
    assert (counts(session), lead_state(session, a), lead_state(session, b)) == before


def test_stopped_clocks_are_never_touched(session: Session, org: Org) -> None:
    a, b = start(session, org)
    clock.stop(session, lead_ids=[a])

    sweep(session, now=sh(11, 30, 9))

    assert decisions_of(session, a) == []
    assert events_of(session, a) == []
    assert lead_state(session, a) == ("working", org.ana, None, None, None)
    assert len(decisions_of(session, b)) == 3


def test_clocks_on_closed_or_unowned_leads_are_dropped_quietly(session: Session, org: Org) -> None:
    gone = add_lead(session, owner=org.ana, team=org.east, status="disqualified")
    unowned = add_lead(session, owner=None, team=org.east)
    pooled = add_lead(session, owner=org.ana, team=org.east, status="pool")
    clock.on_assigned(session, lead_ids=[gone, unowned, pooled], at=sh(11, 9, 9))
    # pool → pool is no transition: nothing to do
    session.execute(update(LeadSlaStep).where(LeadSlaStep.lead_id == pooled).values(level=2))

    result = sweep(session, now=sh(11, 30, 9))

    assert (result.cleared, result.notified, result.recycled) == (3, 0, 0)
    assert counts(session) == (0, 0, 0)
    assert lead_state(session, gone) == ("disqualified", org.ana, None, None, None)
    assert lead_state(session, pooled) == ("pool", org.ana, None, None, None)


def test_rules_changed_mid_way_apply_from_the_next_step(session: Session, org: Org) -> None:
    a, _ = start(session, org)
    step(session, sh(11, 9, 10))  # notified under v1: escalation due 12:00
    save_sla_rules(session, text=RULES.replace("recycle_after_hours: 6", "recycle_after_hours: 3"))

    assert step(session, sh(11, 9, 12)) == {"notified": 1, "escalated": 1}  # B, then A
    kind, rule, version, detail = decisions_of(session, a)[-1]
    assert (kind, version) == ("sla_escalated", 2)
    assert rule.startswith("sla v2: escalate 2 working hours")
    assert detail["recycle_at"] == iso(sh(11, 9, 13))  # 12:00 + (3 − 2) working hours
