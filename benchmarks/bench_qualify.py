"""Scoring and routing a million new leads in batch, together: `qualify_open_leads`.

    python benchmarks/bench_qualify.py [--leads 1000000] [--db sqlite|postgresql|both]
                                       [--rebuild] [--profile]

The issue's case: every lead of a demo company that was not merged away reset to a new lead,
unscored and without owner or team, then one call that scores all of them (rules and the
trained model), hands the ones over the threshold to MQL and routes every one to a rep (caps
lifted, as in bench_routing.py's ``all_new_uncapped``), with its commit.

The reset demo is built once and kept as a template (PostgreSQL database
closeloop_bench_qualify_base, SQLite file results/qualify-base.db; ``--rebuild`` makes it
again); every run copies it, so each measures the same starting state.
Writes results/qualify_<backend>.json.
"""

from __future__ import annotations

import argparse
import shutil
import time
from datetime import UTC, date, datetime

import psycopg
from common import PG_SERVER, RESULTS, fresh_postgres, fresh_sqlite, profiled, write_result
from sqlalchemy import text

from closeloop.db.engine import make_engine, unit_of_work
from closeloop.db.locks import begin_writing
from closeloop.db.migrate import upgrade
from closeloop.demo.service import DemoOptions, generate_demo
from closeloop.leads.qualify import qualify_open_leads
from closeloop.leads.scoring.model import train_model
from closeloop.leads.scoring.rules import DEFAULT

END = date(2026, 10, 31)  # fixed, so that every run generates the same data
AT = datetime(2026, 11, 1, 9, tzinfo=UTC)
BASE = "closeloop_bench_qualify_base"
RUN = "closeloop_bench_qualify"
RESET = (
    "UPDATE leads SET status = 'new', owner_id = NULL, team_id = NULL, assigned_at = NULL, "
    "pool_entered_at = NULL, mql_at = NULL, sla_kind = NULL, sla_due_at = NULL, "
    "score = 0, fit_score = 0, engagement_score = 0, score_version = NULL, score_factors = NULL, "
    "scored_at = NULL, predicted_conversion = NULL, model_version = NULL "
    "WHERE status <> 'merged'"
)


def build_base(url: str, leads: int) -> None:
    engine = make_engine(url)
    upgrade(engine)
    generate_demo(engine, DemoOptions(seed=1, leads=leads, months=12, end=END))
    with unit_of_work(engine) as session:
        train_model(session, rules=DEFAULT, now=AT)
    with engine.begin() as connection:
        connection.execute(text(RESET))
        connection.execute(text("DELETE FROM lead_decisions"))
        connection.execute(text("DELETE FROM lead_sla_steps"))
        connection.execute(text("UPDATE users SET max_open_leads = NULL"))
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            autocommit = connection.execution_options(isolation_level="AUTOCOMMIT")
            autocommit.execute(text("VACUUM FULL ANALYZE"))
    else:  # outside SQLAlchemy: its begin hook would wrap VACUUM in a transaction
        raw = engine.raw_connection()
        raw.driver_connection.execute("VACUUM")  # type: ignore[union-attr]
        raw.close()
    engine.dispose()


def copy_postgres() -> str:
    with psycopg.connect(PG_SERVER, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{RUN}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{RUN}" TEMPLATE "{BASE}"')
    base = PG_SERVER.rsplit("/", 1)[0]
    return f"{base}/{RUN}".replace("postgresql://", "postgresql+psycopg://", 1)


def postgres_base_exists() -> bool:
    with psycopg.connect(PG_SERVER, autocommit=True) as connection:
        found = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BASE])
        return found.fetchone() is not None


def run(url: str, profile: bool) -> dict[str, object]:
    engine = make_engine(url)
    started = time.perf_counter()
    with profiled(profile), unit_of_work(engine) as session:
        begin_writing(session)
        result = qualify_open_leads(session, at=AT)
    seconds = time.perf_counter() - started
    engine.dispose()
    scored, routed = result
    return {
        "leads": scored.considered,
        "seconds": round(seconds, 2),
        "leads_per_second": round(scored.considered / seconds),
        "scored_changed": scored.changed,
        "became_mql": scored.mql,
        "assigned": routed.assigned,
        "pooled": routed.pooled,
        "skipped": routed.skipped,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--rebuild", action="store_true", help="make the template again")
    parser.add_argument("--profile", action="store_true", help="pyinstrument the run")
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    for backend in backends:
        if backend == "sqlite":
            base = RESULTS / "qualify-base.db"
            if args.rebuild or not base.exists():
                build_base(fresh_sqlite(base), args.leads)
            target = RESULTS / "qualify-run.db"
            url = fresh_sqlite(target)
            shutil.copyfile(base, target)
        else:
            if args.rebuild or not postgres_base_exists():
                build_base(fresh_postgres(BASE), args.leads)
            url = copy_postgres()
        result = run(url, args.profile)
        write_result(
            f"qualify_{backend}",
            {"benchmark": "batch scoring and routing", "backend": backend, **result},
        )


if __name__ == "__main__":
    main()
