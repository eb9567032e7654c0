"""The scheduler: one run per task per time slot across any number of schedulers."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
import redis
from sqlalchemy import Engine

from closeloop.config import Settings
from closeloop.jobs.schedule import (
    LocalSlotClaims,
    PeriodicTask,
    RedisSlotClaims,
    Scheduler,
    resolve,
)
from tests.capture.helpers import SQLITE_ONLY
from tests.jobs import sample_tasks
from tests.jobs.conftest import running, wait_for

TASKS = [PeriodicTask("every_second", 1.0, "x:y"), PeriodicTask("every_2_5_s", 2.5, "x:y")]


def test_two_schedulers_enqueue_each_slot_once(redis_url: str, queue_prefix: str) -> None:
    client = redis.Redis.from_url(redis_url)
    clock = [1000.0]
    enqueued: list[tuple[str, int]] = []

    def scheduler() -> Scheduler:
        claims = RedisSlotClaims(client, queue_prefix)
        return Scheduler(
            TASKS,
            claims,
            lambda task, slot: enqueued.append((task.name, slot)),
            clock=lambda: clock[0],
        )

    first, second = scheduler(), scheduler()
    for step in range(101):  # 1000.0 … 1010.0 s, ten ticks a second, the second twice
        clock[0] = 1000 + step / 10
        first.tick()
        second.tick()
        second.tick()

    counts = Counter(enqueued)
    assert set(counts.values()) == {1}
    assert sorted(slot for name, slot in counts if name == "every_second") == list(
        range(1000, 1011)
    )
    assert sorted(slot for name, slot in counts if name == "every_2_5_s") == list(range(400, 405))
    client.close()


def test_scheduler_threads_racing_on_the_real_clock_enqueue_each_slot_once(
    redis_url: str, queue_prefix: str
) -> None:
    client = redis.Redis.from_url(redis_url)
    enqueued: list[tuple[str, int]] = []
    lock = threading.Lock()

    def enqueue(task: PeriodicTask, slot: int) -> None:
        with lock:
            enqueued.append((task.name, slot))

    task = [PeriodicTask("fast", 0.1, "x:y")]
    schedulers = [
        Scheduler(task, RedisSlotClaims(client, queue_prefix), enqueue, tick_seconds=0.01)
        for _ in range(4)
    ]
    for scheduler in schedulers:
        scheduler.start()
    time.sleep(1.5)
    for scheduler in schedulers:
        scheduler.stop()

    slots = [slot for _, slot in enqueued]
    assert len(slots) == len(set(slots))
    assert 8 <= len(slots) <= 17  # 1.5 s of 0.1 s slots (fewer if the machine starves threads)
    client.close()


def test_local_claims_refuse_a_slot_already_taken() -> None:
    claims = LocalSlotClaims()
    assert claims.claim("a", 5, 10)
    assert not claims.claim("a", 5, 10)
    assert not claims.claim("a", 4, 10)
    assert claims.claim("b", 5, 10)
    assert claims.claim("a", 6, 10)


def test_resolve_skips_a_missing_module_or_function_but_not_a_broken_module() -> None:
    assert resolve("closeloop.leads.no_such_area.tasks:run") is None
    assert resolve("tests.jobs.sample_tasks:no_such_function") is None
    assert resolve("tests.jobs.sample_tasks:record_run") is sample_tasks.record_run
    with pytest.raises(ModuleNotFoundError, match="closeloop_no_such_dependency"):
        resolve("tests.jobs.broken_task_module:run")


@SQLITE_ONLY
@pytest.mark.parametrize("kind", ["memory", "redis"])
def test_a_worker_runs_scheduled_tasks_and_skips_a_missing_one(
    engine: Engine, settings: Settings, kind: str
) -> None:
    sample_tasks.runs.clear()
    schedule = [
        PeriodicTask("missing", 0.2, "closeloop.leads.no_such_area.tasks:run"),
        PeriodicTask("sample", 0.2, "tests.jobs.sample_tasks:record_run"),
    ]
    with running(settings, engine, kind=kind, schedule=schedule):  # type: ignore[arg-type]
        wait_for(lambda: len(sample_tasks.runs) >= 3, what="three runs of the sample task")

    assert all(now.tzinfo is not None for now in sample_tasks.runs)
    assert sample_tasks.runs == sorted(sample_tasks.runs)
