"""One HTTP capture under the microscope: statements per request and where the time goes.

    python benchmarks/profile_capture.py [--requests 300] [--profile out.html]

Runs the app in this process (Starlette's test client, no network) on a copy of the benchmark
database that bench_demo.py leaves; counts the SQL statements each POST /api/v1/leads sends and
times the requests one after another (no concurrency: the cost of one request, not queueing).
With ``--profile`` it also writes a pyinstrument profile of all requests (pip install pyinstrument).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections import Counter
from contextlib import contextmanager
from types import SimpleNamespace

import psycopg
from bench_capture_http import payload
from bench_import import copy_postgres
from fastapi import Response
from fastapi.testclient import TestClient

from closeloop.config import Settings
from closeloop.db.engine import make_engine, unit_of_work
from closeloop.db.migrate import upgrade
from closeloop.leads.api import capture_lead
from closeloop.leads.apikeys import create_api_key
from closeloop.leads.schemas import LeadIn
from closeloop.web.app import create_app

TIMES: dict[str, float] = {}


def _count_driver_calls(statements: list[str]) -> None:
    """Record every statement psycopg sends, including the raw-cursor and COPY paths that
    SQLAlchemy's events do not see, and commits and rollbacks (each is a round trip)."""

    def wrap(cls: type, name: str) -> None:
        original = getattr(cls, name)

        def counted(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            text = args[0] if args and isinstance(args[0], str) else name.upper()
            statements.append(str(text))
            started = time.perf_counter()
            try:
                return original(self, *args, **kwargs)
            finally:
                key = " ".join(str(text).split())[:90]
                TIMES[key] = TIMES.get(key, 0.0) + time.perf_counter() - started

        setattr(cls, name, counted)

    for name in ("execute", "executemany", "copy"):
        wrap(psycopg.Cursor, name)
    pipeline = psycopg.Connection.pipeline

    @contextmanager
    def counted_pipeline(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        # Statements sent in one pipeline share one round trip: mark them.
        statements.append("PIPELINE")
        with pipeline(self, *args, **kwargs) as opened:
            yield opened
        statements.append("SYNC")

    psycopg.Connection.pipeline = counted_pipeline  # type: ignore[method-assign]
    for name in ("commit", "rollback"):
        wrap(psycopg.Connection, name)


def _round_trips(statements: list[str]) -> int:
    """Statements sent, a pipeline counting once (psycopg's no-op ROLLBACK on an idle
    connection not at all)."""
    trips, depth = 0, 0
    for statement in statements:
        if statement == "PIPELINE":
            depth += 1
            trips += depth == 1
        elif statement == "SYNC":
            depth -= 1
        elif depth == 0 and statement != "ROLLBACK":
            trips += 1
    return trips


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--profile", help="write a pyinstrument HTML profile here")
    parser.add_argument(
        "--direct",
        action="store_true",
        help="call the route's function in this thread (no HTTP, no thread pool): the profile "
        "then shows the request's own work",
    )
    parser.add_argument("--show", action="store_true", help="print the statements of one request")
    args = parser.parse_args()
    url = copy_postgres("closeloop_capture_profile")
    engine = make_engine(url)
    upgrade(engine)
    with unit_of_work(engine) as session:
        key = create_api_key(session, channel="webinar", form_name="Spring webinar").key
    engine.dispose()
    app = create_app(Settings(database_url=url))
    statements: list[str] = []

    _count_driver_calls(statements)
    rng = random.Random(9)
    request = SimpleNamespace(app=app)
    per_request: list[int] = []
    trips: list[int] = []
    seconds: list[float] = []
    kinds: Counter[str] = Counter()
    profiler = None
    with TestClient(app) as client:
        for n in range(20):  # warm up: caches, prepared statements
            client.post("/api/v1/leads", json=payload(n, rng), headers={"X-API-Key": key})
        if args.profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0005)
            profiler.start()
        for n in range(20, 20 + args.requests):
            statements.clear()
            started = time.perf_counter()
            if args.direct:
                answer = Response()
                body = LeadIn.model_validate(payload(n, rng))
                capture_lead(body, request, answer, x_api_key=key)  # type: ignore[arg-type]
                status = answer.status_code
            else:
                response = client.post(
                    "/api/v1/leads", json=payload(n, rng), headers={"X-API-Key": key}
                )
                assert response.status_code in (200, 201), response.text
                status = response.status_code
            seconds.append(time.perf_counter() - started)
            kinds[status] += 1
            per_request.append(len(statements) - 2 * statements.count("PIPELINE"))
            trips.append(_round_trips(statements))
            if args.show and n == 25:
                for s in statements:
                    print("  ", " ".join(s.split())[:160])
        if profiler is not None:
            profiler.stop()
            with open(args.profile, "w") as out:
                out.write(
                    profiler.output_html()
                    if args.profile.endswith(".html")
                    else profiler.output_text(unicode=True, show_all=False)
                )
    if args.show:
        print(f"{sum(TIMES.values()) / len(seconds) * 1000:7.2f} ms/request in the driver, all")
        for key, total in sorted(TIMES.items(), key=lambda kv: -kv[1])[:25]:
            print(f"{total / len(seconds) * 1000:7.2f} ms/request  {key}")
    print(
        f"requests {len(seconds)} (201: {kinds[201]}, 200: {kinds[200]}); statements per request "
        f"min {min(per_request)} median {statistics.median(per_request)} max {max(per_request)}, "
        f"round trips median {statistics.median(trips)} (commit included); "
        f"latency p50 {statistics.median(seconds) * 1000:.1f} ms, "
        f"mean {statistics.mean(seconds) * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
