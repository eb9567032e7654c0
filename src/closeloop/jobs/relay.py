"""The outbox relay: committed events become deliveries, one per webhook and e-mail address.

The relay claims undispatched events (PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so any number of
workers share the outbox without waiting on each other; SQLite: the caller's BEGIN IMMEDIATE
serializes them), writes their ``event_deliveries`` rows and marks the events dispatched, all in
the caller's transaction. The caller enqueues the returned delivery ids after it commits: a crash
in between leaves pending deliveries that ``redrive`` hands to the queue again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from closeloop.db.dialect import one_of
from closeloop.models import EventDelivery, OutboxEvent, WebhookSubscription

WEBHOOK = "webhook"
EMAIL = "email"
PENDING = "pending"
SENDING = "sending"  # SQLite only: leased by a process that is sending it now
DELIVERED = "delivered"
DEAD = "dead"


def topic_matches(patterns: Iterable[str], topic: str) -> bool:
    """``*`` matches every topic, ``lead.*`` every topic under ``lead.``, else exact match."""
    for pattern in patterns:
        if pattern == "*" or pattern == topic:
            return True
        if pattern.endswith(".*") and topic.startswith(pattern[:-1]):
            return True
    return False


def email_recipients(payload: dict[str, Any]) -> list[str]:
    """The addresses of an event's ``email.to`` (a string or a list), de-duplicated, in order."""
    email = payload.get("email")
    if not isinstance(email, dict):
        return []
    to = email.get("to") or []
    if isinstance(to, str):
        to = [to]
    seen: dict[str, None] = {}
    for address in to:
        if isinstance(address, str) and address.strip():
            seen.setdefault(address.strip(), None)
    return list(seen)


def delivery_rows(
    events: Sequence[tuple[int, str, dict[str, Any]]],
    subscriptions: Sequence[tuple[int, list[str]]],
    now: datetime,
    *,
    email: bool = True,
) -> list[dict[str, Any]]:
    """The deliveries of some events: each matching subscription, then each e-mail address
    (unless ``email`` is off)."""
    rows = []
    for event_id, topic, payload in events:
        targets = [
            (WEBHOOK, str(sub_id))
            for sub_id, topics in subscriptions
            if topic_matches(topics, topic)
        ]
        if email:
            targets += [(EMAIL, address) for address in email_recipients(payload or {})]
        rows += [
            {
                "event_id": event_id,
                "channel": channel,
                "target": target,
                "status": PENDING,
                "attempts": 0,
                "created_at": now,
                "updated_at": now,
            }
            for channel, target in targets
        ]
    return rows


@dataclass(frozen=True)
class Dispatched:
    """What one relay batch did: events claimed, and the pending deliveries to enqueue."""

    events: int
    delivery_ids: list[int]


def dispatch_outbox(
    session: Session, *, now: datetime, limit: int, email: bool = True
) -> Dispatched:
    """Turn up to ``limit`` undispatched events into pending deliveries (to enqueue after commit);
    with ``email`` off, events addressed to people reach webhooks only.

    On SQLite the session must have begun with ``closeloop.db.locks.begin_writing``.
    """
    dialect = session.get_bind().dialect.name
    oldest = (
        select(OutboxEvent.id)
        .where(OutboxEvent.dispatched_at.is_(None))
        .order_by(OutboxEvent.id)
        .limit(limit)
    )
    if dialect == "postgresql":
        oldest = oldest.with_for_update(skip_locked=True)
    claimed = session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.id.in_(oldest.scalar_subquery()))
        .values(dispatched_at=now)
        .returning(OutboxEvent.id, OutboxEvent.topic, OutboxEvent.payload)
        .execution_options(synchronize_session=False)
    ).all()
    if not claimed:
        return Dispatched(0, [])
    subscriptions = session.execute(
        select(WebhookSubscription.id, WebhookSubscription.topics).where(
            WebhookSubscription.is_active
        )
    ).all()
    rows = delivery_rows(
        [(e.id, e.topic, e.payload) for e in claimed],
        [(s.id, list(s.topics or [])) for s in subscriptions],
        now,
        email=email,
    )
    if not rows:
        return Dispatched(len(claimed), [])
    _insert_deliveries(session, rows, now)
    # Ids of every pending delivery of these events, also any a crashed relay had written.
    ids = session.scalars(
        select(EventDelivery.id)
        .where(
            one_of(dialect, EventDelivery.__table__.c.event_id, sorted(e.id for e in claimed)),
            EventDelivery.status == PENDING,
        )
        .order_by(EventDelivery.id)
    )
    return Dispatched(len(claimed), list(ids))


def _insert_deliveries(session: Session, rows: list[dict[str, Any]], now: datetime) -> None:
    """Insert pending deliveries, skipping any that exist (the unique event/channel/target)."""
    if session.get_bind().dialect.name == "postgresql":
        # One statement with a column array each: several times faster than executemany.
        session.execute(
            text(
                "INSERT INTO event_deliveries "
                "(event_id, channel, target, status, attempts, created_at, updated_at) "
                "SELECT e, c, t, :status, 0, :now, :now FROM unnest("
                "CAST(:events AS int[]), CAST(:channels AS text[]), CAST(:targets AS text[])"
                ") AS u(e, c, t) ON CONFLICT DO NOTHING"
            ),
            {
                "status": PENDING,
                "now": now,
                "events": [row["event_id"] for row in rows],
                "channels": [row["channel"] for row in rows],
                "targets": [row["target"] for row in rows],
            },
        )
    else:
        session.execute(sqlite.insert(EventDelivery).on_conflict_do_nothing(), rows)


def redrive(
    session: Session, *, now: datetime, older_than: timedelta, limit: int = 10_000
) -> list[int]:
    """Pending deliveries untouched for ``older_than`` (and stale SQLite leases): ids to enqueue.

    Their ``updated_at`` moves to ``now``, so each is handed out again at most once a period.
    """
    cutoff = now - older_than
    stale = (
        select(EventDelivery.id)
        .where(EventDelivery.status.in_([PENDING, SENDING]), EventDelivery.updated_at < cutoff)
        .order_by(EventDelivery.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        stale = stale.with_for_update(skip_locked=True)
    return sorted(
        session.scalars(
            update(EventDelivery)
            .where(EventDelivery.id.in_(stale.scalar_subquery()))
            .values(updated_at=now)
            .returning(EventDelivery.id)
            .execution_options(synchronize_session=False)
        )
    )


def outbox_counts(session: Session) -> dict[str, int]:
    """Events not yet dispatched, and deliveries by status (pending, sending, delivered, dead)."""
    undispatched = session.scalar(
        text("SELECT count(*) FROM outbox_events WHERE dispatched_at IS NULL")
    )
    by_status: dict[str, int] = dict(
        session.execute(text("SELECT status, count(*) FROM event_deliveries GROUP BY status")).all()
    )
    return {
        "undispatched_events": int(undispatched or 0),
        "pending": int(by_status.get(PENDING, 0)),
        "sending": int(by_status.get(SENDING, 0)),
        "delivered": int(by_status.get(DELIVERED, 0)),
        "dead": int(by_status.get(DEAD, 0)),
    }
