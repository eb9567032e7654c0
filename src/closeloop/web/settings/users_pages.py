"""Settings → users and teams: who signs in, their role, team and whether they are active; a user
is created with a password the admin chooses (never shown again, never displayed). The rules —
valid e-mail, unique, a known role and team, a strong enough password, nobody deactivating
themselves — are ``access.users``'s and ``access.teams``'s; each change is audited there."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from closeloop.access import teams as team_service
from closeloop.access import users as user_service
from closeloop.access.actor import Actor
from closeloop.access.policy import Area
from closeloop.db.engine import unit_of_work
from closeloop.models import Role
from closeloop.web.auth import PageActor
from closeloop.web.settings.common import FormData, FormInvalid, page_of, section_page, submit

router = APIRouter(include_in_schema=False)

USER_FORM = ("full_name", "email", "role", "team_id", "password")
CHANGE_FORM = ("role", "team_id")
TEAM_FORM = ("name", "manager_id")
UserId = Path(ge=1, le=2_147_483_647)


def _team_id(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 9:
        raise FormInvalid({"team_id": "?"})
    return int(text)


# ---- users -------------------------------------------------------------------------------------


def _users_page(
    request: Request,
    actor: Actor,
    *,
    form: Mapping[str, str] | None = None,
    errors: dict[str, str] | None = None,
    failed_row: int | None = None,
) -> Response:
    fmt, _ = page_of(request, actor)
    with unit_of_work(request.app.state.engine) as session:
        users = user_service.list_users(session, actor)
        teams = team_service.list_teams(session, actor)
    shown = dict(form or {"role": Role.SALES_REP.value})
    shown.pop("password", None)  # a password is never sent back to the browser
    return section_page(
        request, actor, "users", "settings_users.html",
        status_code=422 if errors else 200, users=users, form=shown,
        errors=errors or {}, failed_row=failed_row, roles=[r.value for r in Role],
        roles_translated=[(r.value, fmt.gettext(r.value)) for r in Role],
        teams=[(t.id, t.name) for t in teams], team_names={t.id: t.name for t in teams},
    )  # fmt: skip


@router.get("/settings/users", response_class=HTMLResponse)
def users_page(request: Request, actor: PageActor) -> Response:
    """Every user with role, team and state; a form to add one (admins)."""
    return _users_page(request, actor)


@router.post("/settings/users")
def create_user(request: Request, actor: PageActor, form: FormData) -> Response:
    _fmt, _ = page_of(request, actor)

    def work(session: Session) -> str:
        try:
            team_id = _team_id(form.get("team_id", ""))
        except FormInvalid:
            raise FormInvalid({"team_id": _("Choose one from the list.")}) from None
        if not form.get("password"):  # the admin chooses it; a generated one would be displayed
            raise FormInvalid({"password": _("Required.")})
        created = user_service.add_user(
            session, actor, email=form.get("email", ""), full_name=form.get("full_name", ""),
            role=form.get("role", ""), team_id=team_id, password=form["password"],
        )  # fmt: skip
        return _("User %(name)s added.", name=created.user.full_name)

    return submit(
        request, actor, form, Area.USERS, work, done="/settings/users",
        again=lambda errors: _users_page(request, actor, form=form, errors=errors),
        fields=set(USER_FORM),
    )  # fmt: skip


@router.post("/settings/users/{user_id}")
def change_user(
    request: Request, actor: PageActor, form: FormData, user_id: int = UserId
) -> Response:
    """Change a user's role and team, or (``active`` = 0/1) deactivate or reactivate them."""
    _fmt, _ = page_of(request, actor)

    def work(session: Session) -> str:
        changes: dict[str, object] = {}
        if "active" in form:
            changes["is_active"] = form["active"] == "1"
        else:
            try:
                changes["team_id"] = _team_id(form.get("team_id", ""))
            except FormInvalid:
                raise FormInvalid({"team_id": _("Choose one from the list.")}) from None
            changes["role"] = form.get("role", "")
        user = user_service.update_user(session, actor, user_id=user_id, changes=changes)
        if "is_active" in changes:
            if user.is_active:
                return _("%(name)s can sign in again.", name=user.full_name)
            return _("%(name)s is deactivated and signed out.", name=user.full_name)
        return _("%(name)s saved.", name=user.full_name)

    return submit(
        request, actor, form, Area.USERS, work, done="/settings/users",
        again=lambda errors: _users_page(request, actor, errors=errors, failed_row=user_id),
        fields=set(CHANGE_FORM),
    )  # fmt: skip


# ---- teams -------------------------------------------------------------------------------------


def _teams_page(
    request: Request,
    actor: Actor,
    *,
    form: Mapping[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    with unit_of_work(request.app.state.engine) as session:
        teams = team_service.list_teams(session, actor)
        users = user_service.list_users(session, actor)
    managers = [
        (u.id, u.full_name)
        for u in users
        if u.is_active and u.role in (Role.SALES_MANAGER, Role.ADMIN)
    ]
    members: dict[int, int] = {}
    for user in users:
        if user.team_id is not None and user.is_active:
            members[user.team_id] = members.get(user.team_id, 0) + 1
    return section_page(
        request, actor, "teams", "settings_teams.html",
        status_code=422 if errors else 200, teams=teams, form=form or {}, errors=errors or {},
        managers=managers, names={u.id: u.full_name for u in users}, members=members,
    )  # fmt: skip


@router.get("/settings/teams", response_class=HTMLResponse)
def teams_page(request: Request, actor: PageActor) -> Response:
    """Every team with its manager and active members; a form to add one (admins)."""
    return _teams_page(request, actor)


@router.post("/settings/teams")
def create_team(request: Request, actor: PageActor, form: FormData) -> Response:
    _fmt, _ = page_of(request, actor)

    def work(session: Session) -> str:
        manager = form.get("manager_id", "").strip()
        if manager and not manager.isdigit():
            raise FormInvalid({"manager_id": _("Choose one from the list.")})
        team = team_service.create_team(
            session, actor, name=form.get("name", ""), manager_id=int(manager) if manager else None
        )
        return _("Team %(name)s added.", name=team.name)

    return submit(
        request, actor, form, Area.USERS, work, done="/settings/teams",
        again=lambda errors: _teams_page(request, actor, form=form, errors=errors),
        fields=set(TEAM_FORM),
    )  # fmt: skip
