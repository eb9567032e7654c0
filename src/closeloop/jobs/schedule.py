"""Periodic tasks: every worker runs a scheduler thread; one run per task per time slot overall.

Time is cut into slots of each task's interval (slot = unix time // interval). Every scheduler
tries to claim the slot with Redis ``SET <prefix>:schedule:<task>:<slot> NX EX``; only the one
that wins enqueues the run, so N workers still run each sweep once per interval. Embedded mode
(one process) claims slots in memory.

A task is ``"module:function"`` with the signature ``fn(engine, *, now) -> dict``; it is imported
when it runs, so a module that is not installed is logged and skipped, not fatal.
"""

from __future__ import annotations

import importlib
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from closeloop.config import Settings

log = logging.getLogger(__name__)
_reported: set[str] = set()  # targets already reported missing: once per process is enough


def _report_missing(target: str, reason: str) -> None:
    if target not in _reported:
        _reported.add(target)
        log.warning("periodic task %s skipped: %s", target, reason)


DISPATCH = "outbox.dispatch"
REDRIVE = "outbox.redrive"


@dataclass(frozen=True)
class PeriodicTask:
    """A task run every ``interval`` seconds; ``target`` is ``module:function`` (or built in)."""

    name: str
    interval: float
    target: str


def default_schedule(settings: Settings) -> list[PeriodicTask]:
    """The shipped schedule: outbox relay, redrive, SLA sweep, score decay."""
    return [
        PeriodicTask(DISPATCH, settings.schedule_dispatch_seconds, DISPATCH),
        PeriodicTask(REDRIVE, settings.schedule_redrive_seconds, REDRIVE),
        PeriodicTask(
            "leads.sla_sweep",
            settings.schedule_sla_seconds,
            "closeloop.leads.sla.tasks:run_sla_sweep",
        ),
        PeriodicTask(
            "leads.score_decay",
            settings.schedule_decay_seconds,
            "closeloop.leads.scoring.tasks:run_score_decay",
        ),
    ]


def resolve(target: str) -> Callable[..., dict[str, Any]] | None:
    """Import ``module:function``; None (logged) when that module or function does not exist."""
    module_name, _, attribute = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        # Only the task's own module (or a package on its path) being absent is "not installed";
        # a missing import inside an existing module is a bug and is raised.
        if error.name is None or not module_name.startswith(error.name):
            raise
        _report_missing(target, f"module {error.name} is not installed")
        return None
    function = getattr(module, attribute, None)
    if not callable(function):
        _report_missing(target, f"{module_name} has no function {attribute}")
        return None
    return function  # type: ignore[no-any-return]


class SlotClaims(Protocol):
    def claim(self, task: str, slot: int, ttl_seconds: int) -> bool:
        """True for the first caller of this task and slot, False for every other."""


class RedisSlotClaims:
    """Slots claimed in Redis: one winner across every worker on every machine."""

    def __init__(self, client: Any, prefix: str) -> None:
        self.client = client
        self.prefix = prefix

    def claim(self, task: str, slot: int, ttl_seconds: int) -> bool:
        key = f"{self.prefix}:schedule:{task}:{slot}"
        return bool(self.client.set(key, "1", nx=True, ex=ttl_seconds))


class LocalSlotClaims:
    """Slots claimed in this process (embedded mode: the only process)."""

    def __init__(self) -> None:
        self._last: dict[str, int] = {}
        self._lock = threading.Lock()

    def claim(self, task: str, slot: int, ttl_seconds: int) -> bool:
        with self._lock:
            if self._last.get(task, -1) >= slot:
                return False
            self._last[task] = slot
            return True


class Scheduler:
    """Enqueues each task once per slot; ``tick`` does one round, the thread calls it often."""

    def __init__(
        self,
        tasks: list[PeriodicTask],
        claims: SlotClaims,
        enqueue: Callable[[PeriodicTask, int], None],
        *,
        tick_seconds: float = 0.2,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.tasks = [task for task in tasks if task.interval > 0]
        self.claims = claims
        self.enqueue = enqueue
        self.tick_seconds = tick_seconds
        self.clock = clock
        self._seen: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self) -> list[tuple[str, int]]:
        """Claim and enqueue every task whose current slot this scheduler has not tried yet."""
        now = self.clock()
        enqueued = []
        for task in self.tasks:
            slot = int(now // task.interval)
            if self._seen.get(task.name) == slot:
                continue
            self._seen[task.name] = slot
            ttl = max(10, math.ceil(task.interval * 2))
            try:
                if self.claims.claim(task.name, slot, ttl):
                    self.enqueue(task, slot)
                    enqueued.append((task.name, slot))
            except Exception:  # Redis away for a moment: try the next slot, keep the thread
                log.exception("scheduler could not enqueue %s", task.name)
        return enqueued

    def start(self) -> None:
        """Run ``tick`` in a daemon thread until ``stop``."""
        self._thread = threading.Thread(target=self._run, name="closeloop-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.tick()
            self._stop.wait(self.tick_seconds)
