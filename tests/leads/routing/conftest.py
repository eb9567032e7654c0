"""A small sales floor for routing tests, committed so that other sessions (threads, the CLI)
see it:

    team          users (role, max_open_leads)
    Sales East    east1, east2, east3 (sales_rep, 2 each); east.manager (sales_manager)
    Sales West    west1 (sales_rep, 2), west2 (sales_rep, no cap)
    Inside sales  sdr1, sdr2 (sdr, 3 each)
    channels      referral, paid_search

The routing rules of ``RULES`` send CN leads to Sales East (round-robin), US leads of the
referral channel to Sales West (load), and everything else to Inside sales (load).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from closeloop.db.engine import session_factory, unit_of_work
from closeloop.leads.routing.rules import save_routing_rules
from closeloop.models import (
    Channel,
    Lead,
    LeadDecision,
    LeadStatus,
    LeadStatusChange,
    OutboxEvent,
    Role,
    Team,
    User,
)
from tests.factories import at

NOW = at(2026, 6, 1, 9)

RULES = """\
rules:
  - name: China
    team: Sales East
    match: {regions: [CN]}
  - name: US referrals
    team: Sales West
    match: {regions: [US], channels: [referral]}
fallback_team: Inside sales
teams:
  Sales East: {strategy: round_robin, roles: [sales_rep]}
  Sales West: {strategy: load, roles: [sales_rep]}
  Inside sales: {strategy: load, roles: [sdr]}
pool: {daily_claim_limit: 2, timezone: Asia/Shanghai}
"""


@dataclass(frozen=True)
class Floor:
    """Ids of the users, teams and channels of the module docstring."""

    users: dict[str, int]
    teams: dict[str, int]
    channels: dict[str, int]

    def __getitem__(self, name: str) -> int:
        return self.users[name]


def _user(session: Session, name: str, role: Role, team: Team, cap: int | None) -> User:
    user = User(
        email=f"{name}@example.com", full_name=name, role=role, team_id=team.id, max_open_leads=cap
    )
    session.add(user)
    session.flush()
    return user


@pytest.fixture
def floor(engine: Engine) -> Floor:
    """The sales floor of the module docstring with ``RULES`` in force (version 1)."""
    with unit_of_work(engine) as session:
        teams = {name: Team(name=name) for name in ("Sales East", "Sales West", "Inside sales")}
        session.add_all(teams.values())
        channels = {
            code: Channel(code=code, name=code.title(), kind=code)
            for code in ("referral", "paid_search")
        }
        session.add_all(channels.values())
        session.flush()
        users = [
            _user(session, "east1", Role.SALES_REP, teams["Sales East"], 2),
            _user(session, "east2", Role.SALES_REP, teams["Sales East"], 2),
            _user(session, "east3", Role.SALES_REP, teams["Sales East"], 2),
            _user(session, "east.manager", Role.SALES_MANAGER, teams["Sales East"], None),
            _user(session, "west1", Role.SALES_REP, teams["Sales West"], 2),
            _user(session, "west2", Role.SALES_REP, teams["Sales West"], None),
            _user(session, "sdr1", Role.SDR, teams["Inside sales"], 3),
            _user(session, "sdr2", Role.SDR, teams["Inside sales"], 3),
        ]
        save_routing_rules(session, text=RULES)
        return Floor(
            {u.full_name: u.id for u in users},
            {name: team.id for name, team in teams.items()},
            {code: channel.id for code, channel in channels.items()},
        )


@pytest.fixture
def read(engine: Engine) -> Iterator[Session]:
    """A separate session to look at what was committed."""
    session = session_factory(engine)()
    yield session
    session.rollback()
    session.close()


def add_lead(
    session: Session,
    *,
    region: str | None = "CN",
    channel: int | None = None,
    status: str = LeadStatus.NEW,
    owner: int | None = None,
    score: int = 50,
    created: datetime = NOW,
    **fields: object,
) -> Lead:
    lead = Lead(
        full_name=f"Lead {region}",
        region=region,
        channel_id=channel,
        status=status,
        owner_id=owner,
        score=score,
        created_at=created,
        **fields,
    )
    session.add(lead)
    session.flush()
    return lead


def counts(session: Session) -> dict[str, int]:
    """Rows of every table routing writes to, to prove that nothing was written."""
    session.rollback()  # a fresh read: SQLite would keep showing the transaction's snapshot
    return {
        model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
        for model in (LeadDecision, LeadStatusChange, OutboxEvent)
    }


def snapshot(session: Session) -> list[tuple[object, ...]]:
    """Every lead's routing columns, in id order."""
    session.rollback()
    return [
        tuple(row)
        for row in session.execute(
            select(
                Lead.id,
                Lead.status,
                Lead.owner_id,
                Lead.team_id,
                Lead.pool_entered_at,
                Lead.first_contact_at,
                Lead.last_activity_at,
            ).order_by(Lead.id)
        )
    ]
