"""Sending one delivery, idempotently: a delivery already delivered or dead sends nothing.

PostgreSQL: the delivery row stays locked (``FOR UPDATE SKIP LOCKED``) from the claim until the
outcome is committed, so two workers never send the same delivery at once; a worker that dies
mid-send loses its connection, its lock and its uncommitted attempt, and the queue hands the
message to another worker. A message that finds the row locked skips it: the holder's own
message finishes the job (or is redelivered if the holder dies).

SQLite: holding the database's single write lock during an HTTP call would stall every writer,
so the claim is a short transaction that leases the row (status ``sending``), the send runs
outside any transaction, and a second short transaction records the outcome. A lease left by a
dead process expires after ``sending_lease_seconds`` and ``redrive`` hands the delivery out again.

Either way a delivery is sent at least once; it is sent twice only when a sender died (or lost
its database) after the receiver accepted it and before the outcome was committed.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from closeloop.db.engine import unit_of_work
from closeloop.db.locks import begin_writing
from closeloop.db.types import utcnow
from closeloop.jobs.relay import DEAD, DELIVERED, EMAIL, PENDING, SENDING, WEBHOOK
from closeloop.jobs.webhooks import DeliveryFailed
from closeloop.models import EventDelivery, OutboxEvent, WebhookSubscription

log = logging.getLogger(__name__)


class Outcome(enum.StrEnum):
    """What handling one delivery message did."""

    DELIVERED = "delivered"
    RETRY = "retry"  # failed; the queue tries again after a backoff
    DEAD = "dead"  # failed for the last time (or cannot ever succeed)
    SKIPPED = "skipped"  # already delivered or dead, being sent by someone else, or gone


@dataclass(frozen=True)
class Claim:
    """Everything needed to send one delivery, read under the claim."""

    delivery_id: int
    channel: str
    target: str
    attempts: int  # including this one
    event_id: int
    topic: str
    created_at: datetime
    payload: dict[str, Any]
    url: str | None = None  # webhook: the subscription's URL and secret
    secret: str | None = None


Sender = Callable[[Claim], None]


def claim(session: Session, *, delivery_id: int, now: datetime, lease: timedelta) -> Claim | None:
    """Take a delivery for sending and count the attempt; None when there is nothing to send.

    On SQLite the session must have begun with ``begin_writing``.
    """
    postgresql = session.get_bind().dialect.name == "postgresql"
    query = select(EventDelivery).where(EventDelivery.id == delivery_id)
    if postgresql:
        query = query.with_for_update(skip_locked=True)
    delivery = session.scalars(query).one_or_none()
    if delivery is None or delivery.status in (DELIVERED, DEAD):
        return None
    if delivery.status == SENDING and delivery.updated_at > now - lease:
        return None  # SQLite: another thread or process is sending it right now
    event = session.get_one(OutboxEvent, delivery.event_id)
    delivery.attempts += 1
    delivery.updated_at = now
    if not postgresql:
        delivery.status = SENDING
    url = secret = None
    if delivery.channel == WEBHOOK:
        subscription = session.get(WebhookSubscription, int(delivery.target))
        if subscription is not None and subscription.is_active:
            url, secret = subscription.url, subscription.secret
    session.flush()
    return Claim(
        delivery.id,
        delivery.channel,
        delivery.target,
        delivery.attempts,
        event.id,
        event.topic,
        event.created_at,
        dict(event.payload or {}),
        url,
        secret,
    )


def record(
    session: Session, found: Claim, *, error: str | None, now: datetime, max_attempts: int
) -> Outcome:
    """Store the outcome of an attempt: delivered, back to pending for a retry, or dead."""
    delivery = session.get_one(EventDelivery, found.delivery_id)
    delivery.updated_at = now
    if error is None:
        delivery.status, delivery.delivered_at, delivery.last_error = DELIVERED, now, None
        outcome = Outcome.DELIVERED
    else:
        delivery.last_error = error[:2000]
        final = found.attempts >= max_attempts or error.startswith(PERMANENT)
        delivery.status = DEAD if final else PENDING
        outcome = Outcome.DEAD if final else Outcome.RETRY
    session.flush()
    return outcome


PERMANENT = "permanent: "  # errors that no retry can fix (a removed subscription)


def attempt(found: Claim, send: Sender) -> str | None:
    """Send; the error text of a failure, or None."""
    if found.channel == WEBHOOK and found.url is None:
        return f"{PERMANENT}webhook subscription {found.target} was removed or deactivated"
    if found.channel == EMAIL and not isinstance(found.payload.get("email"), dict):
        return f"{PERMANENT}event {found.event_id} has no e-mail part"
    try:
        send(found)
    except DeliveryFailed as error:
        return str(error) or "failed"
    except Exception as error:  # e.g. a URL httpx cannot parse: still a counted, failed attempt
        log.exception("delivery %s: unexpected error", found.delivery_id)
        return f"{type(error).__name__}: {error}"
    return None


def deliver(
    engine: Engine,
    *,
    delivery_id: int,
    send: Sender,
    max_attempts: int,
    lease: timedelta,
    now: datetime | None = None,
) -> Outcome:
    """Handle one delivery message: claim, send, record (see the module docstring)."""
    if engine.dialect.name == "postgresql":
        with unit_of_work(engine) as session:
            found = claim(session, delivery_id=delivery_id, now=now or utcnow(), lease=lease)
            if found is None:
                return Outcome.SKIPPED
            error = attempt(found, send)
            return record(session, found, error=error, now=utcnow(), max_attempts=max_attempts)
    with unit_of_work(engine) as session:
        begin_writing(session)
        found = claim(session, delivery_id=delivery_id, now=now or utcnow(), lease=lease)
    if found is None:
        return Outcome.SKIPPED
    error = attempt(found, send)
    with unit_of_work(engine) as session:
        begin_writing(session)
        return record(session, found, error=error, now=utcnow(), max_attempts=max_attempts)


def retry_dead(session: Session, *, delivery_ids: list[int] | None, now: datetime) -> list[int]:
    """Put dead deliveries (these, or all when None) back to pending with a fresh attempt count.

    Returns their ids; the caller enqueues them after commit (``closeloop outbox retry``).
    """
    query = select(EventDelivery).where(EventDelivery.status == DEAD)
    if delivery_ids is not None:
        query = query.where(EventDelivery.id.in_(delivery_ids))
    rows = list(session.scalars(query))
    for row in rows:
        row.status, row.attempts, row.updated_at = PENDING, 0, now
    session.flush()
    return sorted(row.id for row in rows)
