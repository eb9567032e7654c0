"""Users: create, sign in (with lock-out after repeated failures), passwords."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from closeloop.access.actor import Actor
from closeloop.access.audit import record_change, snapshot
from closeloop.access.passwords import check_strength, hash_password, needs_rehash, verify_password
from closeloop.db.types import utcnow
from closeloop.errors import ClosedLoopError, Conflict, Invalid, NotFound
from closeloop.i18n import N_
from closeloop.models import Role, Team, User

MAX_FAILED_SIGN_INS = 5
LOCK_OUT_FOR = timedelta(minutes=15)
LOCALES = ("en", "zh_CN")
AUDITED_FIELDS = ("email", "full_name", "role", "team_id", "is_active", "locale", "max_open_leads")


class SignInFailed(ClosedLoopError):
    """Wrong e-mail or password — one message for both, so e-mails cannot be probed."""

    status = 401


class LockedOut(ClosedLoopError):
    status = 429

    def __init__(self, until: datetime) -> None:
        super().__init__(f"too many failed sign-ins: try again after {until:%H:%M} UTC")
        self.until = until


def canonical_email(email: str, *, field: str = "email") -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise Invalid(str(error), field=field) from None


def parse_role(role: str, *, field: str = "role") -> Role:
    try:
        return Role(role)
    except ValueError:
        names = ", ".join(r.value for r in Role)
        raise Invalid(
            N_("unknown role %(role)r (one of %(names)s)"), field=field, role=role, names=names
        ) from None


def team_id_by_name(session: Session, team: str | None, *, field: str = "team") -> int | None:
    if team is None:
        return None
    found = session.scalars(select(Team.id).where(Team.name == team)).first()
    if found is None:
        raise Invalid(N_("no team named %(team)r"), field=field, team=team)
    return found


@dataclass(frozen=True)
class NewUser:
    user: User
    password: str | None  # the generated one, shown once; None when the caller chose it


def create_user(
    session: Session,
    actor: Actor,
    *,
    email: str,
    full_name: str,
    role: str,
    team_id: int | None = None,
    password: str | None = None,
    locale: str | None = None,
    max_open_leads: int | None = None,
) -> NewUser:
    """A new user; without ``password`` one is generated and returned once."""
    email = canonical_email(email)
    if not full_name.strip():
        raise Invalid(N_("a user needs a name"), field="full_name")
    checked_role = parse_role(role)
    if locale is not None and locale not in LOCALES:
        raise Invalid(f"unknown locale {locale!r} (one of {', '.join(LOCALES)})", field="locale")
    if team_id is not None and session.get(Team, team_id) is None:
        raise Invalid(N_("no team %(team_id)s"), field="team_id", team_id=team_id)
    if session.scalars(select(User.id).where(func.lower(User.email) == email)).first():
        raise Conflict(N_("a user with e-mail %(email)s exists"), field="email", email=email)
    generated = None
    if password is None:
        password = generated = secrets.token_urlsafe(12)
    check_strength(password)
    user = User(
        email=email,
        full_name=full_name.strip(),
        role=checked_role.value,
        team_id=team_id,
        locale=locale,
        max_open_leads=max_open_leads,
        password_hash=hash_password(password),
    )
    session.add(user)
    session.flush()
    record_change(
        session,
        actor,
        entity="user",
        entity_id=user.id,
        action="create",
        after=snapshot(user, AUDITED_FIELDS),
    )
    return NewUser(user, generated)


def sign_in(session: Session, *, email: str, password: str, now: datetime | None = None) -> User:
    """The user whose e-mail and password match; counts failures and locks the account out.

    After ``MAX_FAILED_SIGN_INS`` wrong passwords in a row the account is locked for
    ``LOCK_OUT_FOR``, even for the right password. The caller must commit also on failure, so
    the failure counts (``SignInFailed`` and ``LockedOut`` carry no half-done change otherwise).
    """
    now = now or utcnow()
    key = email.strip().lower()
    user = session.scalars(select(User).where(func.lower(User.email) == key)).first()
    if user is None or not user.is_active:
        verify_password(None, password)
        raise SignInFailed("wrong e-mail or password")
    if user.locked_until is not None and user.locked_until > now:
        raise LockedOut(user.locked_until)
    if not verify_password(user.password_hash, password):
        user.failed_sign_ins = (user.failed_sign_ins or 0) + 1
        if user.failed_sign_ins >= MAX_FAILED_SIGN_INS:
            user.locked_until = now + LOCK_OUT_FOR
            user.failed_sign_ins = 0
            raise LockedOut(user.locked_until)
        raise SignInFailed("wrong e-mail or password")
    user.failed_sign_ins = 0
    user.locked_until = None
    user.last_sign_in_at = now
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def set_password(session: Session, actor: Actor, *, user_id: int, password: str) -> None:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(N_("user %(user_id)s not found"), user_id=user_id)
    check_strength(password)
    user.password_hash = hash_password(password)
    user.failed_sign_ins = 0
    user.locked_until = None
    record_change(session, actor, entity="user", entity_id=user.id, action="set_password")


def set_locale(session: Session, actor: Actor, *, locale: str | None) -> None:
    """The acting user's language (None = follow the browser)."""
    if locale is not None and locale not in LOCALES:
        raise Invalid(f"unknown locale {locale!r} (one of {', '.join(LOCALES)})", field="locale")
    user = session.get(User, actor.user_id) if actor.user_id is not None else None
    if user is None:
        return
    before = user.locale
    user.locale = locale
    record_change(
        session,
        actor,
        entity="user",
        entity_id=user.id,
        action="update",
        before={"locale": before},
        after={"locale": locale},
    )


def active_user(session: Session, user_id: int) -> User | None:
    """The user a session or token belongs to, if still active."""
    user = session.get(User, user_id)
    return user if user is not None and user.is_active else None


def give_admin_a_password(session: Session) -> tuple[str, str] | None:
    """For a new installation (the demo): the first admin without a password gets one.

    Returns (e-mail, password) to print once, or None when every admin already has one."""
    admin = session.scalars(
        select(User)
        .where(User.role == Role.ADMIN.value, User.password_hash.is_(None), User.is_active)
        .order_by(User.id)
    ).first()
    if admin is None:
        return None
    password = secrets.token_urlsafe(12)
    admin.password_hash = hash_password(password)
    record_change(
        session, Actor.operator(), entity="user", entity_id=admin.id, action="set_password"
    )
    return admin.email, password


# ---- for the API: reading and changing users as an actor -------------------------------------

SELF_EDITABLE = frozenset({"full_name", "locale"})
ADMIN_EDITABLE = frozenset(
    {"email", "full_name", "role", "team_id", "is_active", "locale", "max_open_leads"}
)


def list_users(session: Session, actor: Actor) -> list[User]:
    """Every user, by id, for those who may see users (admins, managers)."""
    from closeloop.access.policy import Area, require

    require(actor, Area.USERS)
    return list(session.scalars(select(User).order_by(User.id)))


def get_user(session: Session, actor: Actor, user_id: int) -> User:
    """One user: oneself always; anyone for those who may see users."""
    from closeloop.access.policy import Area, require

    if actor.user_id != user_id:
        require(actor, Area.USERS)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    return user


def update_user(
    session: Session, actor: Actor, *, user_id: int, changes: dict[str, object]
) -> User:
    """Change a user: an admin anything but the password; a user their own name and language."""
    from closeloop.access.actor import WRITE
    from closeloop.access.policy import Area, allowed
    from closeloop.errors import Forbidden

    user = get_user(session, actor, user_id)
    if "write" not in actor.scopes:
        raise Forbidden("this API token may only read")
    if allowed(actor, Area.USERS, WRITE):
        permitted = ADMIN_EDITABLE
    elif actor.user_id == user_id:
        permitted = SELF_EDITABLE
    else:
        raise Forbidden(f"a {actor.role.value} may not change users")
    refused = sorted(set(changes) - permitted)
    if refused:
        raise Forbidden(f"you may not change {', '.join(refused)}")
    before = snapshot(user, AUDITED_FIELDS)
    values = dict(changes)
    if "email" in values:
        values["email"] = canonical_email(str(values["email"]), field="body.email")
        taken = session.scalars(
            select(User.id).where(func.lower(User.email) == values["email"], User.id != user.id)
        ).first()
        if taken:
            raise Conflict(f"a user with e-mail {values['email']} exists", field="body.email")
    if "full_name" in values:
        name = str(values["full_name"] or "").strip()
        if not name:
            raise Invalid("a user needs a name", field="body.full_name")
        values["full_name"] = name
    if "role" in values:
        values["role"] = parse_role(str(values["role"]), field="body.role").value
    if values.get("locale") is not None and values["locale"] not in LOCALES:
        raise Invalid(f"unknown locale (one of {', '.join(LOCALES)})", field="body.locale")
    if values.get("team_id") is not None and session.get(Team, values["team_id"]) is None:
        raise Invalid(N_("no team %(team_id)s"), field="body.team_id", team_id=values["team_id"])
    if values.get("is_active") is False and user.id == actor.user_id:
        raise Invalid(N_("you cannot deactivate yourself"), field="body.is_active")
    for name, value in values.items():
        setattr(user, name, value)
    session.flush()
    record_change(
        session,
        actor,
        entity="user",
        entity_id=user.id,
        action="update",
        before=before,
        after=snapshot(user, AUDITED_FIELDS),
    )
    return user


def add_user(session: Session, actor: Actor, **values: object) -> NewUser:
    """``create_user`` for a caller who must be allowed to manage users (admins)."""
    from closeloop.access.actor import WRITE
    from closeloop.access.policy import Area, require

    require(actor, Area.USERS, WRITE)
    return create_user(session, actor, **values)  # type: ignore[arg-type]
