"""What a rep does with a lead: claim, release, return, accept, contact — and the refusals,
each one clear error with nothing changed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from closeloop.db.engine import unit_of_work
from closeloop.db.locks import begin_writing
from closeloop.errors import ClosedLoopError, Conflict, Forbidden, Invalid, NotFound
from closeloop.leads.routing.service import (
    accept_lead,
    claim_lead,
    log_contact,
    release_lead,
    return_lead,
)
from closeloop.models import Lead, LeadDecision, LeadStatus, LeadStatusChange, OutboxEvent
from tests.factories import at
from tests.leads.routing.conftest import NOW, Floor, add_lead, counts, snapshot


def act(engine: Engine, action: Callable[..., Any], **arguments: Any) -> Any:
    with unit_of_work(engine) as session:
        begin_writing(session)
        return action(session, **arguments)


def refused(
    engine: Engine,
    read: Session,
    error: type[ClosedLoopError],
    message: str,
    action: Callable[..., Any],
    **arguments: Any,
) -> None:
    """The action raises ``error`` with ``message`` and leaves every row as it was."""
    before = (snapshot(read), counts(read))
    with pytest.raises(error, match=message):
        act(engine, action, **arguments)
    assert (snapshot(read), counts(read)) == before
    read.rollback()  # end the read transaction, so later reads see later commits


def lead_in(engine: Engine, **fields: Any) -> int:
    with unit_of_work(engine) as session:
        return add_lead(session, **fields).id


def test_claim_takes_a_pool_lead_into_working(engine: Engine, floor: Floor, read: Session) -> None:
    lead_id = lead_in(engine, status=LeadStatus.POOL, pool_entered_at=NOW - timedelta(days=3))
    result = act(engine, claim_lead, lead_id=lead_id, rep_id=floor["west1"], at=NOW)
    assert (result.status, result.owner_id) == ("working", floor["west1"])
    lead = read.get_one(Lead, lead_id)
    assert (lead.status, lead.owner_id, lead.team_id, lead.pool_entered_at, lead.assigned_at) == (
        "working",
        floor["west1"],
        floor.teams["Sales West"],
        None,
        NOW,
    )
    decision = read.scalars(select(LeadDecision)).one()
    assert (decision.kind, decision.actor_id, decision.rule_version) == (
        "claimed",
        floor["west1"],
        1,
    )
    assert decision.rule == "routing v1: pool claim within cap 2 and 2 a day"
    change = read.scalars(select(LeadStatusChange)).one()
    assert (change.from_status, change.to_status, change.changed_by_id) == (
        "pool",
        "working",
        floor["west1"],
    )
    topics = sorted(e.topic for e in read.scalars(select(OutboxEvent)))
    assert topics == ["lead.claimed", "lead.status_changed"]


def test_only_pool_leads_can_be_claimed(engine: Engine, floor: Floor, read: Session) -> None:
    owned = lead_in(engine, owner=floor["east1"], status=LeadStatus.WORKING)
    fresh = lead_in(engine)
    refused(
        engine,
        read,
        Conflict,
        f"lead {owned} is not in the public pool \\(it is working, owned by user "
        f"{floor['east1']}\\)",
        claim_lead,
        lead_id=owned,
        rep_id=floor["west1"],
        at=NOW,
    )
    refused(
        engine,
        read,
        Conflict,
        f"lead {fresh} is not in the public pool \\(it is new\\)",
        claim_lead,
        lead_id=fresh,
        rep_id=floor["west1"],
        at=NOW,
    )


def test_claiming_beyond_the_cap_is_refused(engine: Engine, floor: Floor, read: Session) -> None:
    for _ in range(2):  # east1's cap is 2
        lead_in(engine, owner=floor["east1"], status=LeadStatus.MQL)
    lead_in(engine, owner=floor["east1"], status=LeadStatus.SQL)  # converted: not counted
    pool = lead_in(engine, status=LeadStatus.POOL)
    refused(
        engine,
        read,
        Conflict,
        "east1@example.com has 2 open leads, the cap is 2: release or close one",
        claim_lead,
        lead_id=pool,
        rep_id=floor["east1"],
        at=NOW,
    )


def test_the_daily_claim_limit_counts_the_day_in_the_pool_time_zone(
    engine: Engine, floor: Floor, read: Session
) -> None:
    # Limit 2 a day in Asia/Shanghai (UTC+8): 15:30 UTC is 23:30 there, 16:30 UTC the next day.
    pool = [lead_in(engine, status=LeadStatus.POOL) for _ in range(4)]
    evening, next_day = at(2026, 6, 1, 15, 30), at(2026, 6, 1, 16, 30)
    act(engine, claim_lead, lead_id=pool[0], rep_id=floor["west2"], at=evening)
    act(engine, claim_lead, lead_id=pool[1], rep_id=floor["west2"], at=next_day)
    act(engine, claim_lead, lead_id=pool[2], rep_id=floor["west2"], at=next_day)
    refused(
        engine,
        read,
        Conflict,
        "west2@example.com has claimed 2 leads today, the daily limit is 2",
        claim_lead,
        lead_id=pool[3],
        rep_id=floor["west2"],
        at=next_day,
    )


def test_claims_by_unknown_or_non_sales_users_and_of_unknown_leads_are_refused(
    engine: Engine, floor: Floor, read: Session
) -> None:
    pool = lead_in(engine, status=LeadStatus.POOL)
    refused(
        engine,
        read,
        Forbidden,
        "east.manager@example.com is a sales_manager: only active sales reps and SDRs",
        claim_lead,
        lead_id=pool,
        rep_id=floor["east.manager"],
        at=NOW,
    )
    refused(
        engine, read, NotFound, "no user with id 999", claim_lead, lead_id=pool, rep_id=999, at=NOW
    )
    refused(
        engine,
        read,
        NotFound,
        "no lead with id 999",
        claim_lead,
        lead_id=999,
        rep_id=floor["west1"],
        at=NOW,
    )


def test_release_puts_the_owners_lead_in_the_pool(
    engine: Engine, floor: Floor, read: Session
) -> None:
    lead_id = lead_in(engine, owner=floor["east1"], status=LeadStatus.WORKING)
    act(engine, release_lead, lead_id=lead_id, rep_id=floor["east1"], at=NOW, reason="no budget")
    lead = read.get_one(Lead, lead_id)
    assert (lead.status, lead.owner_id, lead.pool_entered_at) == ("pool", None, NOW)
    decision = read.scalars(select(LeadDecision)).one()
    assert (decision.kind, decision.detail) == ("released", {"reason": "no budget"})
    assert "lead.released" in {e.topic for e in read.scalars(select(OutboxEvent))}


def test_only_the_owner_releases_returns_accepts_or_logs_a_contact(
    engine: Engine, floor: Floor, read: Session
) -> None:
    lead_id = lead_in(engine, owner=floor["east1"], status=LeadStatus.WORKING)
    unowned = lead_in(engine)
    other = floor["east2"]
    owner = f"user {floor['east1']}"
    for action, verb, extra in [
        (release_lead, "release", {}),
        (return_lead, "return", {"reason": "not ready"}),
        (accept_lead, "accept", {}),
        (log_contact, "log a contact on", {}),
    ]:
        refused(
            engine,
            read,
            Forbidden,
            f"east2@example.com cannot {verb} lead {lead_id}: it is owned by {owner}",
            action,
            lead_id=lead_id,
            rep_id=other,
            at=NOW,
            **extra,
        )
    refused(
        engine,
        read,
        Forbidden,
        f"cannot release lead {unowned}: it is owned by nobody",
        release_lead,
        lead_id=unowned,
        rep_id=other,
        at=NOW,
    )


def test_return_needs_a_reason_and_sends_the_lead_to_nurture(
    engine: Engine, floor: Floor, read: Session
) -> None:
    lead_id = lead_in(engine, owner=floor["sdr1"], status=LeadStatus.MQL)
    refused(
        engine,
        read,
        Invalid,
        "a reason is required to return a lead to marketing",
        return_lead,
        lead_id=lead_id,
        rep_id=floor["sdr1"],
        reason="  ",
        at=NOW,
    )
    act(engine, return_lead, lead_id=lead_id, rep_id=floor["sdr1"], reason=" too early ", at=NOW)
    lead = read.get_one(Lead, lead_id)
    assert (lead.status, lead.owner_id) == ("nurture", None)
    change = read.scalars(select(LeadStatusChange)).one()
    assert (change.from_status, change.to_status, change.reason) == ("mql", "nurture", "too early")
    event = read.scalars(select(OutboxEvent).where(OutboxEvent.topic == "lead.returned")).one()
    assert event.payload["reason"] == "too early"


def test_accept_makes_the_lead_sales_accepted_once(
    engine: Engine, floor: Floor, read: Session
) -> None:
    lead_id = lead_in(engine, owner=floor["sdr1"], status=LeadStatus.MQL)
    act(engine, accept_lead, lead_id=lead_id, rep_id=floor["sdr1"], at=NOW)
    lead = read.get_one(Lead, lead_id)
    assert (lead.status, lead.sal_at) == ("sal", NOW)
    refused(
        engine,
        read,
        Conflict,
        f"lead {lead_id} is already accepted \\(sal\\)",
        accept_lead,
        lead_id=lead_id,
        rep_id=floor["sdr1"],
        at=NOW,
    )
    assert "lead.accepted" in {e.topic for e in read.scalars(select(OutboxEvent))}


def test_a_converted_lead_cannot_be_released_or_accepted(
    engine: Engine, floor: Floor, read: Session
) -> None:
    lead_id = lead_in(engine, owner=floor["sdr1"], status=LeadStatus.SQL)
    refused(
        engine,
        read,
        Conflict,
        f"lead {lead_id} is sql and cannot become pool",
        release_lead,
        lead_id=lead_id,
        rep_id=floor["sdr1"],
        at=NOW,
    )
    refused(
        engine,
        read,
        Conflict,
        f"lead {lead_id} is sql and cannot become sal",
        accept_lead,
        lead_id=lead_id,
        rep_id=floor["sdr1"],
        at=NOW,
    )


def test_the_first_contact_is_stamped_once_and_starts_a_new_lead_being_worked(
    engine: Engine, floor: Floor, read: Session
) -> None:
    lead_id = lead_in(engine, owner=floor["sdr1"])
    later = NOW + timedelta(hours=5)
    act(engine, log_contact, lead_id=lead_id, rep_id=floor["sdr1"], at=NOW, note="called")
    act(engine, log_contact, lead_id=lead_id, rep_id=floor["sdr1"], at=later)
    lead = read.get_one(Lead, lead_id)
    assert (lead.status, lead.first_contact_at, lead.last_activity_at) == ("working", NOW, later)
    details = [d.detail for d in read.scalars(select(LeadDecision).order_by(LeadDecision.id))]
    assert details == [{"first": True, "note": "called"}, {"first": False, "note": None}]
    assert read.scalars(select(LeadStatusChange.to_status)).all() == ["working"]


def test_a_contact_keeps_an_mql_an_mql(engine: Engine, floor: Floor, read: Session) -> None:
    lead_id = lead_in(engine, owner=floor["sdr1"], status=LeadStatus.MQL)
    act(engine, log_contact, lead_id=lead_id, rep_id=floor["sdr1"], at=NOW)
    lead = read.get_one(Lead, lead_id)
    assert (lead.status, lead.first_contact_at) == ("mql", NOW)
    assert counts(read)["lead_status_changes"] == 0
