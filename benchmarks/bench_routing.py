"""Bulk routing speed: `assign_leads` over every open lead of the demo company.

    python benchmarks/bench_routing.py [--leads 100000] [--db sqlite|postgresql|both]

Builds its own demo database (benchmarks/results/routing-bench.db, database
closeloop_bench_routing: the shared bench.db / closeloop_bench stay untouched) and times one
`assign_leads` call with its commit in three cases:

1. ``demo_open``: the demo's open leads (new, working, mql, sal) with their owners cleared, under
   the demo's caps (SDRs 400, reps 150). The demo's leads are mostly closed by now, so this is a
   few percent of them;
2. ``all_new_uncapped``: every lead not merged away reset to a new lead without owner — the
   issue's "route N new leads in batch" — with the caps lifted: every lead goes to a rep;
3. ``all_new_demo_caps``: the same leads again under the demo's caps: a few thousand go to reps,
   the rest to the public pool with a status change each (the overflow path).

Writes benchmarks/results/routing_<backend>.json.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, date, datetime

from common import RESULTS, fresh_postgres, fresh_sqlite, write_result
from sqlalchemy import Engine, func, select, text

from closeloop.db.engine import make_engine, unit_of_work
from closeloop.db.locks import begin_writing
from closeloop.db.migrate import upgrade
from closeloop.demo.service import DemoOptions, generate_demo
from closeloop.leads.routing.repository import ASSIGNABLE
from closeloop.leads.routing.service import assign_leads
from closeloop.models import Lead

END = date(2026, 10, 31)  # fixed, so that every run generates the same data
AT = datetime(2026, 11, 1, 9, tzinfo=UTC)
OPEN = ", ".join(f"'{status}'" for status in ASSIGNABLE)


def timed_assignment(engine: Engine) -> dict[str, object]:
    started = time.perf_counter()
    with unit_of_work(engine) as session:
        begin_writing(session)
        summary = assign_leads(session, at=AT)
    seconds = time.perf_counter() - started
    return {
        "leads": summary.considered,
        "assigned": summary.assigned,
        "pooled": summary.pooled,
        "seconds": round(seconds, 3),
        "leads_per_second": round(summary.considered / seconds),
    }


def run(url: str, leads: int) -> dict[str, object]:
    engine = make_engine(url)
    upgrade(engine)
    generate_demo(engine, DemoOptions(seed=1, leads=leads, months=12, end=END))
    with engine.begin() as connection:
        caps = connection.execute(text("SELECT id, max_open_leads FROM users")).all()
        connection.execute(text(f"UPDATE leads SET owner_id = NULL WHERE status IN ({OPEN})"))
    results = {"demo_open": timed_assignment(engine)}
    for case, lift in (("all_new_uncapped", True), ("all_new_demo_caps", False)):
        with engine.begin() as connection:
            connection.execute(
                text(
                    "UPDATE leads SET owner_id = NULL, team_id = NULL, pool_entered_at = NULL, "
                    "status = 'new' WHERE status <> 'merged'"
                )
            )
            for user_id, cap in caps:
                connection.execute(
                    text("UPDATE users SET max_open_leads = :cap WHERE id = :id"),
                    {"cap": None if lift else cap, "id": user_id},
                )
            if connection.dialect.name == "postgresql":
                connection.execute(text("ANALYZE leads"))
        results[case] = timed_assignment(engine)
    with unit_of_work(engine) as session:
        total = session.scalar(select(func.count()).select_from(Lead))
    engine.dispose()
    return {"demo_leads": total, **results}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    for backend in backends:
        if backend == "sqlite":
            RESULTS.mkdir(exist_ok=True)
            url = fresh_sqlite(RESULTS / "routing-bench.db")
        else:
            url = fresh_postgres("closeloop_bench_routing")
        result = run(url, args.leads)
        write_result(
            f"routing_{backend}", {"benchmark": "bulk routing", "backend": backend, **result}
        )


if __name__ == "__main__":
    main()
