"""The web app under signed-in users: pages and list endpoints on PostgreSQL with 1M leads.

    python benchmarks/bench_web.py [--users 20] [--seconds 60] [--think 1.0] [--workers 1]

Copies the benchmark database (bench_demo.py leaves it), gives the demo's users a password,
starts `closeloop serve` in a separate process and signs in ``--users`` browser-like clients
(cookies, CSRF) from this process, spread over the roles as in a sales team: most are reps and
SDRs, then managers, marketing, finance, an executive and an admin. Each user, in a loop for
``--seconds``, opens the pages and lists its role works with, waiting ``--think`` seconds between
two (0 = as fast as the server answers). Reports p50/p95/p99 per kind of request: dashboard,
lead inbox, list endpoints.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import signal
import statistics
import time
from collections import defaultdict

import httpx
import psycopg
from bench_capture_http import PORT, start_server
from common import PG_SERVER, write_result
from sqlalchemy import select

from closeloop.access.passwords import hash_password
from closeloop.db.engine import make_engine, unit_of_work
from closeloop.db.migrate import upgrade
from closeloop.models import Role, User

PASSWORD = "bench-web-password"
DATABASE = "closeloop_web"

# What each role opens: (kind, path). {lead} and {account} stand for a record the user may see
# (read from the API's first page after signing in). "record" is the 360° pages and the accounts
# list; a status other than 200 is counted apart.
WORK: dict[Role, list[tuple[str, str]]] = {
    Role.SALES_REP: [
        ("dashboard", "/dashboard"),
        ("inbox", "/leads"),
        ("inbox", "/pool"),
        ("list", "/api/v1/leads?limit=50&sort=-score"),
        ("list", "/api/v1/leads?limit=50&status=pool"),
        ("list", "/api/v1/opportunities?limit=50"),
        ("record", "/accounts"),
        ("record", "/leads/{lead}"),
        ("record", "/accounts/{account}"),
    ],
    Role.SDR: [
        ("dashboard", "/dashboard"),
        ("inbox", "/leads"),
        ("list", "/api/v1/leads?limit=50&sort=-score"),
        ("list", "/api/v1/leads?limit=50&status=new"),
    ],
    Role.SALES_MANAGER: [
        ("dashboard", "/dashboard"),
        ("inbox", "/leads"),
        ("list", "/api/v1/leads?limit=50&sort=-created_at"),
        ("list", "/api/v1/opportunities?limit=50"),
        ("list", "/api/v1/accounts?limit=50"),
        ("record", "/leads/{lead}"),
        ("record", "/accounts/{account}"),
    ],
    Role.MARKETING: [
        ("dashboard", "/dashboard"),
        ("list", "/api/v1/leads?limit=50&sort=-created_at"),
        ("list", "/api/v1/campaigns?limit=50"),
        ("list", "/api/v1/spend?limit=50"),
    ],
    Role.FINANCE: [
        ("dashboard", "/dashboard"),
        ("list", "/api/v1/invoices?limit=50"),
        ("list", "/api/v1/payments?limit=50"),
        ("record", "/accounts"),
        ("record", "/accounts/{account}"),
    ],
    Role.EXECUTIVE: [("dashboard", "/dashboard")],
    Role.ADMIN: [
        ("dashboard", "/dashboard"),
        ("list", "/api/v1/leads?limit=50&sort=-score"),
        ("list", "/api/v1/users?limit=50"),
    ],
}
# 20 users: 8 reps, 4 SDRs, 3 managers, 2 marketing, 1 finance, 1 executive, 1 admin.
TEAM = (
    [Role.SALES_REP] * 8
    + [Role.SDR] * 4
    + [Role.SALES_MANAGER] * 3
    + [Role.MARKETING] * 2
    + [
        Role.FINANCE,
        Role.EXECUTIVE,
        Role.ADMIN,
    ]
)


def copy_database() -> str:
    with psycopg.connect(PG_SERVER, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{DATABASE}" TEMPLATE "closeloop_bench"')
    base = PG_SERVER.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}/{DATABASE}"


def give_passwords(url: str, users: int) -> list[tuple[Role, str]]:
    """E-mails of ``users`` demo users following TEAM's mix, each with the bench password."""
    engine = make_engine(url)
    upgrade(engine)
    chosen: list[tuple[Role, str]] = []
    password_hash = hash_password(PASSWORD)
    with unit_of_work(engine) as session:
        by_role: dict[Role, list[User]] = defaultdict(list)
        for user in session.scalars(select(User).order_by(User.id)):
            by_role[Role(user.role)].append(user)
        for n, role in enumerate((TEAM * (users // len(TEAM) + 1))[:users]):
            people = by_role[role]
            user = people[n % len(people)]
            user.password_hash = password_hash
            chosen.append((role, user.email))
    engine.dispose()
    return chosen


async def sign_in(client: httpx.AsyncClient, email: str) -> None:
    form = await client.get("/signin")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token, "no CSRF token on the sign-in page"
    answer = await client.post(
        "/signin",
        data={"email": email, "password": PASSWORD, "next": "/", "csrf_token": token.group(1)},
    )
    assert answer.status_code == 303, f"sign-in of {email} failed: {answer.status_code}"


async def _visible_ids(client: httpx.AsyncClient, path: str) -> list[int]:
    answer = await client.get(path)
    return [item["id"] for item in answer.json()["items"]] if answer.status_code == 200 else []


async def run_users(
    users: list[tuple[Role, str]], seconds: float, think: float
) -> tuple[dict[str, list[float]], dict[str, int]]:
    latencies: dict[str, list[float]] = defaultdict(list)
    statuses: dict[str, int] = defaultdict(int)
    stop_at = time.perf_counter() + seconds

    async def user(role: Role, email: str, seed: int) -> None:
        rng = random.Random(seed)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{PORT}", timeout=60, follow_redirects=False
        ) as client:
            await sign_in(client, email)
            records = {
                name: await _visible_ids(client, f"/api/v1/{name}s?limit=20")
                for name in ("lead", "account")
            }
            while time.perf_counter() < stop_at:
                kind, path = rng.choice(WORK[role])
                if "{" in path:
                    name = path.split("{")[1].rstrip("}")
                    if not records[name]:
                        continue
                    path = path.format(**{name: rng.choice(records[name])})
                started = time.perf_counter()
                try:
                    status = (await client.get(path)).status_code
                except httpx.TransportError:
                    status = 0
                elapsed = time.perf_counter() - started
                statuses[f"{kind} {status}"] += 1
                if status == 200:
                    latencies[kind].append(elapsed)
                if think:
                    await asyncio.sleep(rng.uniform(0.5, 1.5) * think)

    await asyncio.gather(*(user(role, email, n) for n, (role, email) in enumerate(users)))
    return latencies, statuses


def percentiles(samples: list[float]) -> dict[str, float]:
    if len(samples) < 2:
        return {"requests": len(samples)}
    cuts = statistics.quantiles(samples, n=100)
    return {
        "requests": len(samples),
        "p50_ms": round(cuts[49] * 1000, 1),
        "p95_ms": round(cuts[94] * 1000, 1),
        "p99_ms": round(cuts[98] * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds between requests")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    url = copy_database()
    users = give_passwords(url, args.users)
    server = start_server(url, args.workers)
    try:
        # Warm-up: one pass of every page, so start-up costs are not counted as user latency.
        asyncio.run(run_users(users[:7], 3, 0))
        started = time.perf_counter()
        latencies, statuses = asyncio.run(run_users(users, args.seconds, args.think))
        seconds = time.perf_counter() - started
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    total = sum(len(v) for v in latencies.values())
    write_result(
        f"web-{args.users}u-think{args.think:g}-w{args.workers}",
        {
            "benchmark": "web app, PostgreSQL with 1M leads, signed-in users",
            "users": args.users,
            "think_seconds": args.think,
            "server_workers": args.workers,
            "seconds": round(seconds, 1),
            "requests_per_second": round(total / seconds, 1),
            "statuses": dict(sorted(statuses.items())),
            **{kind: percentiles(samples) for kind, samples in sorted(latencies.items())},
        },
    )


if __name__ == "__main__":
    main()
