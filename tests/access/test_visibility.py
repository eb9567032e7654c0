"""Row-level access: a rep sees own leads and the pool, a manager the team, and so on."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from closeloop.access.actor import READ, WRITE, Actor
from closeloop.access.policy import Area, allowed, require
from closeloop.access.visibility import get_readable, readable
from closeloop.errors import Forbidden, NotFound
from closeloop.models import Lead, LeadStatus, Opportunity, Role, Team, User
from tests import factories

CREATED = datetime(2026, 11, 1, tzinfo=UTC)
D100 = Decimal("100")


def _people(session: Session) -> dict[str, User]:
    east, west = Team(name="East"), Team(name="West")
    session.add_all([east, west])
    session.flush()
    people = {
        "ana": User(email="ana@x.test", full_name="Ana", role=Role.SALES_REP, team_id=east.id),
        "bo": User(email="bo@x.test", full_name="Bo", role=Role.SALES_REP, team_id=east.id),
        "cy": User(email="cy@x.test", full_name="Cy", role=Role.SALES_REP, team_id=west.id),
        "max": User(email="max@x.test", full_name="Max", role=Role.SALES_MANAGER, team_id=east.id),
        "fin": User(email="fin@x.test", full_name="Fin", role=Role.FINANCE),
        "mkt": User(email="mkt@x.test", full_name="Mkt", role=Role.MARKETING),
        "exe": User(email="exe@x.test", full_name="Exe", role=Role.EXECUTIVE),
    }
    session.add_all(people.values())
    session.flush()
    return people


def _leads(session: Session, people: dict[str, User]) -> dict[str, Lead]:
    leads = {
        "ana's": factories.lead(session, CREATED, owner=people["ana"], status=LeadStatus.WORKING),
        "bo's": factories.lead(session, CREATED, owner=people["bo"], status=LeadStatus.WORKING),
        "cy's": factories.lead(session, CREATED, owner=people["cy"], status=LeadStatus.WORKING),
        "pool": factories.lead(session, CREATED, status=LeadStatus.POOL),
        "new": factories.lead(session, CREATED),
    }
    return leads


def _visible(session: Session, actor: Actor) -> set[int]:
    return set(session.scalars(readable(actor, Lead).with_only_columns(Lead.id)))


def test_each_role_sees_its_own_leads(session: Session) -> None:
    people = _people(session)
    leads = _leads(session, people)
    ids = {name: lead.id for name, lead in leads.items()}
    as_ = {name: Actor.for_user(person) for name, person in people.items()}

    assert _visible(session, as_["ana"]) == {ids["ana's"], ids["pool"]}
    assert _visible(session, as_["max"]) == {ids["ana's"], ids["bo's"], ids["pool"]}
    assert _visible(session, as_["mkt"]) == set(ids.values())
    with pytest.raises(Forbidden):
        _visible(session, as_["fin"])
    with pytest.raises(Forbidden):
        _visible(session, as_["exe"])


def test_another_reps_lead_is_not_found_rather_than_forbidden(session: Session) -> None:
    people = _people(session)
    leads = _leads(session, people)
    ana = Actor.for_user(people["ana"])
    assert get_readable(session, ana, Lead, leads["ana's"].id).id == leads["ana's"].id
    with pytest.raises(NotFound):
        get_readable(session, ana, Lead, leads["cy's"].id)


def test_opportunities_follow_the_owner_and_the_managers_team(session: Session) -> None:
    people = _people(session)
    account = factories.account(session, "Acme")
    stage = factories.pipeline(session)["Qualify"]
    mine = factories.opportunity(session, lead=None, account=account, stage=stage, amount=D100)
    theirs = factories.opportunity(session, lead=None, account=account, stage=stage, amount=D100)
    mine.owner_id, theirs.owner_id = people["ana"].id, people["cy"].id
    session.flush()
    ana, manager = Actor.for_user(people["ana"]), Actor.for_user(people["max"])
    assert set(session.scalars(readable(ana, Opportunity))) == {mine}
    assert set(session.scalars(readable(manager, Opportunity))) == {mine}
    with pytest.raises(NotFound):
        get_readable(session, manager, Opportunity, theirs.id)


def test_tokens_are_limited_by_scope_and_roles_by_area() -> None:
    rep = Actor(user_id=1, role=Role.SALES_REP)
    read_only = Actor(user_id=1, role=Role.SALES_REP, via="token", scopes=frozenset({READ}))
    assert allowed(rep, Area.LEADS, WRITE)
    assert not allowed(read_only, Area.LEADS, WRITE)
    assert not allowed(rep, Area.CASH)
    assert allowed(Actor(user_id=2, role=Role.FINANCE), Area.CASH, WRITE)
    assert not allowed(Actor(user_id=3, role=Role.MARKETING), Area.CASH)
    with pytest.raises(Forbidden, match="executive may not see leads"):
        require(Actor(user_id=4, role=Role.EXECUTIVE), Area.LEADS)
