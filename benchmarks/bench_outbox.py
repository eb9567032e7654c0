"""Outbox speed: relaying events to deliveries, and delivering webhooks through Redis.

    python benchmarks/bench_outbox.py [--events 100000] [--deliveries 2000] [--threads 8]
                                      [--db sqlite|postgresql|both]

1. ``--events`` events are written with ``emit_many`` (one transaction);
2. the relay (``run_dispatch``) turns them into deliveries for one webhook subscription
   (the enqueue step counts ids, so this measures the database side alone);
3. ``--deliveries`` of those are sent for real: Dramatiq on Redis, ``--threads`` worker threads in
   this process, a local HTTP receiver that answers 204 at once.
"""

from __future__ import annotations

import argparse
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import redis
from common import fresh_postgres, fresh_sqlite, write_result
from sqlalchemy import func, select, text, update

from closeloop.config import Settings
from closeloop.db.engine import make_engine, unit_of_work
from closeloop.db.migrate import upgrade
from closeloop.db.types import utcnow
from closeloop.jobs.broker import make_broker
from closeloop.jobs.outbox import emit_many
from closeloop.jobs.schedule import DISPATCH, PeriodicTask
from closeloop.jobs.subscriptions import add_subscription
from closeloop.jobs.tasks import run_dispatch
from closeloop.jobs.worker import Runtime
from closeloop.models import EventDelivery


def receiver() -> tuple[ThreadingHTTPServer, list[int]]:
    """A local webhook receiver that accepts everything at once; counts requests."""
    seen: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: httpx reuses connections

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            seen.append(1)
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, seen


def run(url: str, events: int, sent: int, threads: int) -> dict[str, Any]:
    engine = make_engine(url)
    upgrade(engine)
    server, seen = receiver()
    with unit_of_work(engine) as session:
        hook = f"http://127.0.0.1:{server.server_address[1]}/hook"
        add_subscription(session, url=hook, topics=["lead.*"])

    started = time.perf_counter()
    now = utcnow()
    with unit_of_work(engine) as session:
        emit_many(
            session,
            [
                {
                    "topic": "lead.scored",
                    "lead_id": n,
                    "payload": {"lead_id": n, "score": n % 100},
                    "created_at": now,
                }
                for n in range(events)
            ],
        )
    emit_seconds = time.perf_counter() - started

    counted: list[int] = []
    started = time.perf_counter()
    result = run_dispatch(
        engine, now=utcnow(), enqueue=counted.extend, batch_size=1000, budget_seconds=3600
    )
    relay_seconds = time.perf_counter() - started
    assert result == {"events": events, "deliveries": events}, result

    # Send the first `sent` deliveries for real; the rest are set aside.
    with unit_of_work(engine) as session:
        session.execute(
            update(EventDelivery).where(EventDelivery.id > counted[sent - 1]).values(status="dead")
        )
    prefix = f"closeloop_bench_{uuid.uuid4().hex[:8]}"
    settings = Settings(database_url=url, queue_prefix=prefix, webhook_timeout_seconds=10)
    runtime = Runtime(
        settings,
        engine,
        make_broker(settings, "redis"),
        threads=threads,
        schedule=[PeriodicTask(DISPATCH, 1, DISPATCH)],
        poll_ms=100,
    )
    runtime.start()
    started = time.perf_counter()
    runtime.jobs.enqueue_deliveries(counted[:sent])
    while True:
        with engine.connect() as connection:
            done = connection.scalar(
                select(func.count())
                .select_from(EventDelivery)
                .where(EventDelivery.status == "delivered")
            )
        if done == sent:
            break
        time.sleep(0.05)
    deliver_seconds = time.perf_counter() - started
    runtime.stop()
    client = redis.Redis.from_url(settings.redis_url)
    keys = list(client.scan_iter(f"{prefix}*"))
    if keys:
        client.delete(*keys)
    server.shutdown()
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    engine.dispose()
    return {
        "events": events,
        "emit_seconds": round(emit_seconds, 2),
        "relay_seconds": round(relay_seconds, 2),
        "relay_events_per_second": round(events / relay_seconds),
        "delivered": sent,
        "receiver_requests": len(seen),
        "deliver_seconds": round(deliver_seconds, 2),
        "deliveries_per_second": round(sent / deliver_seconds),
        "threads": threads,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--deliveries", type=int, default=2_000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    arguments = parser.parse_args()
    sent = min(arguments.deliveries, arguments.events)
    results = {}
    if arguments.db in ("sqlite", "both"):
        url = fresh_sqlite(Path("/tmp/closeloop-bench-outbox.db"))
        results["sqlite"] = run(url, arguments.events, sent, arguments.threads)
    if arguments.db in ("postgresql", "both"):
        url = fresh_postgres("closeloop_bench_outbox")
        results["postgresql"] = run(url, arguments.events, sent, arguments.threads)
    write_result(f"outbox-{arguments.events}", results)


if __name__ == "__main__":
    main()
