"""HTTP capture under load: POST /api/v1/leads against PostgreSQL holding 1,000,000 leads.

    python benchmarks/bench_capture_http.py [--requests 20000] [--clients 50] [--workers 2]
                                            [--rate R]

Starts `closeloop serve` on loopback as a separate process (on a copy of the benchmark database
that bench_demo.py leaves), then sends a bounded number of requests from this process with a
fixed number of concurrent clients (httpx, keep-alive). About one request in ten is a person
already captured (it merges: 200), the rest are new (201). Reports latency percentiles and the
throughput sustained.

Without ``--rate`` every client sends its next request as soon as the last one is answered: that
measures the most the server sustains (and latency is then clients / throughput). With ``--rate R``
the 50 clients together offer R requests per second, as web forms do, each on a fixed schedule;
latency counts from the scheduled send time, so a server that falls behind is not flattered
(no coordinated omission).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
from bench_import import copy_postgres
from common import write_result

from closeloop.db.engine import make_engine, unit_of_work
from closeloop.db.migrate import upgrade
from closeloop.leads.apikeys import create_api_key

PORT = 8765  # --port: runs of other checkouts on the same machine must not share it


def start_server(url: str, workers: int) -> subprocess.Popen[bytes]:
    """``closeloop serve`` on PORT; returns once it answers."""
    script = Path(sys.executable).parent / "closeloop"
    server = subprocess.Popen(
        [str(script), "--db", url, "serve", "--port", str(PORT), "--workers", str(workers)],
        env={**os.environ, "CLOSELOOP_DATABASE_URL": url},
        start_new_session=True,
    )
    for _ in range(100):
        try:
            if httpx.get(f"http://127.0.0.1:{PORT}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("the server did not start")


def set_port(port: int) -> None:
    global PORT
    PORT = port


def payload(n: int, rng: random.Random) -> dict[str, object]:
    if n > 100 and rng.random() < 0.1:  # someone who filled a form before
        n = rng.randrange(0, n - 1)
    return {
        "full_name": f"Load Tester {n}",
        "email": f"load.{n}@bench-http.example",
        "phone": f"+86 139 {n % 10_000:04d} {n // 10_000 % 10_000:04d}",
        "company": f"Bench Company {n % 5000} Ltd.",
        "touch": {"utm_campaign": "quarterly-product-webinar", "form_name": "Spring webinar"},
    }


async def load(
    key: str, requests: int, clients: int, rate: float | None
) -> tuple[list[float], dict[int, int], float]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    counter = iter(range(requests))
    rng = random.Random(9)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{PORT}", limits=limits, headers={"X-API-Key": key}, timeout=30
    ) as client:

        async def worker() -> None:
            for n in counter:
                body = payload(n, rng)
                started = time.perf_counter()
                if rate:  # request n is due at n / rate seconds after the start
                    due = begin + n / rate
                    if due > started:
                        await asyncio.sleep(due - started)
                    started = due
                try:
                    response = await client.post("/api/v1/leads", json=body)
                    status = response.status_code
                except httpx.TransportError:
                    status = 0  # the connection failed: counted, not retried
                latencies.append(time.perf_counter() - started)
                statuses[status] = statuses.get(status, 0) + 1

        begin = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        return latencies, statuses, time.perf_counter() - begin


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rate", type=float, help="offered requests per second (all clients)")
    parser.add_argument("--port", type=int, default=PORT)
    parser.add_argument(
        "--database", default="closeloop_capture_http", help="name of the copy to serve"
    )
    args = parser.parse_args()
    set_port(args.port)
    url = copy_postgres(args.database)
    engine = make_engine(url)
    upgrade(engine)
    with unit_of_work(engine) as session:
        key = create_api_key(session, channel="webinar", form_name="Spring webinar").key
    engine.dispose()
    server = start_server(url, args.workers)
    try:
        latencies, statuses, seconds = asyncio.run(
            load(key, args.requests, args.clients, args.rate)
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    cuts = statistics.quantiles(latencies, n=100)
    name = f"capture-http-{args.clients}" + (f"-rate{args.rate:g}" if args.rate else "")
    write_result(
        f"{name}-w{args.workers}",
        {
            "benchmark": "POST /api/v1/leads, PostgreSQL with 1M leads",
            "requests": len(latencies),
            "clients": args.clients,
            "server_workers": args.workers,
            "offered_rate": args.rate,
            "statuses": statuses,
            "seconds": round(seconds, 1),
            "requests_per_second": round(len(latencies) / seconds),
            "p50_ms": round(cuts[49] * 1000, 1),
            "p95_ms": round(cuts[94] * 1000, 1),
            "p99_ms": round(cuts[98] * 1000, 1),
        },
    )


if __name__ == "__main__":
    main()
