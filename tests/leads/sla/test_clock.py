"""The clock API the lead actions call: which promise runs, and when it is due.

Rules of conftest.py: Sales East 1 working hour to first contact, others 2; accept within 2
working days; follow up within 3. November 2026: Monday the 9th … Friday the 13th.
"""

from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from closeloop.errors import NotFound
from closeloop.leads.sla import clock
from closeloop.models import Lead, LeadSlaStep
from tests.leads.sla.conftest import Org, add_lead, clock_of, sh


def test_assignment_starts_first_contact_clocks_by_team(session: Session, org: Org) -> None:
    east = add_lead(session, owner=org.ana, team=org.east)
    west = add_lead(session, owner=org.cai, team=org.west)  # not in the rules: the default
    loose = add_lead(session, owner=org.ana, team=None)
    other = add_lead(session, owner=org.ana, team=org.east)

    clock.on_assigned(session, lead_ids=[east, west, loose], at=sh(11, 9, 17, 30))

    assert clock_of(session, east) == ("first_contact", sh(11, 10, 9, 30), 0)
    assert clock_of(session, west) == ("first_contact", sh(11, 10, 10, 30), 0)
    assert clock_of(session, loose) == ("first_contact", sh(11, 10, 10, 30), 0)
    assert clock_of(session, other) == (None, None, None)


def test_assignment_refreshes_loaded_leads(session: Session, org: Org) -> None:
    lead = session.get_one(Lead, add_lead(session, owner=org.ana, team=org.east))
    assert lead.sla_due_at is None

    clock.on_assigned(session, lead_ids=[lead.id], at=sh(11, 9, 10))

    assert lead.sla_kind == "first_contact"
    assert lead.sla_due_at == sh(11, 9, 11)


def test_contact_before_acceptance_starts_the_accept_clock(session: Session, org: Org) -> None:
    lead_id = add_lead(session, owner=org.ana, team=org.east, assigned_at=sh(11, 9, 17, 30))
    clock.on_assigned(session, lead_ids=[lead_id], at=sh(11, 9, 17, 30))

    clock.on_contacted(session, lead_id=lead_id, at=sh(11, 10, 10))

    # Two working days after the assignment, same clock time.
    assert clock_of(session, lead_id) == ("accept", sh(11, 11, 17, 30), 0)


def test_contact_after_acceptance_starts_the_follow_up_clock(session: Session, org: Org) -> None:
    lead_id = add_lead(session, owner=org.ana, team=org.east, assigned_at=sh(11, 9, 9))
    session.get_one(Lead, lead_id).sal_at = sh(11, 9, 9, 30)

    clock.on_contacted(session, lead_id=lead_id, at=sh(11, 9, 10))

    assert clock_of(session, lead_id) == ("follow_up", sh(11, 12, 10), 0)


def test_acceptance_and_activity_run_the_follow_up_clock(session: Session, org: Org) -> None:
    lead_id = add_lead(session, owner=org.ana, team=org.east, assigned_at=sh(11, 9, 9))
    clock.on_assigned(session, lead_ids=[lead_id], at=sh(11, 9, 9))
    breached = update(LeadSlaStep).where(LeadSlaStep.lead_id == lead_id)
    session.execute(breached.values(level=1, step_at=sh(11, 9, 12)))  # the rep was told

    clock.on_accepted(session, lead_id=lead_id, at=sh(11, 11, 11))
    assert clock_of(session, lead_id) == ("follow_up", sh(11, 16, 11), 0)

    # Thursday 20:00 counts from Friday 09:00: three working days later is Wednesday 09:00.
    clock.on_activity(session, lead_id=lead_id, at=sh(11, 12, 20))
    assert clock_of(session, lead_id) == ("follow_up", sh(11, 18, 9), 0)


def test_activity_leaves_other_clocks_alone(session: Session, org: Org) -> None:
    lead_id = add_lead(session, owner=org.ana, team=org.east)
    clock.on_assigned(session, lead_ids=[lead_id], at=sh(11, 9, 9))

    clock.on_activity(session, lead_id=lead_id, at=sh(11, 9, 9, 30))

    assert clock_of(session, lead_id) == ("first_contact", sh(11, 9, 10), 0)


def test_stop_clears_the_clock(session: Session, org: Org) -> None:
    ids = [add_lead(session, owner=org.ana, team=org.east) for _ in range(3)]
    clock.on_assigned(session, lead_ids=ids, at=sh(11, 9, 9))

    clock.stop(session, lead_ids=ids[:2])

    assert [clock_of(session, i) for i in ids] == [
        (None, None, None),
        (None, None, None),
        ("first_contact", sh(11, 9, 10), 0),
    ]


def test_an_unknown_lead_is_not_found(session: Session, org: Org) -> None:
    with pytest.raises(NotFound, match="lead 999999"):
        clock.on_accepted(session, lead_id=999_999, at=sh(11, 9, 9))
