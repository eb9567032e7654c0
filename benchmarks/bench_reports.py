"""Report speed over the benchmark databases that bench_demo.py leaves behind.

    python benchmarks/bench_reports.py [--db sqlite|postgresql|both] [--repeat 5]

Each report is timed in-process (service call, fresh session, no CLI start-up); the figure is the
median of the repeats, with the slowest run next to it.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date

from common import PG_SERVER, RESULTS, write_result

from closeloop.analytics.funnel import funnel_report
from closeloop.analytics.period import Grouping, Period
from closeloop.analytics.roi import roi_report
from closeloop.db.engine import make_engine, unit_of_work

CASES = {
    "roi by channel": lambda s: roi_report(s, grouping=Grouping.CHANNEL, period=Period()),
    "roi by campaign": lambda s: roi_report(s, grouping=Grouping.CAMPAIGN, period=Period()),
    "roi by content": lambda s: roi_report(s, grouping=Grouping.CONTENT, period=Period()),
    "roi by channel, one quarter": lambda s: roi_report(
        s, grouping=Grouping.CHANNEL, period=Period(date(2026, 4, 1), date(2026, 6, 30))
    ),
    "funnel": lambda s: funnel_report(s, grouping=None, period=Period()),
    "funnel by channel": lambda s: funnel_report(s, grouping=Grouping.CHANNEL, period=Period()),
}


def measure(url: str, repeat: int) -> dict[str, dict[str, float]]:
    engine = make_engine(url)
    out = {}
    for name, case in CASES.items():
        timings = []
        for _ in range(repeat + 1):  # the first run warms the cache and is not counted
            started = time.perf_counter()
            with unit_of_work(engine) as session:
                case(session)
            timings.append(time.perf_counter() - started)
        timings = timings[1:]
        out[name] = {
            "median_s": round(statistics.median(timings), 3),
            "max_s": round(max(timings), 3),
        }
        print(f"{url.split('://')[0]:>20} {name:<28} {out[name]}")
    engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    results = {}
    if args.db in ("sqlite", "both"):
        results["sqlite"] = measure(f"sqlite:///{RESULTS / 'bench.db'}", args.repeat)
    if args.db in ("postgresql", "both"):
        base = PG_SERVER.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
        results["postgresql"] = measure(f"{base}/closeloop_bench", args.repeat)
    write_result("reports-1000000", {"benchmark": "reports over the demo", **results})


if __name__ == "__main__":
    main()
