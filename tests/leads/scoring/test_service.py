"""Scoring leads in the database: the stored parts, the MQL hand-off, the decision history."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from closeloop.leads.scoring.service import score_lead, score_leads
from closeloop.models import Lead, LeadDecision, LeadStatus, LeadStatusChange, OutboxEvent
from tests.leads.scoring.helpers import add_lead, days, use_rules

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
S = LeadStatus


def decisions(session: Session, lead_id: int) -> list[LeadDecision]:
    return list(
        session.scalars(
            select(LeadDecision).where(LeadDecision.lead_id == lead_id).order_by(LeadDecision.id)
        )
    )


def count(session: Session, model: type, **where: object) -> int:
    statement = select(func.count()).select_from(model).filter_by(**where)
    return int(session.scalar(statement) or 0)


def test_batch_stores_score_parts_and_factors(session: Session) -> None:
    version = use_rules(session)
    lead = add_lead(
        session, created=NOW - days(20), touches=(("webinar_attended", NOW - days(10)),)
    )
    run = score_leads(session, at=NOW)
    session.refresh(lead)
    assert (run.considered, run.changed) == (1, 1)
    assert (lead.fit_score, lead.engagement_score, lead.score) == (65, 10, 75)
    assert lead.score_version == version
    assert lead.score_factors[0] == ["title: c-level", 25]
    assert lead.scored_at == NOW


def test_touches_after_the_scoring_moment_do_not_count(session: Session) -> None:
    use_rules(session)
    lead = add_lead(session, created=NOW - days(1), touches=(("visit", NOW + days(1)),))
    assert score_lead(session, lead_id=lead.id, at=NOW).engagement == 0


def test_crossing_the_threshold_makes_the_lead_mql(session: Session) -> None:
    version = use_rules(session)
    lead = add_lead(session, created=NOW - days(3), status=S.WORKING)
    run = score_leads(session, at=NOW)
    session.refresh(lead)
    assert run.mql == 1
    assert (lead.status, lead.mql_at) == (S.MQL, NOW)
    change = session.scalars(select(LeadStatusChange).filter_by(lead_id=lead.id)).one()
    assert (change.from_status, change.to_status) == (S.WORKING, S.MQL)
    assert "threshold 50" in (change.reason or "")
    topics = session.scalars(select(OutboxEvent.topic).filter_by(lead_id=lead.id)).all()
    assert sorted(topics) == ["lead.mql", "lead.status_changed"]
    [decision] = decisions(session, lead.id)
    assert (decision.kind, decision.rule_version, decision.rule) == (
        "scored",
        version,
        f"scoring v{version}",
    )
    assert decision.detail == {"score": 65, "previous": None, "fit": 65, "engagement": 0,
                               "mql": True}  # fmt: skip


def test_a_single_lead_is_handed_off_the_same_way(session: Session) -> None:
    use_rules(session)
    lead = add_lead(session, created=NOW - days(3), status=S.NURTURE)
    result = score_lead(session, lead_id=lead.id, at=NOW)
    session.refresh(lead)
    assert result.became_mql and lead.status == S.MQL
    assert count(session, LeadStatusChange, lead_id=lead.id, to_status="mql") == 1


def test_below_the_threshold_stays(session: Session) -> None:
    use_rules(session)
    lead = add_lead(session, created=NOW, title="Engineer", industry=None)  # 15 + 5 = 20
    score_leads(session, at=NOW)
    session.refresh(lead)
    assert (lead.score, lead.status, lead.mql_at) == (20, S.NEW, None)


@pytest.mark.parametrize("status", [S.SQL, S.DISQUALIFIED, S.MERGED, S.SAL, S.POOL])
def test_only_new_working_and_nurture_leads_are_promoted(session: Session, status: S) -> None:
    use_rules(session)
    lead = add_lead(session, created=NOW - days(3), status=status)
    score_leads(session, at=NOW)
    score_lead(session, lead_id=lead.id, at=NOW)
    session.refresh(lead)
    assert (lead.status, lead.mql_at) == (status, None)
    assert count(session, LeadStatusChange, lead_id=lead.id) == 0


def test_not_promoted_twice(session: Session) -> None:
    """A lead sales sent back to nurture stays there while its score stays above."""
    use_rules(session)
    lead = add_lead(session, created=NOW - days(3))
    score_leads(session, at=NOW)
    lead.status = S.NURTURE  # sales returned it
    session.flush()
    score_leads(session, at=NOW + days(1))
    score_lead(session, lead_id=lead.id, at=NOW + days(2))
    session.refresh(lead)
    assert lead.status == S.NURTURE
    assert count(session, LeadStatusChange, lead_id=lead.id, to_status="mql") == 1
    assert count(session, OutboxEvent, lead_id=lead.id, topic="lead.mql") == 1


def test_a_decision_is_recorded_only_when_the_score_changes(session: Session) -> None:
    use_rules(session)
    lead = add_lead(session, created=NOW, title=None, touches=(("visit", NOW),))  # 40 + 4
    score_leads(session, at=NOW)
    score_leads(session, at=NOW + days(0.1))  # the visit decayed a little: still 4
    assert [d.detail["score"] for d in decisions(session, lead.id)] == [44]
    second = score_leads(session, at=NOW + days(20))  # 4 → 1
    assert second.changed == 1
    history = decisions(session, lead.id)
    assert [(d.detail["previous"], d.detail["score"]) for d in history] == [(None, 44), (44, 41)]


def test_new_rules_rescore_with_their_version(session: Session) -> None:
    use_rules(session)
    lead = add_lead(session, created=NOW, title=None, region=None)  # 20 + 15
    score_leads(session, at=NOW)
    v2 = use_rules(session, "mql_threshold: 30\nhalf_life_days: 5\nindustry: {software: 30}\n")
    run = score_leads(session, at=NOW)
    session.refresh(lead)
    assert (lead.score, lead.score_version, lead.status) == (30, v2, S.MQL)
    assert run.mql == 1
    assert decisions(session, lead.id)[-1].rule_version == v2


def test_the_batch_path_scores_many_leads_like_one(session: Session) -> None:
    use_rules(session)
    leads = [
        add_lead(session, created=NOW - days(i), size=10 * i, touches=(("visit", NOW - days(i)),))
        for i in range(1, 80)
    ]
    expected = [score_lead(session, lead_id=lead.id, at=NOW).score for lead in leads]
    session.execute(Lead.__table__.update().values(score=0, score_version=None))
    run = score_leads(session, at=NOW, chunk=60)  # 60 (temporary table) + 19 (UPDATE)
    assert run.considered == len(leads)
    stored = session.scalars(select(Lead.score).order_by(Lead.id)).all()
    assert list(stored) == expected
