"""The Dramatiq actors (relay, deliver, periodic task runner), bound to one broker and database."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

import dramatiq
import httpx
from dramatiq import Broker
from sqlalchemy import Engine

from closeloop.config import Settings
from closeloop.db.types import utcnow
from closeloop.jobs.deliver import Claim, Outcome, deliver
from closeloop.jobs.email import compose, send_email
from closeloop.jobs.relay import EMAIL, WEBHOOK
from closeloop.jobs.schedule import DISPATCH, REDRIVE, PeriodicTask, default_schedule, resolve
from closeloop.jobs.tasks import run_dispatch, run_redrive
from closeloop.jobs.webhooks import DeliveryFailed, event_body, http_client, post_webhook

log = logging.getLogger(__name__)

PERIODIC_QUEUE = "periodic"
DELIVERY_QUEUE = "deliveries"
MINUTE_MS = 60_000


class JobSystem:
    """The actors of one broker, working on one database."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        broker: Broker,
        *,
        schedule: list[PeriodicTask] | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.broker = broker
        self.schedule = schedule if schedule is not None else default_schedule(settings)
        self._tasks = {task.name: task for task in self.schedule}
        self._http: httpx.Client | None = None  # made on first use (an SSL context is slow)
        send_seconds = settings.webhook_timeout_seconds + settings.smtp_timeout_seconds
        self.deliver_actor: dramatiq.Actor[[int], None] = dramatiq.Actor(
            self._deliver,
            broker=broker,
            actor_name="closeloop.deliver",
            queue_name=DELIVERY_QUEUE,
            priority=10,
            options={
                # The database counts attempts and dead-letters; the queue just keeps retrying
                # (a few spare retries for attempts lost with a crashed worker).
                "max_retries": settings.delivery_max_attempts + 3,
                "time_limit": int((send_seconds + 30) * 1000),
            },
        )
        self.dispatch_actor: dramatiq.Actor[[int], None] = dramatiq.Actor(
            self._dispatch,
            broker=broker,
            actor_name="closeloop.dispatch",
            queue_name=PERIODIC_QUEUE,
            priority=0,
            options={"max_retries": 0, "time_limit": MINUTE_MS},
        )
        self.periodic_actor: dramatiq.Actor[[str, int], None] = dramatiq.Actor(
            self._periodic,
            broker=broker,
            actor_name="closeloop.periodic",
            queue_name=PERIODIC_QUEUE,
            priority=0,
            options={"max_retries": 0, "time_limit": 30 * MINUTE_MS},
        )

    # ---- enqueueing -------------------------------------------------------------------------

    def enqueue_deliveries(self, delivery_ids: list[int]) -> None:
        """One deliver message per delivery id."""
        for delivery_id in delivery_ids:
            self.deliver_actor.send(delivery_id)

    def enqueue_task(self, task: PeriodicTask, slot: int) -> None:
        """One run of a periodic task; a run older than its interval (or 30 s) is dropped."""
        max_age = int(max(task.interval, 30) * 1000)
        if task.target == DISPATCH:
            self.dispatch_actor.send_with_options(args=(slot,), max_age=max_age)
        else:
            self.periodic_actor.send_with_options(args=(task.name, slot), max_age=max_age)

    # ---- the actors' bodies -----------------------------------------------------------------

    # Actors return None: Dramatiq keeps no results here (no Results middleware); they log.

    def _dispatch(self, slot: int) -> None:
        result = self._run_dispatch()
        if result["events"]:
            log.info("%s: %s", DISPATCH, result)

    def _run_dispatch(self) -> dict[str, Any]:
        return run_dispatch(
            self.engine,
            now=utcnow(),
            enqueue=self.enqueue_deliveries,
            batch_size=self.settings.dispatch_batch_size,
            email=self.settings.smtp_host is not None,  # no mail server: webhooks only
        )

    def _periodic(self, name: str, slot: int) -> None:
        result = self.run_task(name, slot)
        log.info("%s: %s", name, result)

    def run_task(self, name: str, slot: int) -> dict[str, Any]:
        """Run one periodic task of this worker's schedule now; its result."""
        task = self._tasks.get(name)
        if task is None:
            log.warning("periodic task %s is not in this worker's schedule; skipped", name)
            return {"skipped": "unknown task"}
        if task.target == DISPATCH:
            return self._run_dispatch()
        if task.target == REDRIVE:
            # Never redrive a delivery that is only waiting out its retry backoff.
            older = max(
                self.settings.redrive_after_seconds,
                self.settings.delivery_backoff_max_seconds + 60,
            )
            return run_redrive(
                self.engine,
                now=utcnow(),
                enqueue=self.enqueue_deliveries,
                older_than=timedelta(seconds=older),
            )
        function = resolve(task.target)
        if function is None:
            return {"skipped": "not installed"}
        started = time.monotonic()
        result = function(self.engine, now=utcnow())
        return {**(result or {}), "seconds": round(time.monotonic() - started, 3)}

    def _deliver(self, delivery_id: int) -> None:
        outcome = deliver(
            self.engine,
            delivery_id=delivery_id,
            send=self.send,
            max_attempts=self.settings.delivery_max_attempts,
            lease=timedelta(seconds=self.settings.sending_lease_seconds),
        )
        if outcome is Outcome.RETRY:
            # The failed attempt is committed; Retries re-enqueues with exponential backoff.
            raise dramatiq.Retry(f"delivery {delivery_id} failed; will retry")
        log.debug("delivery %s: %s", delivery_id, outcome.value)

    def send(self, found: Claim) -> None:
        """Send one claimed delivery over its channel; raise ``DeliveryFailed`` on failure."""
        if found.channel == WEBHOOK:
            assert found.url is not None and found.secret is not None
            if self._http is None:
                self._http = http_client(self.settings.webhook_timeout_seconds)
            post_webhook(
                self._http,
                url=found.url,
                secret=found.secret,
                body=event_body(found.event_id, found.topic, found.created_at, found.payload),
                topic=found.topic,
                event_id=found.event_id,
                delivery_id=found.delivery_id,
                timestamp=int(time.time()),
            )
        elif found.channel == EMAIL:
            message = compose(
                self.settings,
                to=found.target,
                event_id=found.event_id,
                email=found.payload["email"],
            )
            send_email(self.settings, message)
        else:
            raise DeliveryFailed(f"unknown channel {found.channel!r}")

    def close(self) -> None:
        """Release the HTTP connections."""
        if self._http is not None:
            self._http.close()
