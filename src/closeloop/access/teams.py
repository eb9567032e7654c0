"""Teams: a manager and the reps who work leads together."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from closeloop.access.actor import WRITE, Actor
from closeloop.access.audit import record_change, snapshot
from closeloop.access.policy import Area, require
from closeloop.errors import Conflict, Invalid, NotFound
from closeloop.i18n import N_
from closeloop.models import Role, Team, User

AUDITED_FIELDS = ("name", "manager_id")


def list_teams(session: Session, actor: Actor) -> list[Team]:
    """Every team, by name."""
    require(actor, Area.USERS)
    return list(session.scalars(select(Team).order_by(Team.name, Team.id)))


def _checked(session: Session, team_id: int | None, values: dict[str, object]) -> dict[str, object]:
    out = dict(values)
    if "name" in out:
        name = " ".join(str(out["name"] or "").split())
        if not name:
            raise Invalid(N_("a team needs a name"), field="body.name")
        taken = select(Team.id).where(func.lower(Team.name) == func.lower(name))
        if team_id is not None:
            taken = taken.where(Team.id != team_id)
        if session.scalars(taken).first() is not None:
            raise Conflict(N_("a team named %(name)r exists"), field="body.name", name=name)
        out["name"] = name
    manager_id = out.get("manager_id")
    if manager_id is not None:
        manager = session.get(User, manager_id)
        if manager is None or manager.role not in (Role.SALES_MANAGER, Role.ADMIN):
            raise Invalid(N_("the manager must be a sales manager"), field="body.manager_id")
    return out


def create_team(
    session: Session, actor: Actor, *, name: str, manager_id: int | None = None
) -> Team:
    """A new team (admins)."""
    require(actor, Area.USERS, WRITE)
    values = _checked(session, None, {"name": name, "manager_id": manager_id})
    team = Team(**values)
    session.add(team)
    session.flush()
    record_change(
        session,
        actor,
        entity="team",
        entity_id=team.id,
        action="create",
        after=snapshot(team, AUDITED_FIELDS),
    )
    return team


def update_team(
    session: Session, actor: Actor, *, team_id: int, changes: dict[str, object]
) -> Team:
    """Rename a team or change its manager (admins)."""
    require(actor, Area.USERS, WRITE)
    team = session.get(Team, team_id)
    if team is None:
        raise NotFound(N_("team %(team_id)s not found"), team_id=team_id)
    before = snapshot(team, AUDITED_FIELDS)
    for name, value in _checked(session, team_id, changes).items():
        setattr(team, name, value)
    session.flush()
    record_change(
        session,
        actor,
        entity="team",
        entity_id=team.id,
        action="update",
        before=before,
        after=snapshot(team, AUDITED_FIELDS),
    )
    return team
