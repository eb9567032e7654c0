"""Users, teams, the caller's API tokens, and API sign-in (a session cookie): routes only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel

from closeloop.access import teams as team_service
from closeloop.access import tokens as token_service
from closeloop.access import users as user_service
from closeloop.access.schemas import (
    SessionIn,
    SessionOut,
    TeamCreate,
    TeamOut,
    TeamUpdate,
    TokenCreate,
    TokenCreated,
    TokenOut,
    UserCreate,
    UserCreated,
    UserOut,
    UserUpdate,
)
from closeloop.db.types import MAX_ID
from closeloop.errors import ClosedLoopError
from closeloop.i18n import N_
from closeloop.web.auth import ApiActor, csrf_token, end_session, start_session
from closeloop.web.params import RowId, request_unit

router = APIRouter(prefix="/api/v1")


class ErrorOut(BaseModel):
    detail: str


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    described = {
        401: "Not signed in, or the API token is invalid or revoked",
        403: "The role or the token's scope does not allow this (or a missing X-CSRF-Token)",
        404: "No such row",
        409: "The e-mail or name is taken",
        429: "Too many failed sign-ins: locked out for a while",
    }
    return {code: {"model": ErrorOut, "description": described[code]} for code in codes}


# ---- sign-in for API clients -----------------------------------------------------------------


@router.post("/session", response_model=SessionOut, tags=["session"], responses=_errors(401, 429))
def sign_in(payload: SessionIn, request: Request) -> SessionOut:
    """Sign in with e-mail and password: sets the session cookie and answers the CSRF token that
    every change made with the cookie must send as `X-CSRF-Token`. Five wrong passwords in a row
    lock the account for 15 minutes (429)."""
    failure: ClosedLoopError | None = None
    with request_unit(request) as session:
        try:
            user = user_service.sign_in(session, email=payload.email, password=payload.password)
        except (user_service.SignInFailed, user_service.LockedOut) as error:
            failure = error  # committed below: the failure must count
        else:
            start_session(request, user)
            out = SessionOut(csrf_token=csrf_token(request), user=UserOut.model_validate(user))
    if failure is not None:
        raise failure
    return out


@router.delete("/session", status_code=204, tags=["session"])
def sign_out(request: Request) -> Response:
    """Sign out: the session cookie is emptied."""
    end_session(request)
    return Response(status_code=204)


# ---- users -----------------------------------------------------------------------------------


@router.get("/users/me", response_model=UserOut, tags=["users"], responses=_errors(401))
def me(request: Request, actor: ApiActor) -> UserOut:
    """The caller."""
    if actor.user_id is None:
        raise ClosedLoopError(N_("the operator has no user row"))
    with request_unit(request) as session:
        return UserOut.model_validate(user_service.get_user(session, actor, actor.user_id))


@router.get("/users", response_model=list[UserOut], tags=["users"], responses=_errors(401, 403))
def list_users(request: Request, actor: ApiActor) -> list[UserOut]:
    """Every user (admins and managers)."""
    with request_unit(request) as session:
        return [UserOut.model_validate(u) for u in user_service.list_users(session, actor)]


@router.get(
    "/users/{user_id}", response_model=UserOut, tags=["users"], responses=_errors(401, 403, 404)
)
def get_user(user_id: RowId, request: Request, actor: ApiActor) -> UserOut:
    """One user: oneself, or anyone for admins and managers."""
    with request_unit(request) as session:
        return UserOut.model_validate(user_service.get_user(session, actor, user_id))


@router.post(
    "/users",
    status_code=201,
    response_model=UserCreated,
    tags=["users"],
    responses=_errors(401, 403, 409),
)
def create_user(payload: UserCreate, request: Request, actor: ApiActor) -> UserCreated:
    """Create a user (admins). Without a password one is generated and answered only now."""
    with request_unit(request) as session:
        created = user_service.add_user(session, actor, **payload.model_dump())
        out = UserOut.model_validate(created.user).model_dump()
        return UserCreated(**out, password=created.password)


@router.patch(
    "/users/{user_id}",
    response_model=UserOut,
    tags=["users"],
    responses=_errors(401, 403, 404, 409),
)
def update_user(user_id: RowId, payload: UserUpdate, request: Request, actor: ApiActor) -> UserOut:
    """Change a user (admins); anyone may change their own full_name and locale."""
    with request_unit(request) as session:
        user = user_service.update_user(
            session, actor, user_id=user_id, changes=payload.model_dump(exclude_unset=True)
        )
        return UserOut.model_validate(user)


# ---- teams -----------------------------------------------------------------------------------


@router.get("/teams", response_model=list[TeamOut], tags=["teams"], responses=_errors(401, 403))
def list_teams(request: Request, actor: ApiActor) -> list[TeamOut]:
    """Every team (admins and managers)."""
    with request_unit(request) as session:
        return [TeamOut.model_validate(t) for t in team_service.list_teams(session, actor)]


@router.post(
    "/teams",
    status_code=201,
    response_model=TeamOut,
    tags=["teams"],
    responses=_errors(401, 403, 409),
)
def create_team(payload: TeamCreate, request: Request, actor: ApiActor) -> TeamOut:
    """Create a team (admins)."""
    with request_unit(request) as session:
        team = team_service.create_team(
            session, actor, name=payload.name, manager_id=payload.manager_id
        )
        return TeamOut.model_validate(team)


@router.patch(
    "/teams/{team_id}",
    response_model=TeamOut,
    tags=["teams"],
    responses=_errors(401, 403, 404, 409),
)
def update_team(team_id: RowId, payload: TeamUpdate, request: Request, actor: ApiActor) -> TeamOut:
    """Rename a team or change its manager (admins)."""
    with request_unit(request) as session:
        team = team_service.update_team(
            session, actor, team_id=team_id, changes=payload.model_dump(exclude_unset=True)
        )
        return TeamOut.model_validate(team)


# ---- the caller's API tokens -----------------------------------------------------------------


@router.get("/tokens", response_model=list[TokenOut], tags=["tokens"], responses=_errors(401))
def list_tokens(
    request: Request,
    actor: ApiActor,
    user_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Admins: one user's tokens.")
    ] = None,
) -> list[TokenOut]:
    """The caller's tokens (admins: everyone's); never the token itself."""
    with request_unit(request) as session:
        rows = token_service.list_tokens(session, actor, user_id=user_id)
        return [TokenOut.model_validate(row) for row in rows]


@router.post(
    "/tokens",
    status_code=201,
    response_model=TokenCreated,
    tags=["tokens"],
    responses=_errors(401, 403),
)
def create_token(payload: TokenCreate, request: Request, actor: ApiActor) -> TokenCreated:
    """A token acting as the caller, within the caller's own scopes; shown only now."""
    with request_unit(request) as session:
        issued = token_service.create_own_token(
            session, actor, name=payload.name, scopes=payload.scopes
        )
    return TokenCreated(id=issued.id, token=issued.token, scopes=sorted(set(payload.scopes)))


@router.delete(
    "/tokens/{token_id}", status_code=204, tags=["tokens"], responses=_errors(401, 403, 404)
)
def revoke_token(token_id: RowId, request: Request, actor: ApiActor) -> Response:
    """Revoke one of the caller's tokens (admins: anyone's): it stops working at once."""
    with request_unit(request) as session:
        token_service.revoke_own_token(session, actor, token_id=token_id)
    return Response(status_code=204)
