"""Dashboard speed: 20 signed-in users on a running server over 1,000,000 leads.

    python benchmarks/bench_dashboard.py --url http://127.0.0.1:8765 --db <database URL>
        [--users 20] [--seconds 60]

Run the server first (``closeloop serve --db …``) on a COPY of the demo database
(``CREATE DATABASE mine TEMPLATE closeloop_bench``): the script gives the demo's users a password.
The users are a mix of roles (executive, admin, marketing, finance, managers, SDRs); each signs in
through the form, loads its dashboard once (warm-up: the first view computes the company figures,
later ones read them from the cache), then loads it again and again for ``--seconds``
(closed loop: the next request as soon as the last is answered; ``--think`` adds a pause).
Latency is measured here, in a second process, on loopback.
"""

from __future__ import annotations

import argparse
import re
import statistics
import threading
import time

import httpx
from common import write_result
from sqlalchemy import select

from closeloop.access.actor import Actor
from closeloop.access.users import set_password
from closeloop.db.engine import make_engine, unit_of_work
from closeloop.models import User

PASSWORD = "a long enough secret"
PAGE = "/dashboard"


def prepare_users(db_url: str, count: int) -> list[str]:
    engine = make_engine(db_url)
    with unit_of_work(engine) as session:
        users = session.execute(select(User.id, User.email).order_by(User.id)).all()
        for user_id, _ in users:
            set_password(session, Actor.operator(), user_id=user_id, password=PASSWORD)
    engine.dispose()
    emails = [email for _, email in users]
    return [emails[i % len(emails)] for i in range(count)]


def sign_in(base: str, email: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=120)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/signin").text)
    assert token
    answer = client.post(
        "/signin",
        data={"email": email, "password": PASSWORD, "next": PAGE, "csrf_token": token.group(1)},
    )
    assert answer.status_code == 303, answer.text
    return client


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://127.0.0.1:8765")
    parser.add_argument("--db", required=True)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument(
        "--think", type=float, default=0.0, help="Seconds a user reads a page before the next."
    )
    args = parser.parse_args()
    emails = prepare_users(args.db, args.users)
    clients = [sign_in(args.url, email) for email in emails]
    started = time.perf_counter()
    for client in clients:  # warm-up: one view per user (the first computes the figures)
        assert client.get(PAGE).status_code == 200
    warm_up = time.perf_counter() - started
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    deadline = time.perf_counter() + args.seconds

    def user(client: httpx.Client) -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            sent = time.perf_counter()
            status = client.get(PAGE).status_code
            took = time.perf_counter() - sent
            with lock:
                latencies.append(took)
                errors += status != 200
            if args.think:
                time.sleep(args.think)

    threads = [threading.Thread(target=user, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 1)

    result = {
        "benchmark": "dashboard, 20 signed-in users",
        "users": args.users,
        "think_seconds": args.think,
        "roles": sorted(set(emails)),
        "warm_up_seconds": round(warm_up, 2),
        "requests": len(latencies),
        "errors": errors,
        "requests_per_second": round(len(latencies) / args.seconds, 1),
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "mean_ms": round(statistics.mean(latencies) * 1000, 1),
    }
    print(result)
    suffix = f"-think-{args.think:g}s" if args.think else ""
    write_result(f"dashboard-{args.users}-users{suffix}", result)


if __name__ == "__main__":
    main()
