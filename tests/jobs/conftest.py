"""Fixtures for the job system: real Redis, a real HTTP receiver, a real SMTP server.

Redis comes from ``CLOSELOOP_TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/15``). Every test
gets its own key prefix, so parallel runs on one server never see each other's queues, and its
keys are deleted afterwards. Redis unreachable: the tests that need it skip, except on CI
(``CI=true``), where they fail.
"""

from __future__ import annotations

import itertools
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import redis
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from closeloop.config import Settings
from closeloop.db.engine import session_factory, unit_of_work
from closeloop.jobs.broker import BrokerKind, make_broker
from closeloop.jobs.schedule import DISPATCH, PeriodicTask
from closeloop.jobs.worker import Runtime
from closeloop.models import EventDelivery
from tests.conftest import RUN_ID

REDIS_URL_VARIABLE = "CLOSELOOP_TEST_REDIS_URL"
_prefixes = itertools.count()


# ---- Redis ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The test Redis server's URL; skip (fail on CI) when it does not answer."""
    url = os.environ.get(REDIS_URL_VARIABLE, "redis://127.0.0.1:6379/15")
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=3)
        client.ping()
        client.close()
    except (redis.RedisError, ValueError) as error:
        message = f"Redis at {url} is unreachable: {error}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return url


@pytest.fixture
def queue_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test alone; its keys are removed at the end."""
    prefix = f"closeloop_test_{RUN_ID}_{next(_prefixes)}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(f"{prefix}*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


# ---- settings and a running job system --------------------------------------------------------


def fast_settings(db_url: str, **overrides: Any) -> Settings:
    """Settings with retries in tenths of a second, so that a test sees a whole retry story."""
    values: dict[str, Any] = {
        "database_url": db_url,
        "delivery_max_attempts": 4,
        "delivery_backoff_min_seconds": 0.05,
        "delivery_backoff_max_seconds": 0.2,
        "schedule_dispatch_seconds": 0.2,
        "webhook_timeout_seconds": 5,
        "embedded_jobs": False,
        **overrides,
    }
    return Settings(**values)


@pytest.fixture
def settings(db_url: str, redis_url: str, queue_prefix: str) -> Settings:
    """Fast settings on this test's database and its own Redis prefix."""
    return fast_settings(db_url, redis_url=redis_url, queue_prefix=queue_prefix)


DISPATCH_ONLY = [PeriodicTask(DISPATCH, 0.2, DISPATCH)]


@contextmanager
def running(
    settings: Settings,
    engine: Engine,
    *,
    kind: BrokerKind = "redis",
    threads: int = 2,
    schedule: list[PeriodicTask] | None = None,
) -> Iterator[Runtime]:
    """A worker (threads + scheduler) in this process, stopped at the end."""
    runtime = Runtime(
        settings,
        engine,
        make_broker(settings, kind),
        threads=threads,
        schedule=DISPATCH_ONLY if schedule is None else schedule,
        poll_ms=100,
    )
    runtime.start()
    try:
        yield runtime
    finally:
        runtime.stop(timeout_seconds=10)


def wait_for(condition: Callable[[], bool], *, timeout: float = 45, what: str = "") -> None:
    """Poll ``condition`` every 50 ms until true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what or condition}")
        time.sleep(0.05)


def deliveries(engine: Engine) -> list[EventDelivery]:
    """Every delivery, read in a fresh session."""
    with session_factory(engine)() as session:
        return list(session.scalars(select(EventDelivery).order_by(EventDelivery.id)))


def statuses(engine: Engine) -> list[str]:
    return [d.status for d in deliveries(engine)]


def committed(engine: Engine, work: Callable[[Session], Any]) -> Any:
    """Run ``work`` in its own committed unit of work."""
    with unit_of_work(engine) as session:
        return work(session)


# ---- a webhook receiver -----------------------------------------------------------------------


@dataclass
class Request:
    """One request the receiver got."""

    headers: dict[str, str]
    body: bytes
    status: int

    @property
    def event_id(self) -> int:
        return int(self.headers["x-closeloop-event-id"])

    @property
    def document(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A real HTTP server in a thread: records every POST, answers what ``respond`` says."""

    url: str = ""
    requests: list[Request] = field(default_factory=list)
    started: list[int] = field(default_factory=list)  # event ids, when a request arrives
    # (event id, how many earlier requests for it) → status; the default accepts everything.
    respond: Callable[[int, int], int] = lambda event_id, earlier: 200
    delay: float = 0.0  # seconds each request takes (a slow receiver)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def event_ids(self) -> list[int]:
        with self.lock:
            return [r.event_id for r in self.requests if 200 <= r.status < 300]

    def count(self) -> int:
        with self.lock:
            return len(self.requests)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            headers = {k.lower(): v for k, v in self.headers.items()}
            event_id = int(headers.get("x-closeloop-event-id", 0))
            with state.lock:
                state.started.append(event_id)
                earlier = sum(1 for r in state.requests if r.event_id == event_id)
            if state.delay:
                time.sleep(state.delay)
            status = state.respond(event_id, earlier)
            with state.lock:
                state.requests.append(Request(headers, body, status))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


# ---- an SMTP server ---------------------------------------------------------------------------


@dataclass
class Mailbox:
    host: str
    port: int
    messages: list[tuple[list[str], Message]] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    """A real SMTP server (aiosmtpd) in a thread; every accepted message lands in ``messages``."""
    from aiosmtpd.controller import Controller

    box = Mailbox("127.0.0.1", free_port())

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            box.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
            return "250 OK"

    controller = Controller(Handler(), hostname=box.host, port=box.port)
    controller.start()
    yield box
    controller.stop()


# ---- the console script -----------------------------------------------------------------------


def closeloop_env(redis_url: str, queue_prefix: str, **settings: Any) -> dict[str, str]:
    """The environment of a `closeloop` subprocess: no inherited CLOSELOOP_*, fast settings."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CLOSELOOP_")}
    values = {
        "redis_url": redis_url,
        "queue_prefix": queue_prefix,
        "delivery_backoff_min_seconds": 0.05,
        "delivery_backoff_max_seconds": 0.2,
        "schedule_dispatch_seconds": 0.2,
        **settings,
    }
    environment.update({f"CLOSELOOP_{k.upper()}": str(v) for k, v in values.items()})
    return environment
