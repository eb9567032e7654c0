"""Deliveries through the real job system (Dramatiq on Redis, threads in this process).

A local HTTP receiver fails on purpose; retries back off 0.05 → 0.2 s; a delivery dies after 4
attempts (fast_settings). Both databases.
"""

from __future__ import annotations

import time
from datetime import timedelta
from email.header import decode_header, make_header
from typing import Any

from sqlalchemy import Engine

from closeloop.config import Settings
from closeloop.db.engine import unit_of_work
from closeloop.db.locks import begin_writing
from closeloop.db.types import utcnow
from closeloop.jobs.deliver import Claim, Outcome, deliver
from closeloop.jobs.outbox import emit
from closeloop.jobs.relay import dispatch_outbox
from closeloop.jobs.subscriptions import add_subscription
from closeloop.jobs.webhooks import verify
from tests.jobs.conftest import (
    Mailbox,
    Receiver,
    deliveries,
    fast_settings,
    running,
    statuses,
    wait_for,
)

SECRET = "test-secret-0123456789"


def subscribe(engine: Engine, url: str, topics: list[str] | None = None) -> int:
    with unit_of_work(engine) as session:
        row, _ = add_subscription(session, url=url, topics=topics or ["lead.*"], secret=SECRET)
        return row.id


def emit_committed(engine: Engine, topic: str, payload: dict[str, Any]) -> None:
    with unit_of_work(engine) as session:
        emit(session, topic, payload, lead_id=payload.get("lead_id"))


def test_a_webhook_failing_twice_is_delivered_on_the_third_attempt(
    engine: Engine, settings: Settings, receiver: Receiver
) -> None:
    receiver.respond = lambda event_id, earlier: 503 if earlier < 2 else 204
    subscribe(engine, receiver.url)
    emit_committed(engine, "lead.assigned", {"lead_id": 7, "owner": "李娜"})

    with running(settings, engine):
        wait_for(lambda: statuses(engine) == ["delivered"], what="the delivery")

    (delivery,) = deliveries(engine)
    assert (delivery.attempts, delivery.last_error) == (3, None)
    assert [r.status for r in receiver.requests] == [503, 503, 204]
    assert receiver.event_ids() == [delivery.event_id]
    for request in receiver.requests:
        assert verify(
            SECRET, request.headers["x-closeloop-signature"], request.body, now=time.time()
        )
        assert not verify(
            "another-secret-xxxxxxxx",
            request.headers["x-closeloop-signature"],
            request.body,
            now=time.time(),
        )
        assert request.headers["x-closeloop-event"] == "lead.assigned"
        assert request.headers["x-closeloop-delivery"] == str(delivery.id)
        assert request.headers["content-type"] == "application/json"
        document = request.document
        assert (document["id"], document["topic"], document["payload"]) == (
            delivery.event_id,
            "lead.assigned",
            {"lead_id": 7, "owner": "李娜"},
        )
        assert document["created_at"].endswith("+00:00")


def test_a_webhook_that_always_fails_is_dead_after_the_last_attempt_and_then_left_alone(
    engine: Engine, settings: Settings, receiver: Receiver
) -> None:
    receiver.respond = lambda event_id, earlier: 500
    subscribe(engine, receiver.url)
    emit_committed(engine, "lead.sla_breached", {"lead_id": 9})

    with running(settings, engine):
        wait_for(lambda: statuses(engine) == ["dead"], what="the dead letter")
        time.sleep(1.0)  # five times the longest backoff: any further try would show up

    (delivery,) = deliveries(engine)
    assert delivery.attempts == settings.delivery_max_attempts == 4
    assert delivery.last_error == f"HTTP 500 from {receiver.url}"
    assert receiver.count() == 4


def test_a_receiver_that_is_down_is_a_failure_with_the_reason(
    engine: Engine, settings: Settings
) -> None:
    subscribe(engine, "http://127.0.0.1:9/closed-port")
    emit_committed(engine, "lead.mql", {"lead_id": 1})

    with running(settings.model_copy(update={"delivery_max_attempts": 2}), engine):
        wait_for(lambda: statuses(engine) == ["dead"], what="the dead letter")

    (delivery,) = deliveries(engine)
    assert delivery.attempts == 2
    assert "ConnectError" in (delivery.last_error or "")


def test_an_event_with_email_reaches_the_smtp_server(
    engine: Engine, db_url: str, redis_url: str, queue_prefix: str, mailbox: Mailbox
) -> None:
    settings = fast_settings(
        db_url,
        redis_url=redis_url,
        queue_prefix=queue_prefix,
        smtp_host=mailbox.host,
        smtp_port=mailbox.port,
        smtp_from="crm@closeloop.example",
    )
    email = {
        "to": ["li.na@huaxin.cn"],
        "subject": "线索 #42 已分配给你",
        "body": "请在2小时内联系。",
    }
    emit_committed(engine, "lead.assigned", {"lead_id": 42, "email": email})

    with running(settings, engine):
        wait_for(lambda: statuses(engine) == ["delivered"], what="the e-mail")

    ((recipients, message),) = mailbox.messages
    assert recipients == ["li.na@huaxin.cn"]
    assert message["To"] == "li.na@huaxin.cn"
    assert message["From"] == "crm@closeloop.example"
    assert str(make_header(decode_header(message["Subject"]))) == "线索 #42 已分配给你"
    assert message.get_payload(decode=True).decode().strip() == "请在2小时内联系。"
    assert message["X-Closeloop-Event-Id"] == str(deliveries(engine)[0].event_id)


def test_an_unreachable_smtp_server_is_a_recorded_failure(
    engine: Engine, db_url: str, redis_url: str, queue_prefix: str
) -> None:
    settings = fast_settings(
        db_url,
        redis_url=redis_url,
        queue_prefix=queue_prefix,
        smtp_host="127.0.0.1",
        smtp_port=9,
        delivery_max_attempts=2,
    )
    emit_committed(engine, "lead.assigned", {"email": {"to": ["a@b.cn"], "subject": "x"}})

    with running(settings, engine):
        wait_for(lambda: statuses(engine) == ["dead"], what="the dead letter")

    assert (deliveries(engine)[0].last_error or "").startswith("SMTP: ")


def test_delivering_a_delivered_delivery_again_sends_nothing(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        add_subscription(session, url="http://127.0.0.1:9/x", topics=["*"], secret=SECRET)
        emit(session, "lead.mql", {"lead_id": 1})
    with unit_of_work(engine) as session:
        begin_writing(session)
        (delivery_id,) = dispatch_outbox(session, now=utcnow(), limit=10).delivery_ids
    sent: list[Claim] = []

    def handle() -> Outcome:
        return deliver(
            engine,
            delivery_id=delivery_id,
            send=sent.append,
            max_attempts=3,
            lease=timedelta(minutes=2),
        )

    assert handle() is Outcome.DELIVERED
    assert handle() is Outcome.SKIPPED  # the same message handled twice
    assert len(sent) == 1
    assert (deliveries(engine)[0].status, deliveries(engine)[0].attempts) == ("delivered", 1)


def test_a_removed_subscription_makes_its_delivery_dead_at_once(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        row, _ = add_subscription(session, url="http://127.0.0.1:9/x", topics=["*"])
        emit(session, "lead.mql", {"lead_id": 1})
    with unit_of_work(engine) as session:
        begin_writing(session)
        (delivery_id,) = dispatch_outbox(session, now=utcnow(), limit=10).delivery_ids
        session.delete(row)

    outcome = deliver(
        engine, delivery_id=delivery_id, send=lambda claim: None, max_attempts=8,
        lease=timedelta(minutes=2),
    )  # fmt: skip

    assert outcome is Outcome.DEAD
    assert "was removed" in (deliveries(engine)[0].last_error or "")


def test_an_unexpected_error_while_sending_is_a_counted_failure(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        add_subscription(session, url="http://127.0.0.1:9/x", topics=["*"], secret=SECRET)
        emit(session, "lead.mql", {"lead_id": 1})
    with unit_of_work(engine) as session:
        begin_writing(session)
        (delivery_id,) = dispatch_outbox(session, now=utcnow(), limit=10).delivery_ids

    def broken(claim: Claim) -> None:
        raise KeyError("no such thing")

    outcome = deliver(
        engine, delivery_id=delivery_id, send=broken, max_attempts=3, lease=timedelta(minutes=2)
    )

    assert outcome is Outcome.RETRY
    (row,) = deliveries(engine)
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "KeyError: 'no such thing'")
