"""Demo generation speed: 1,000,000 leads with their journeys into SQLite and PostgreSQL.

    python benchmarks/bench_demo.py [--leads 1000000] [--db sqlite|postgresql|both]

Leaves the databases in place (benchmarks/results/bench.db and database closeloop_bench) for
bench_reports.py.
"""

from __future__ import annotations

import argparse
import time
from datetime import date

from common import RESULTS, fresh_postgres, fresh_sqlite, write_result

from closeloop.db.engine import make_engine
from closeloop.db.migrate import upgrade
from closeloop.demo.service import DemoOptions, generate_demo

END = date(2026, 10, 31)  # fixed, so that every run generates the same data


def run(url: str, leads: int) -> dict[str, object]:
    engine = make_engine(url)
    upgrade(engine)
    started = time.perf_counter()
    summary = generate_demo(engine, DemoOptions(seed=1, leads=leads, months=12, end=END))
    seconds = time.perf_counter() - started
    engine.dispose()
    return {
        "leads": leads,
        "seconds": round(seconds, 2),
        "leads_per_second": round(leads / seconds),
        "rows": summary.rows,
        "rows_total": sum(summary.rows.values()),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    results = {}
    if args.db in ("sqlite", "both"):
        RESULTS.mkdir(exist_ok=True)
        results["sqlite"] = run(fresh_sqlite(RESULTS / "bench.db"), args.leads)
    if args.db in ("postgresql", "both"):
        results["postgresql"] = run(fresh_postgres("closeloop_bench"), args.leads)
    write_result(f"demo-{args.leads}", {"benchmark": "demo generation", **results})


if __name__ == "__main__":
    main()
