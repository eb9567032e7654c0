"""SLA compliance = share of assigned leads contacted within the first-contact SLA.

Rules of conftest.py: Sales East 1 working hour, everyone else 2; 09:00–18:00 Shanghai.
Period: Monday 9 November 00:00 to Wednesday 11 November 09:30 (as of then).

    lead  team        assigned      contacted     deadline      counts as
    1     Sales East  Mon 09:00     Mon 09:30     Mon 10:00     in time
    2     Sales East  Mon 17:30     Tue 09:20     Tue 09:30     in time (working hours!)
    3     Sales East  Mon 09:00     Mon 11:00     Mon 10:00     late
    4     Sales West  Tue 16:30     Wed 09:20     Wed 09:30     in time
    5     (none)      Mon 09:00     -             Mon 11:00     missed
    6     (none)      Wed 09:00     -             Wed 11:00     pending (not decided yet)
    7     Sales East  Fri 6th 09:00 -             -             outside the period

East 2/3, West 1/1, no team 0/1; all 3/5 = 60 %.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.orm import Session

from closeloop.errors import NotFound
from closeloop.leads.sla.compliance import sla_compliance
from closeloop.models import Lead
from tests.leads.sla.conftest import Org, add_lead, sh

SINCE, UNTIL = sh(11, 9, 0), sh(11, 11, 9, 30)


@pytest.fixture
def history(session: Session, org: Org) -> None:
    rows: list[tuple[int | None, datetime, datetime | None]] = [
        (org.east, sh(11, 9, 9), sh(11, 9, 9, 30)),
        (org.east, sh(11, 9, 17, 30), sh(11, 10, 9, 20)),
        (org.east, sh(11, 9, 9), sh(11, 9, 11)),
        (org.west, sh(11, 10, 16, 30), sh(11, 11, 9, 20)),
        (None, sh(11, 9, 9), None),
        (None, sh(11, 11, 9), None),
        (org.east, sh(11, 6, 9), None),
    ]
    for team, assigned, contacted in rows:
        lead_id = add_lead(session, owner=org.ana, team=team, assigned_at=assigned)
        session.get_one(Lead, lead_id).first_contact_at = contacted
    session.flush()


@pytest.mark.usefixtures("history")
def test_compliance_per_team_and_in_total(session: Session) -> None:
    report = sla_compliance(session, since=SINCE, until=UNTIL)

    assert [
        (r.team, r.first_contact_hours, r.assigned, r.in_time, r.late, r.missed, r.pending)
        for r in report.teams
    ] == [
        ("Sales East", 1, 3, 2, 1, 0, 0),
        ("Sales West", 2, 1, 1, 0, 0, 0),
        (None, 2, 2, 0, 0, 1, 1),
    ]
    assert [r.compliance for r in report.teams] == [pytest.approx(2 / 3), 1.0, 0.0]
    total = report.total
    assert (total.assigned, total.in_time, total.late, total.missed, total.pending) == (
        6,
        3,
        1,
        1,
        1,
    )
    assert total.compliance == pytest.approx(0.6)
    assert report.rule_version == 1


@pytest.mark.usefixtures("history")
def test_compliance_of_one_team(session: Session) -> None:
    report = sla_compliance(session, since=SINCE, until=UNTIL, team="Sales East")

    assert [r.team for r in report.teams] == ["Sales East"]
    assert (report.total.assigned, report.total.compliance) == (3, pytest.approx(2 / 3))
    with pytest.raises(NotFound, match="no team named 'Sales North'"):
        sla_compliance(session, since=SINCE, until=UNTIL, team="Sales North")


def test_no_assigned_leads_has_no_share(session: Session, org: Org) -> None:
    report = sla_compliance(session, since=SINCE, until=UNTIL)
    assert (report.total.assigned, report.total.compliance, report.teams) == (0, None, [])
