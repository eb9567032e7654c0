"""Capturing one lead sent over HTTP: the same path as an import, plus idempotency keys."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from closeloop.config import Settings
from closeloop.db.locks import lock_keys
from closeloop.db.types import utcnow
from closeloop.errors import Conflict, Invalid
from closeloop.i18n import N_
from closeloop.leads.apikeys import KeyHolder
from closeloop.leads.capture.attribution import Attribution
from closeloop.leads.capture.decide import capture_lock_keys
from closeloop.leads.capture.headers import FIELDS
from closeloop.leads.capture.record import Rejection, clean_record, source_key
from closeloop.leads.capture.service import capture_batch
from closeloop.leads.qualify import qualify_lead
from closeloop.leads.schemas import LeadIn
from closeloop.models import IdempotencyKey, Lead

IDENTITY_MAPPING = {name: name for name in FIELDS}


@dataclass(frozen=True)
class Captured:
    lead: Lead
    created: bool  # False: merged into (or already was) an existing lead


def capture_one(
    session: Session,
    *,
    payload: LeadIn,
    holder: KeyHolder,
    settings: Settings,
    idempotency_key: str | None = None,
) -> Captured:
    """Capture one lead for the key's source, then score and route it (a repeat of an earlier
    Idempotency-Key returns the lead as it is); the session must have begun with begin_writing."""
    raw = payload.model_dump(exclude={"touch", "default_region"}, exclude_none=True, mode="json")
    if payload.touch:
        raw.update(payload.touch.model_dump(exclude_none=True))
    if holder.form_name and "form_name" not in raw:
        raw["form_name"] = holder.form_name
    region = (payload.default_region or settings.default_region or "").upper() or None
    # The country decides what a national phone number means: it is part of the request.
    request_hash = hashlib.sha256(
        json.dumps({**raw, "default_region": region}, sort_keys=True).encode()
    ).hexdigest()
    key = source_key(
        {
            "api_key": holder.api_key_id,
            "idempotency_key": idempotency_key,
            "default_region": region,
            **raw,
        }
    )
    item = clean_record(raw, IDENTITY_MAPPING, row_number=None, default_region=region, key=key)
    if isinstance(item, Rejection):
        raise Invalid(item.reason, field=f"body.{item.field}")
    # Every lock in one sorted call: taking them in two steps could deadlock with another request.
    idempotency_lock = [f"i:{holder.api_key_id}:{idempotency_key}"] if idempotency_key else []
    lock_keys(session, [*idempotency_lock, *capture_lock_keys([item])])
    if idempotency_key:
        earlier = session.scalars(
            select(IdempotencyKey).where(
                IdempotencyKey.api_key_id == holder.api_key_id,
                IdempotencyKey.key == idempotency_key,
            )
        ).first()
        if earlier is not None:
            if earlier.request_hash != request_hash:
                raise Conflict(
                    N_("this Idempotency-Key was used with a different body"),
                    field="header.idempotency-key",
                )
            return Captured(_current(session, earlier.lead_id), earlier.status_code == 201)

    needs_lookup = bool(item.utm or item.source) and holder.source.content_id is None
    result = capture_batch(
        session,
        [item],
        source=holder.source,
        settings=settings,
        attribution=Attribution.cached(session) if needs_lookup else None,
        locked=True,
    )
    outcome = result.outcomes[0]
    assert outcome.lead_id is not None
    created = outcome.kind == "created"
    if idempotency_key:
        session.add(
            IdempotencyKey(
                api_key_id=holder.api_key_id,
                key=idempotency_key,
                request_hash=request_hash,
                status_code=201 if created else 200,
                lead_id=outcome.lead_id,
            )
        )
        session.flush()
    lead = _current(session, outcome.lead_id)
    # Speed to lead: scored, routed and its SLA clock started in this same transaction.
    qualify_lead(session, lead_id=lead.id, at=utcnow())
    return Captured(lead, created)


def _current(session: Session, lead_id: int) -> Lead:
    """The lead as it is now; if it was merged since, the lead it lives on in."""
    lead = session.get_one(Lead, lead_id)
    while lead.merged_into_id is not None:
        lead = session.get_one(Lead, lead.merged_into_id)
    return lead
