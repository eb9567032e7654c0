"""`closeloop worker` as real processes on PostgreSQL and Redis: a worker killed mid-batch, and
two workers sharing one outbox. Delivery is at least once: the only repeats a receiver may see
are the requests that were in flight when a worker died; every delivery ends delivered once.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from closeloop.db.engine import unit_of_work
from closeloop.db.types import utcnow
from closeloop.jobs.outbox import emit_many
from closeloop.jobs.subscriptions import add_subscription
from tests.capture.helpers import _console_script
from tests.jobs.conftest import Receiver, closeloop_env, deliveries, wait_for

POSTGRESQL_ONLY = pytest.mark.parametrize("backend", ["postgresql"])
THREADS = 4


class Workers:
    """Starts `closeloop worker` processes; kills whatever is left at the end."""

    def __init__(self, db_url: str, environment: dict[str, str], logs: Path) -> None:
        self.db_url, self.environment, self.logs = db_url, environment, logs
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, name: str) -> subprocess.Popen[bytes]:
        log = (self.logs / f"worker-{name}.log").open("wb")
        process = subprocess.Popen(
            [_console_script(), "--db", self.db_url, "worker", "--threads", str(THREADS)],
            env=self.environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes.append(process)
        return process

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.logs.glob("*.log")))

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait()


@pytest.fixture
def workers(
    db_url: str, redis_url: str, queue_prefix: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Workers]:
    overrides: dict[str, Any] = getattr(request, "param", {})
    started = Workers(db_url, closeloop_env(redis_url, queue_prefix, **overrides), tmp_path)
    yield started
    started.close()


def add_events(engine: Engine, receiver: Receiver, numbers: range) -> None:
    with unit_of_work(engine) as session:
        if numbers.start == 0:
            add_subscription(session, url=receiver.url, topics=["lead.*"])
        now = utcnow()
        emit_many(
            session,
            [
                {
                    "topic": "lead.assigned",
                    "lead_id": n,
                    "payload": {"lead_id": n},
                    "created_at": now,
                }
                for n in numbers
            ],
        )


def delivered_event_ids(engine: Engine) -> set[int]:
    return {d.event_id for d in deliveries(engine) if d.status == "delivered"}


def stop(process: subprocess.Popen[bytes], workers: Workers) -> None:
    """SIGTERM, and the worker must finish and exit 0 promptly."""
    process.send_signal(signal.SIGTERM)
    try:
        assert process.wait(timeout=15) == 0, workers.log_text()
    except subprocess.TimeoutExpired:
        pytest.fail(f"the worker did not stop on SIGTERM\n{workers.log_text()}")


@POSTGRESQL_ONLY
@pytest.mark.parametrize(
    "workers",
    [{"worker_heartbeat_timeout_seconds": 1.5, "redis_maintenance_chance": 1_000_000}],
    indirect=True,
)
def test_a_worker_killed_mid_batch_is_finished_by_another_without_losing_anything(
    engine: Engine, receiver: Receiver, workers: Workers
) -> None:
    events = 80
    receiver.delay = 0.2  # slow: the first worker is surely mid-batch when it dies
    add_events(engine, receiver, range(events))

    first = workers.start("first")
    wait_for(lambda: receiver.count() >= 16, timeout=20, what="the first deliveries")
    first.send_signal(signal.SIGKILL)
    first.wait()
    time.sleep(receiver.delay + 0.3)  # requests the dead worker had sent finish at the receiver
    # In flight at the kill: the receiver got them, the database never heard the answer.
    in_flight = set(receiver.started) - delivered_event_ids(engine)
    assert len(in_flight) <= THREADS
    assert len(delivered_event_ids(engine)) < events, "killed too late to be mid-batch"

    second = workers.start("second")
    wait_for(
        lambda: len(delivered_event_ids(engine)) == events,
        timeout=25,
        what=f"every delivery\n{workers.log_text()}",
    )
    stop(second, workers)

    rows = deliveries(engine)
    assert len(rows) == events
    assert {(d.status, d.attempts) for d in rows} == {("delivered", 1)}  # killed tries rolled back
    seen = Counter(receiver.event_ids())
    assert set(seen) == {d.event_id for d in rows}
    repeated = {event_id for event_id, times in seen.items() if times > 1}
    assert repeated <= in_flight
    assert sum(seen.values()) - len(seen) <= len(in_flight)


@POSTGRESQL_ONLY
def test_two_workers_share_one_outbox_and_deliver_each_event_once(
    engine: Engine, receiver: Receiver, workers: Workers
) -> None:
    receiver.delay = 0.05
    add_events(engine, receiver, range(40))
    first, second = workers.start("a"), workers.start("b")
    for start in range(40, 120, 20):  # more events while both relay and deliver
        time.sleep(0.3)
        add_events(engine, receiver, range(start, start + 20))

    wait_for(
        lambda: len(delivered_event_ids(engine)) == 120,
        timeout=25,
        what=f"every delivery\n{workers.log_text()}",
    )
    stop(first, workers)
    stop(second, workers)

    rows = deliveries(engine)
    assert len(rows) == 120
    assert {(d.status, d.attempts) for d in rows} == {("delivered", 1)}
    seen = Counter(receiver.event_ids())
    assert set(seen) == {d.event_id for d in rows}
    assert max(seen.values()) == 1
    assert "Traceback" not in workers.log_text()
