"""Webhook subscriptions: add, list, remove."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from closeloop.db.types import utcnow
from closeloop.errors import Invalid, NotFound
from closeloop.i18n import N_
from closeloop.jobs.webhooks import new_secret
from closeloop.models import WebhookSubscription

# "*", a dotted topic ("lead.assigned") or a dotted prefix with a star ("lead.*").
TOPIC_PATTERN = re.compile(r"^(\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?)$")


def parse_topics(text: str) -> list[str]:
    """``lead.*,lead.assigned`` → a list; raise ``Invalid`` naming the bad topic."""
    topics = [part.strip() for part in text.split(",") if part.strip()]
    if not topics:
        raise Invalid(N_("give at least one topic (e.g. * or lead.*)"), field="topics")
    for topic in topics:
        if not TOPIC_PATTERN.match(topic):
            raise Invalid(
                N_("%(topic)r is not a topic: use *, lead.assigned or lead.*"),
                field="topics",
                topic=topic,
            )
    return list(dict.fromkeys(topics))


def add_subscription(
    session: Session, *, url: str, topics: list[str], secret: str | None = None
) -> tuple[WebhookSubscription, bool]:
    """Subscribe a URL; returns the row and whether its secret was generated."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Invalid(N_("%(url)r is not an http(s) URL"), field="url", url=url)
    if len(url) > 1000:
        raise Invalid(N_("longer than %(max)s characters"), field="url", max=1000)
    if secret is not None and len(secret) < 16:
        raise Invalid(N_("a secret needs at least 16 characters"), field="secret")
    generated = secret is None
    row = WebhookSubscription(
        url=url,
        secret=secret or new_secret(),
        topics=topics,
        is_active=True,
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return row, generated


def list_subscriptions(session: Session) -> list[WebhookSubscription]:
    """Every subscription, oldest first."""
    return list(session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id)))


def remove_subscription(session: Session, subscription_id: int) -> None:
    """Delete a subscription; its undelivered deliveries end dead when next tried."""
    row = session.get(WebhookSubscription, subscription_id)
    if row is None:
        raise NotFound(N_("webhook %(id)s: no such subscription"), id=subscription_id)
    session.delete(row)
    session.flush()
