"""List endpoints of accounts, contacts, opportunities, spend and cash at 1,000,000 leads.

Starts `closeloop serve` on loopback as a separate process on a migrated copy of the 1M-lead demo
database (``--db``), signs in users of each role with API tokens, and calls each list endpoint:
first sequentially (one client: the latency of one call), then from 20 concurrent clients
(closed loop, no think time: the harshest reading of "20 signed-in users"). Target: p95 ≤ 100 ms.

    python bench_api_lists.py --db postgresql+psycopg://postgres@127.0.0.1:5432/COPY [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from common import write_result
from sqlalchemy import func, select

from closeloop.access.actor import Actor
from closeloop.access.tokens import create_token
from closeloop.db.engine import make_engine, unit_of_work
from closeloop.db.migrate import upgrade
from closeloop.models import Account, Opportunity, Role, User

PORT = 8781  # not bench_capture_http's, so that both can run at once
BASE = f"http://127.0.0.1:{PORT}"


def start_server(url: str, workers: int) -> subprocess.Popen[bytes]:
    script = Path(sys.executable).parent / "closeloop"
    server = subprocess.Popen(
        [str(script), "--db", url, "serve", "--port", str(PORT), "--workers", str(workers)],
        env={**os.environ, "CLOSELOOP_DATABASE_URL": url},
        start_new_session=True,
    )
    for _ in range(100):
        if server.poll() is not None:
            raise RuntimeError("the server exited (is the port taken?)")
        try:
            if httpx.get(f"{BASE}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("the server did not start")


def tokens(url: str) -> tuple[dict[str, str], int]:
    """A token per role (the rep and the manager are the demo's busiest), and an account id."""
    engine = make_engine(url)
    upgrade(engine)
    with unit_of_work(engine) as s:
        busiest = s.execute(
            select(Opportunity.owner_id, User.team_id)
            .join(User, User.id == Opportunity.owner_id)
            .where(User.role == Role.SALES_REP.value)
            .group_by(Opportunity.owner_id, User.team_id)
            .order_by(func.count().desc())
            .limit(1)
        ).one()
        rep_id, team_id = busiest
        people: dict[str, int] = {"rep": rep_id}
        for role in (Role.ADMIN, Role.FINANCE, Role.MARKETING):
            user = User(
                email=f"bench-{role.value}-{time.time_ns()}@example.com",
                full_name=f"bench {role.value}",
                role=role.value,
            )
            s.add(user)
            s.flush()
            people[role.value] = user.id
        manager = User(
            email=f"bench-manager-{time.time_ns()}@example.com",
            full_name="bench manager",
            role=Role.SALES_MANAGER.value,
            team_id=team_id,
        )
        s.add(manager)
        s.flush()
        people["manager"] = manager.id
        account_id = s.scalar(
            select(Opportunity.account_id).where(Opportunity.status == "won").limit(1)
        ) or s.scalar(select(Account.id).limit(1))
        issued = {
            name: create_token(s, Actor.operator(), user_id=uid, name="bench", scopes="read").token
            for name, uid in people.items()
        }
    engine.dispose()
    return issued, int(account_id or 0)


def cases(account_id: int) -> list[tuple[str, str, str]]:
    return [
        # The floor: no database work but the token check (and, for channels, ~20 rows).
        ("channels (marketing, the floor)", "marketing", "/api/v1/channels"),
        ("accounts (admin, newest)", "admin", "/api/v1/accounts"),
        ("accounts (admin, by name)", "admin", "/api/v1/accounts?sort=name"),
        ("accounts (rep)", "rep", "/api/v1/accounts"),
        ("accounts (manager)", "manager", "/api/v1/accounts"),
        ("contacts (admin)", "admin", "/api/v1/contacts"),
        ("opportunities (admin)", "admin", "/api/v1/opportunities"),
        (
            "opportunities (open, by close)",
            "admin",
            "/api/v1/opportunities?status=open&sort=expected_close",
        ),
        ("opportunities (rep)", "rep", "/api/v1/opportunities"),
        ("opportunities (manager)", "manager", "/api/v1/opportunities"),
        ("spend (marketing)", "marketing", "/api/v1/spend"),
        ("orders (finance)", "finance", "/api/v1/orders"),
        ("invoices (finance)", "finance", "/api/v1/invoices"),
        ("invoices overdue (finance)", "finance", "/api/v1/invoices?overdue=true"),
        ("payments (finance)", "finance", "/api/v1/payments"),
        ("account timeline (admin)", "admin", f"/api/v1/accounts/{account_id}/timeline"),
    ]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def measure(
    client: httpx.AsyncClient, headers: dict[str, str], path: str, requests: int, clients: int
) -> list[float]:
    """Latencies (ms) of ``requests`` calls from ``clients`` concurrent clients; the first
    page and, when there is one, the next page (by cursor) alternate."""
    first = await client.get(path, headers=headers)
    assert first.status_code == 200, (path, first.status_code, first.text[:200])
    body = first.json()
    cursor = body.get("next_cursor") if isinstance(body, dict) else None
    paths = [path]
    if cursor:
        paths.append(path + ("&" if "?" in path else "?") + f"cursor={cursor}")
    latencies: list[float] = []
    queue = iter(range(requests))

    async def worker() -> None:
        for n in queue:
            started = time.perf_counter()
            response = await client.get(paths[n % len(paths)], headers=headers)
            latencies.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.text[:200]

    await asyncio.gather(*(worker() for _ in range(clients)))
    return latencies


async def run(issued: dict[str, str], account_id: int, requests: int) -> list[dict[str, Any]]:
    results = []
    limits = httpx.Limits(max_connections=40)
    async with httpx.AsyncClient(base_url=BASE, timeout=30, limits=limits) as client:
        for label, who, path in cases(account_id):
            headers = {"Authorization": f"Bearer {issued[who]}"}
            one = await measure(client, headers, path, requests, 1)
            many = await measure(client, headers, path, requests * 2, 20)
            row = {
                "endpoint": label,
                "path": path,
                "p50_ms": round(statistics.median(one), 1),
                "p95_ms": round(percentile(one, 0.95), 1),
                "p95_ms_20_clients": round(percentile(many, 0.95), 1),
                "requests_per_s_20_clients": round(len(many) / (sum(many) / 1000 / 20), 1),
            }
            results.append(row)
            print(
                f"{label:34} p50 {row['p50_ms']:7.1f}  p95 {row['p95_ms']:7.1f} ms   "
                f"20 clients: p95 {row['p95_ms_20_clients']:7.1f} ms"
            )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True, help="A copy of the 1M-lead demo database")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    issued, account_id = tokens(args.db)
    server = start_server(args.db, args.workers)
    try:
        results = asyncio.run(run(issued, account_id, args.requests))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    write_result(
        "api_lists",
        {"workers": args.workers, "requests_per_endpoint": args.requests, "results": results},
    )


if __name__ == "__main__":
    main()
