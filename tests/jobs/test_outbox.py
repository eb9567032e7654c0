"""The outbox and its relay: an event lives and dies with its change; events become deliveries.

Hand-computed set-up: subscriptions A (``*``), B (``lead.*``), C (``lead.assigned``) and an
inactive D (``*``). An event ``lead.assigned`` with two e-mail addresses therefore gets
deliveries to A, B, C and both addresses (5); ``lead.mql`` to A and B; ``order.won`` to A only.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from closeloop.db.engine import session_factory, unit_of_work
from closeloop.db.locks import begin_writing
from closeloop.db.types import utcnow
from closeloop.jobs.outbox import emit, emit_many
from closeloop.jobs.relay import dispatch_outbox, email_recipients, redrive, topic_matches
from closeloop.leads.states import transition
from closeloop.models import EventDelivery, Lead, OutboxEvent, WebhookSubscription
from tests import factories
from tests.jobs.conftest import deliveries

T0 = factories.at(2026, 3, 2, 9)


def subscribe(session: Session, topics: list[str], *, active: bool = True) -> int:
    row = WebhookSubscription(
        url="http://127.0.0.1:9/x", secret="s" * 20, topics=topics, is_active=active
    )
    session.add(row)
    session.flush()
    return row.id


def relay(engine: Engine, *, limit: int = 100, now=T0):  # type: ignore[no-untyped-def]
    with unit_of_work(engine) as session:
        begin_writing(session)
        return dispatch_outbox(session, now=now, limit=limit)


def count(engine: Engine, model: type) -> int:
    with session_factory(engine)() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_topic_patterns() -> None:
    assert topic_matches(["*"], "order.won")
    assert topic_matches(["lead.*"], "lead.assigned")
    assert not topic_matches(["lead.*"], "leads.assigned")
    assert not topic_matches(["lead.*"], "lead")
    assert topic_matches(["order.won", "lead.assigned"], "lead.assigned")
    assert not topic_matches(["lead.assigned"], "lead.assigned_again")
    assert not topic_matches([], "lead.mql")


def test_email_recipients_are_cleaned_and_deduplicated() -> None:
    payload = {"email": {"to": [" rep@a.cn", "rep@a.cn", "", 7, "boss@a.cn"], "subject": "x"}}
    assert email_recipients(payload) == ["rep@a.cn", "boss@a.cn"]
    assert email_recipients({"email": {"to": "one@a.cn"}}) == ["one@a.cn"]
    assert email_recipients({"lead_id": 1}) == []


def test_a_rolled_back_change_takes_its_event_with_it_and_nothing_is_delivered(
    engine: Engine,
) -> None:
    with unit_of_work(engine) as session:
        subscribe(session, ["*"])
        lead = factories.lead(session, T0)
        lead_id = lead.id
    with pytest.raises(RuntimeError), unit_of_work(engine) as session:
        lead = session.get_one(Lead, lead_id)
        transition(session, lead, "working", at=T0, reason="first call")
        session.flush()  # the event row is written in this transaction …
        raise RuntimeError("… which then fails")

    with session_factory(engine)() as session:
        assert session.get_one(Lead, lead_id).status == "new"
    assert count(engine, OutboxEvent) == 0
    assert relay(engine).delivery_ids == []
    assert deliveries(engine) == []


def test_a_committed_change_has_its_event(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        lead = factories.lead(session, T0)
        transition(session, lead, "working", at=T0, reason="first call")
    with session_factory(engine)() as session:
        event = session.scalars(select(OutboxEvent)).one()
    assert (event.topic, event.payload["to"], event.dispatched_at) == (
        "lead.status_changed",
        "working",
        None,
    )


def test_dispatch_makes_one_delivery_per_matching_subscription_and_address(
    engine: Engine,
) -> None:
    with unit_of_work(engine) as session:
        a, b, c = (
            subscribe(session, ["*"]),
            subscribe(session, ["lead.*"]),
            subscribe(session, ["lead.assigned"]),
        )
        subscribe(session, ["*"], active=False)
        to = ["rep@huaxin.cn", "boss@huaxin.cn"]
        emit(session, "lead.assigned", {"lead_id": 1, "email": {"to": to, "subject": "New"}})
        emit(session, "lead.mql", {"lead_id": 2})
        emit(session, "order.won", {"order_id": 3})

    result = relay(engine)

    assert result.events == 3
    rows = deliveries(engine)
    assert sorted(result.delivery_ids) == [d.id for d in rows]
    by_event: dict[int, set[tuple[str, str]]] = {}
    for d in rows:
        by_event.setdefault(d.event_id, set()).add((d.channel, d.target))
        assert (d.status, d.attempts) == ("pending", 0)
    assert list(by_event.values()) == [
        {
            ("webhook", str(a)),
            ("webhook", str(b)),
            ("webhook", str(c)),
            ("email", "rep@huaxin.cn"),
            ("email", "boss@huaxin.cn"),
        },
        {("webhook", str(a)), ("webhook", str(b))},
        {("webhook", str(a))},
    ]
    with session_factory(engine)() as session:
        assert session.scalar(select(func.count()).where(OutboxEvent.dispatched_at.is_(None))) == 0


def test_without_a_mail_server_events_reach_webhooks_only(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        subscribe(session, ["lead.*"])
        emit(session, "lead.assigned", {"email": {"to": ["rep@example.cn"], "subject": "yours"}})
    with unit_of_work(engine) as session:
        begin_writing(session)
        dispatched = dispatch_outbox(session, now=T0, limit=10, email=False)
    assert dispatched.events == 1
    assert [(d.channel, d.target) for d in deliveries(engine)] == [("webhook", "1")]


def test_a_second_dispatch_finds_nothing_and_batches_respect_the_limit(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        subscribe(session, ["*"])
        for number in range(5):
            emit(session, "lead.mql", {"lead_id": number})

    first, second, third = relay(engine, limit=3), relay(engine, limit=3), relay(engine, limit=3)

    assert (first.events, second.events, third.events) == (3, 2, 0)
    assert len(first.delivery_ids) + len(second.delivery_ids) == 5
    assert count(engine, EventDelivery) == 5


def test_events_without_any_target_are_marked_dispatched(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        emit(session, "lead.mql", {"lead_id": 1})
    assert relay(engine).events == 1
    assert relay(engine).events == 0
    assert count(engine, EventDelivery) == 0


def test_redrive_hands_out_only_pending_deliveries_untouched_for_a_while(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        subscribe(session, ["*"])
        for number in range(3):
            emit(session, "lead.mql", {"lead_id": number})
    ids = relay(engine, now=T0).delivery_ids
    with unit_of_work(engine) as session:  # one delivered, one touched recently
        session.execute(
            update(EventDelivery).where(EventDelivery.id == ids[0]).values(status="delivered")
        )
        session.execute(
            update(EventDelivery)
            .where(EventDelivery.id == ids[1])
            .values(updated_at=T0 + timedelta(minutes=14))
        )

    def run(now):  # type: ignore[no-untyped-def]
        with unit_of_work(engine) as session:
            begin_writing(session)
            return redrive(session, now=now, older_than=timedelta(minutes=15))

    assert run(T0 + timedelta(minutes=14)) == []
    assert run(T0 + timedelta(minutes=16)) == [ids[2]]
    assert run(T0 + timedelta(minutes=17)) == []  # just handed out: not again for 15 minutes
    assert run(T0 + timedelta(minutes=30)) == [ids[1]]
    assert run(T0 + timedelta(minutes=32)) == [ids[2]]


def test_events_written_in_bulk_read_back_as_written(engine: Engine) -> None:
    """emit_many's rows (COPY on PostgreSQL): text in any script, nesting, nulls and the
    numpy numbers that scoring computes come back as the same JSON values."""
    payload = {
        "subject": "SLA breached: lead #7 张伟, 上海某某科技有限公司 — «Ёлка»",
        "email": {"to": ["ana@example.com"], "cc": []},
        "score": np.float64(0.125),
        "points": np.int64(12),
        "level": 2,
        "manager_id": None,
    }
    with unit_of_work(engine) as session:
        lead = factories.lead(session, T0)
        emit_many(session, [{"topic": "lead.sla_breached", "lead_id": lead.id,
                             "created_at": utcnow(), "payload": payload}])  # fmt: skip
    with unit_of_work(engine) as session:
        stored = session.scalars(select(OutboxEvent.payload)).one()
    assert stored == {**payload, "score": 0.125, "points": 12}
    assert type(stored["score"]) is float and type(stored["points"]) is int
