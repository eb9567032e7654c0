"""API keys for capture: issued per channel or form, shown once, kept only as a hash."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from closeloop.errors import ClosedLoopError, Invalid
from closeloop.i18n import N_
from closeloop.leads.capture.attribution import Attribution, Source
from closeloop.models import ApiKey

KEY_PREFIX = "clk_"


class Unauthorized(ClosedLoopError):
    status = 401


@dataclass(frozen=True)
class IssuedKey:
    id: int
    name: str
    key: str  # shown once, never stored


@dataclass(frozen=True)
class KeyHolder:
    """Who is calling: the key's id and the source its leads are attributed to."""

    api_key_id: int
    source: Source
    form_name: str | None


def _digest(key: str) -> str:
    # A random 256-bit key needs no slow hash: SHA-256 cannot be brute-forced back to it.
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(
    session: Session,
    *,
    channel: str,
    campaign: str | None = None,
    content: str | None = None,
    form_name: str | None = None,
    name: str | None = None,
) -> IssuedKey:
    """Issue a key whose leads count for the given channel (and campaign, content, form)."""
    if not channel:
        raise Invalid(N_("a key belongs to a channel"), field="channel")
    source = Attribution(session).explicit(channel, campaign, content)
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    label = name or " / ".join(p for p in (channel, campaign, content, form_name) if p)
    row = ApiKey(
        name=label,
        prefix=key[:12],
        key_hash=_digest(key),
        channel_id=source.channel_id,
        campaign_id=source.campaign_id,
        content_id=source.content_id,
        form_name=form_name,
    )
    session.add(row)
    session.flush()
    return IssuedKey(row.id, label, key)


def authenticate(session: Session, key: str | None) -> KeyHolder:
    """The holder of a valid, unrevoked key; ``Unauthorized`` otherwise."""
    if not key:
        raise Unauthorized(N_("missing X-API-Key header"))
    row = session.scalars(select(ApiKey).where(ApiKey.key_hash == _digest(key))).first()
    if row is None or row.revoked_at is not None:
        raise Unauthorized(N_("invalid or revoked API key"))
    return KeyHolder(row.id, Source(row.channel_id, row.campaign_id, row.content_id), row.form_name)
