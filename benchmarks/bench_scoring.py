"""Batch scoring speed, and the model's ROC AUC next to the rule score's, on the demo company.

    python benchmarks/bench_scoring.py [--leads 100000] [--db sqlite|postgresql|both] [--profile]

Creates a fresh demo database per backend, trains the model on its history (time holdout),
resets every lead's score, then times ``score_leads`` over all open leads, writes included, in
one transaction as ``closeloop scoring run`` does. Writes results/scoring_<backend>.json.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, date, datetime

from common import RESULTS, fresh_postgres, fresh_sqlite, profiled, write_result
from sqlalchemy import text

from closeloop.db.engine import make_engine, unit_of_work
from closeloop.db.locks import begin_writing
from closeloop.db.migrate import upgrade
from closeloop.demo.service import DemoOptions, generate_demo
from closeloop.leads.scoring.model import train_model
from closeloop.leads.scoring.rules import DEFAULT
from closeloop.leads.scoring.service import score_leads

END = date(2026, 10, 31)
NOW = datetime(2026, 11, 1, tzinfo=UTC)
RESET = (
    "UPDATE leads SET score = 0, fit_score = 0, engagement_score = 0, score_version = NULL, "
    "score_factors = NULL, scored_at = NULL, predicted_conversion = NULL, model_version = NULL"
)


def run(url: str, leads: int, profile: bool) -> dict[str, object]:
    engine = make_engine(url)
    upgrade(engine)
    generate_demo(engine, DemoOptions(seed=1, leads=leads, months=12, end=END))
    started = time.perf_counter()
    with unit_of_work(engine) as session:
        report = train_model(session, rules=DEFAULT, now=NOW)
    train_seconds = time.perf_counter() - started
    with engine.begin() as connection:
        connection.execute(text(RESET))
        connection.execute(text("DELETE FROM lead_decisions"))
    started = time.perf_counter()
    with profiled(profile), unit_of_work(engine) as session:
        begin_writing(session)
        first = score_leads(session, at=NOW)
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    with unit_of_work(engine) as session:
        begin_writing(session)
        again = score_leads(session, at=NOW)  # nothing changed: reads and compares only
    again_seconds = time.perf_counter() - started
    engine.dispose()
    return {
        "leads": leads,
        "open_leads": first.considered,
        "scored_seconds": round(seconds, 2),
        "leads_per_second": round(first.considered / seconds),
        "changed": first.changed,
        "decisions": first.decisions,
        "became_mql": first.mql,
        "rescore_unchanged_seconds": round(again_seconds, 2),
        "rescore_unchanged_leads_per_second": round(again.considered / again_seconds),
        "train_seconds": round(train_seconds, 1),
        "model": {
            "holdout_rows": report.holdout_rows,
            "holdout_from": report.holdout_from,
            "model_roc_auc": report.model_auc,
            "rule_roc_auc": report.rule_auc,
            "brier": report.brier,
            "base_rate_brier": report.base_rate_brier,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--profile", action="store_true", help="pyinstrument the scoring run")
    args = parser.parse_args()
    if args.db in ("sqlite", "both"):
        RESULTS.mkdir(exist_ok=True)
        url = fresh_sqlite(RESULTS / "bench-scoring.db")
        result = run(url, args.leads, args.profile)
        write_result(
            "scoring_sqlite", {"benchmark": "batch scoring", "backend": "sqlite", **result}
        )
    if args.db in ("postgresql", "both"):
        url = fresh_postgres("closeloop_bench_scoring")
        result = run(url, args.leads, args.profile)
        write_result(
            "scoring_postgresql", {"benchmark": "batch scoring", "backend": "postgresql", **result}
        )


if __name__ == "__main__":
    main()
