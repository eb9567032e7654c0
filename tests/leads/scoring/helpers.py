"""Small rules whose points are easy to add up by hand, and leads with touches to score."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from closeloop.leads.scoring.rules import KIND, ScoringRules
from closeloop.models import Lead, LeadStatus, Touch
from closeloop.rules.loader import parse_rules
from closeloop.rules.store import save_rules

RULES_YAML = """\
mql_threshold: 50
half_life_days: 10
engagement_max: 40
industry:
  software: 20
company_size:
  - {min_employees: 0, max_employees: 99, points: 5}
  - {min_employees: 100, points: 15}
seniority:
  - {level: c-level, keywords: [ceo, 总经理], points: 25}
  - {level: manager, keywords: [manager, 经理], points: 10}
region:
  CN: 5
engagement:
  webinar_attended: 20
  visit: 4
"""
RULES = parse_rules(RULES_YAML, ScoringRules)


def use_rules(session: Session, text: str = RULES_YAML) -> int:
    """Put ``text`` in force; return its version."""
    return save_rules(session, kind=KIND, text=text, schema=ScoringRules).version


def add_lead(
    session: Session,
    *,
    created: datetime,
    status: LeadStatus = LeadStatus.NEW,
    industry: str | None = "software",
    size: int | None = 150,
    title: str | None = "CEO",
    region: str | None = "CN",
    touches: tuple[tuple[str, datetime], ...] = (),
) -> Lead:
    lead = Lead(
        created_at=created,
        full_name="Test lead",
        status=status,
        industry=industry,
        company_size=size,
        title=title,
        region=region,
    )
    session.add(lead)
    session.flush()
    for kind, when in touches:
        session.add(Touch(lead_id=lead.id, kind=kind, occurred_at=when))
    session.flush()
    return lead


def days(n: float) -> timedelta:
    return timedelta(days=n)
