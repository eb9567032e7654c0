"""One process's job machinery: a Dramatiq worker (threads) plus the scheduler thread."""

from __future__ import annotations

import logging

import dramatiq
from dramatiq import Broker
from sqlalchemy import Engine

from closeloop.config import Settings
from closeloop.jobs.actors import JobSystem
from closeloop.jobs.broker import slot_claims
from closeloop.jobs.schedule import PeriodicTask, Scheduler, SlotClaims

log = logging.getLogger(__name__)


class Runtime:
    """Consume the queues with ``threads`` threads and run the schedule, until ``stop``."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        broker: Broker,
        *,
        threads: int,
        schedule: list[PeriodicTask] | None = None,
        claims: SlotClaims | None = None,
        poll_ms: int = 500,
    ) -> None:
        self.jobs = JobSystem(settings, engine, broker, schedule=schedule)
        self.broker = broker
        self.worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=poll_ms)
        self.scheduler = Scheduler(
            self.jobs.schedule, claims or slot_claims(broker, settings), self.jobs.enqueue_task
        )

    def start(self) -> None:
        self.worker.start()
        self.scheduler.start()

    def stop(self, timeout_seconds: float = 30) -> None:
        """Stop scheduling, let running messages finish, hand prefetched ones back to the queue."""
        self.scheduler.stop()
        self.worker.stop(timeout=int(timeout_seconds * 1000))
        self.jobs.close()
        self.broker.close()
