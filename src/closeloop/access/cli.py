"""`closeloop user …` and `closeloop token …`: people who sign in, and integrations' tokens."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select

from closeloop.access.actor import Actor
from closeloop.access.tokens import create_token, revoke_token
from closeloop.access.users import canonical_email, create_user, set_password, team_id_by_name
from closeloop.cli_support import DbOption, _, console, open_database
from closeloop.db.engine import unit_of_work
from closeloop.errors import Invalid, NotFound
from closeloop.i18n import N_
from closeloop.models import Role, Team, User

user_app = typer.Typer(help="People who sign in to the web app.", no_args_is_help=True)
token_app = typer.Typer(
    help="API tokens for integrations (Authorization: Bearer).", no_args_is_help=True
)

ROLES = ", ".join(r.value for r in Role)


def _password_from_stdin(flag: bool) -> str | None:
    if not flag:
        return None
    return sys.stdin.readline().rstrip("\n")


def _user_id(session: object, email: str) -> int:
    key = canonical_email(email, field="--user")
    found = session.scalars(select(User.id).where(User.email == key)).first()  # type: ignore[attr-defined]
    if found is None:
        raise NotFound(N_("no user with e-mail %(email)s"), field="--user", email=key)
    return int(found)


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Option(help="E-mail to sign in with.")],
    name: Annotated[str, typer.Option(help="Full name.")],
    role: Annotated[str, typer.Option(help=f"One of: {ROLES}.")],
    team: Annotated[str | None, typer.Option(help="Team name.")] = None,
    locale: Annotated[
        str | None, typer.Option(help="en or zh_CN (default: the browser's).")
    ] = None,
    max_open_leads: Annotated[int | None, typer.Option(help="Cap of open leads (reps).")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    db: DbOption = None,
) -> None:
    """Create a user. Without --password-stdin a password is generated and shown once."""
    password = _password_from_stdin(password_stdin)
    with unit_of_work(open_database(db)) as session:
        team_id = team_id_by_name(session, team, field="--team")
        created = create_user(
            session,
            Actor.operator(),
            email=email,
            full_name=name,
            role=role,
            team_id=team_id,
            password=password,
            locale=locale,
            max_open_leads=max_open_leads,
        )
        user_id, user_email = created.user.id, created.user.email
    if as_json:
        typer.echo(json.dumps({"id": user_id, "email": user_email, "password": created.password}))
        return
    console.print(
        _("User %(id)s %(email)s (%(role)s) created.", id=user_id, email=user_email, role=role)
    )
    if created.password:
        console.print(_("Password (shown only now):"), highlight=False)
        console.print(created.password, highlight=False, markup=False)


@user_app.command("list")
def user_list(db: DbOption = None) -> None:
    """Every user with role, team and whether they can sign in."""
    with unit_of_work(open_database(db)) as session:
        rows = session.execute(
            select(User, Team.name).outerjoin(Team, Team.id == User.team_id).order_by(User.id)
        ).all()
        table = Table(
            _("id"), _("e-mail"), _("name"), _("role"), _("team"), _("active"), _("password")
        )
        for user, team_name in rows:
            table.add_row(
                str(user.id),
                user.email,
                user.full_name,
                user.role,
                team_name or "",
                _("yes") if user.is_active else _("no"),
                _("set") if user.password_hash else "—",
            )
    console.print(table)


@user_app.command("password")
def user_password(
    user: Annotated[str, typer.Option("--user", help="The user's e-mail.")],
    db: DbOption = None,
) -> None:
    """Set a user's password, read from standard input (and lift a lock-out)."""
    password = sys.stdin.readline().rstrip("\n")
    if not password:
        raise Invalid(N_("give the new password on standard input"), field="password")
    with unit_of_work(open_database(db)) as session:
        set_password(session, Actor.operator(), user_id=_user_id(session, user), password=password)
    console.print(_("Password set."))


@token_app.command("create")
def token_create(
    user: Annotated[str, typer.Option("--user", help="E-mail of the user the token acts as.")],
    name: Annotated[str, typer.Option(help="What the token is for.")] = "integration",
    scopes: Annotated[str, typer.Option(help="read, or read,write.")] = "read",
    as_json: Annotated[bool, typer.Option("--json", help='Print {"token": …} as JSON.')] = False,
    db: DbOption = None,
) -> None:
    """Issue an API token. It is shown only this once."""
    with unit_of_work(open_database(db)) as session:
        issued = create_token(
            session, Actor.operator(), user_id=_user_id(session, user), name=name, scopes=scopes
        )
    if as_json:
        typer.echo(json.dumps({"id": issued.id, "token": issued.token}))
    else:
        console.print(_("Token %(id)s (shown only now, keep it safe):", id=issued.id))
        console.print(issued.token, highlight=False, markup=False, soft_wrap=True)


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[int, typer.Argument(help="The token's id.")], db: DbOption = None
) -> None:
    """Revoke a token: it stops working at once."""
    with unit_of_work(open_database(db)) as session:
        revoke_token(session, Actor.operator(), token_id=token_id)
    console.print(_("Token %(id)s revoked.", id=token_id))
