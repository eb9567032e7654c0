"""API tokens for integrations: shown once, kept as a hash, scoped, revocable."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from closeloop.access.actor import ALL_SCOPES, Actor
from closeloop.access.audit import record_change
from closeloop.access.users import active_user
from closeloop.db.types import utcnow
from closeloop.errors import ClosedLoopError, Invalid, NotFound
from closeloop.i18n import N_
from closeloop.models import ApiToken

TOKEN_PREFIX = "clt_"
LAST_USED_RESOLUTION = timedelta(minutes=1)


class Unauthenticated(ClosedLoopError):
    status = 401


@dataclass(frozen=True)
class IssuedToken:
    id: int
    token: str  # shown once, never stored


def _digest(token: str) -> str:
    # A random 256-bit token needs no slow hash (as for capture API keys).
    return hashlib.sha256(token.encode()).hexdigest()


def parse_scopes(scopes: str | list[str]) -> frozenset[str]:
    names = scopes.replace(",", " ").split() if isinstance(scopes, str) else scopes
    unknown = set(names) - ALL_SCOPES
    if unknown or not names:
        raise Invalid(
            N_("scopes are %(known)s; got %(given)s"),
            field="scopes",
            known=", ".join(sorted(ALL_SCOPES)),
            given=", ".join(sorted(names)) or "none",
        )
    return frozenset(names)


def create_token(
    session: Session, actor: Actor, *, user_id: int, name: str, scopes: str | list[str] = "read"
) -> IssuedToken:
    """A new token acting as ``user_id`` within ``scopes`` (read, write)."""
    if active_user(session, user_id) is None:
        raise NotFound(N_("user %(user_id)s not found"), field="user_id", user_id=user_id)
    checked = parse_scopes(scopes)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user_id,
        name=name.strip() or "token",
        prefix=token[:12],
        token_hash=_digest(token),
        scopes=" ".join(sorted(checked)),
    )
    session.add(row)
    session.flush()
    record_change(
        session,
        actor,
        entity="api_token",
        entity_id=row.id,
        action="create",
        after={"user_id": user_id, "name": row.name, "scopes": row.scopes},
    )
    return IssuedToken(row.id, token)


def revoke_token(session: Session, actor: Actor, *, token_id: int) -> None:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(N_("token %(token_id)s not found"), token_id=token_id)
    if actor.user_id is not None and not actor.is_admin and row.user_id != actor.user_id:
        raise NotFound(N_("token %(token_id)s not found"), token_id=token_id)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        record_change(session, actor, entity="api_token", entity_id=row.id, action="revoke")


def authenticate_token(session: Session, token: str) -> Actor:
    """The actor a bearer token stands for; ``Unauthenticated`` if unknown or revoked."""
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == _digest(token))).first()
    if row is None or row.revoked_at is not None:
        raise Unauthenticated(N_("invalid or revoked API token"))
    user = active_user(session, row.user_id)
    if user is None:
        raise Unauthenticated(N_("the token's user is deactivated"))
    now = utcnow()
    # Once a minute is enough to tell a used token from a forgotten one, and saves every read
    # call a write.
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        row.last_used_at = now
    return Actor.for_user(user, via="token", scopes=frozenset(row.scopes.split()))


def list_tokens(session: Session, actor: Actor, *, user_id: int | None = None) -> list[ApiToken]:
    """The actor's own tokens; an admin sees everyone's (or ``user_id``'s)."""
    statement = select(ApiToken).order_by(ApiToken.id)
    if not actor.is_admin:
        statement = statement.where(ApiToken.user_id == actor.user_id)
    elif user_id is not None:
        statement = statement.where(ApiToken.user_id == user_id)
    return list(session.scalars(statement))


def create_own_token(
    session: Session, actor: Actor, *, name: str, scopes: list[str]
) -> IssuedToken:
    """A token for the actor themself, never with more scopes than the caller holds."""
    from closeloop.access.actor import WRITE
    from closeloop.errors import Forbidden

    if actor.user_id is None:
        raise Invalid(N_("only a user has tokens"), field="user_id")
    if WRITE not in actor.scopes:
        raise Forbidden(N_("this API token may only read"))
    checked = parse_scopes(scopes)
    if not checked <= actor.scopes:
        raise Forbidden(N_("a token cannot grant more than its maker holds"))
    return create_token(session, actor, user_id=actor.user_id, name=name, scopes=sorted(checked))


def revoke_own_token(session: Session, actor: Actor, *, token_id: int) -> None:
    """Revoke one of the actor's tokens (an admin: anyone's)."""
    from closeloop.access.actor import WRITE
    from closeloop.errors import Forbidden

    if WRITE not in actor.scopes:
        raise Forbidden(N_("this API token may only read"))
    revoke_token(session, actor, token_id=token_id)
