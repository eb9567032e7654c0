"""SLA sweep speed: one sweep over N leads' open clocks on SQLite and PostgreSQL.

    python benchmarks/bench_sla_sweep.py [--leads 100000] [--db sqlite|postgresql|both]
                                         [--batch 5000] [--reuse] [--due-share 0.15]
                                         [--open-all]

Builds the demo company with N leads (``closeloop demo``), then, set-based, gives every open lead
an owner (the demo's reps and SDRs, round the list), that owner's team and a running SLA clock:

    id % 20   clock                                  what the sweep does
    0         level 0, due 0–3 h ago                 notify the rep (a few also escalate)
    1         level 1, due 0–3 h ago                 escalate to the manager
    2         level 2, due 0–3 h ago                 recycle to the public pool
    3–19      level 0, due 1–97 h from now           nothing (not read: index range scan)

so 15 % of the open leads have a step due, 5 % past each threshold (a backlog: a sweep that runs
every minute finds far fewer). On PostgreSQL the table is then vacuumed and checkpointed, as a
table whose clocks were set over days would be. ``now`` is Wednesday 28 October 2026,
15:00 Shanghai. One ``run_sla_sweep`` is timed (its batches committed one by one); the database
is rebuilt for each backend (or, with --reuse, the clocks are reset on the existing one).
Results: benchmarks/results/sla_sweep_<backend>.json.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from common import PG_SERVER, RESULTS, fresh_postgres, fresh_sqlite, write_result
from sqlalchemy import Engine, func, select, text

from closeloop.db.engine import make_engine, unit_of_work
from closeloop.db.migrate import upgrade
from closeloop.demo.service import DemoOptions, generate_demo
from closeloop.leads.sla.service import DEFAULT_BATCH
from closeloop.leads.sla.tasks import run_sla_sweep
from closeloop.models import LeadSlaStep, Role, User

END = date(2026, 10, 31)
NOW = datetime(2026, 10, 28, 15, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
OPEN = ("new", "working", "mql", "sal", "nurture", "pool")  # pool: recycled by an earlier run


def prepare(engine: Engine, *, due_share: float = 0.15, open_all: bool = False) -> int:
    """Owners, teams and clocks for every open lead, in one UPDATE; returns how many.

    ``due_share`` of the clocks have a step due (a third past each threshold); ``open_all``
    first reopens every lead that was not merged away, for a table of open leads only."""
    postgresql = engine.dialect.name == "postgresql"
    with unit_of_work(engine) as session:
        people = session.execute(
            select(User.id, User.team_id)
            .where(User.role.in_([Role.SALES_REP, Role.SDR]))
            .order_by(User.id)
        ).all()
        owner = " ".join(f"WHEN {i} THEN {p.id}" for i, p in enumerate(people))
        team = " ".join(f"WHEN {i} THEN {p.team_id}" for i, p in enumerate(people))
        due_per_mille = max(1, round(due_share * 1000))
        is_due = f"id % 1000 < {due_per_mille}"
        minutes = "(id % 180)"
        future = "(60 + (id % 5760))"
        if postgresql:
            now = "CAST(:now AS timestamptz)"
            due = (
                f"CASE WHEN {is_due} THEN {now} - {minutes} * interval '1 minute' "
                f"ELSE {now} + {future} * interval '1 minute' END"
            )
        else:
            due = (
                f"CASE WHEN {is_due} THEN strftime('%Y-%m-%d %H:%M:%f000', :now, "
                f"'-' || {minutes} || ' minutes') "
                f"ELSE strftime('%Y-%m-%d %H:%M:%f000', :now, '+' || {future} || ' minutes') END"
            )
        statuses = ", ".join(f"'{s}'" for s in OPEN)
        if open_all:
            session.execute(
                text(
                    "UPDATE leads SET status = 'working' "
                    f"WHERE status NOT IN ({statuses}, 'merged')"
                )
            )
        session.execute(
            text(
                "UPDATE leads SET status = CASE status WHEN 'pool' THEN 'working' ELSE status END, "
                f"owner_id = CASE id % {len(people)} {owner} END, "
                f"team_id = CASE id % {len(people)} {team} END, "
                "sla_kind = CASE id % 3 WHEN 0 THEN 'first_contact' WHEN 1 THEN 'accept' "
                "ELSE 'follow_up' END, "
                f"sla_due_at = {due} "
                f"WHERE status IN ({statuses})"
            ),
            {"now": NOW.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") + ("+00" * postgresql)},
        )
        # The step rows: the deadline on the lead row stands in for a breached clock's next
        # step time too (only the step rows decide what the sweep does).
        session.execute(text("DELETE FROM lead_sla_steps"))
        session.execute(
            text(
                "INSERT INTO lead_sla_steps (lead_id, level, step_at) "
                f"SELECT id, CASE WHEN {is_due} THEN id % 3 ELSE 0 END, sla_due_at FROM leads "
                "WHERE sla_due_at IS NOT NULL"
            )
        )
        count = session.scalar(select(func.count()).select_from(LeadSlaStep))
    # The UPDATE above rewrote every lead at once. On PostgreSQL that leaves a dead copy of each
    # row and index entry, and a gigabyte of log, that a table whose clocks were set over days
    # would not have: autovacuum and a checkpoint would start in the middle of the timed sweep.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if postgresql:
            connection.execute(text("VACUUM ANALYZE leads, lead_sla_steps"))
            connection.execute(text("CHECKPOINT"))
        else:
            connection.execute(text("ANALYZE"))
    return int(count or 0)


def run(
    url: str, leads: int, batch: int, reuse: bool, due_share: float, open_all: bool
) -> dict[str, object]:
    engine = make_engine(url)
    upgrade(engine)  # a reused database may be a revision behind
    if not reuse:
        started = time.perf_counter()
        generate_demo(engine, DemoOptions(seed=1, leads=leads, months=12, end=END))
        print(f"demo: {time.perf_counter() - started:.1f} s")
    clocks = prepare(engine, due_share=due_share, open_all=open_all)
    with unit_of_work(engine) as session:
        past = session.scalar(select(func.count()).where(LeadSlaStep.step_at <= NOW))
    started = time.perf_counter()
    counts = run_sla_sweep(engine, now=NOW, batch_size=batch)
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    again = run_sla_sweep(engine, now=NOW, batch_size=batch)  # nothing due: an index probe
    idle_seconds = time.perf_counter() - started
    assert again["claimed"] == 0, again
    engine.dispose()
    return {
        "leads": leads,
        "open_leads_with_clocks": clocks,
        "clocks_due": int(past or 0),
        "due_share": due_share,
        "batch_size": batch,
        "seconds": round(seconds, 2),
        "due_clocks_per_second": round((past or 0) / seconds),
        **counts,
        "second_sweep_nothing_due_seconds": round(idle_seconds, 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--batch", type=int, default=DEFAULT_BATCH)
    parser.add_argument("--reuse", action="store_true", help="Reuse the database; reset clocks.")
    parser.add_argument("--due-share", type=float, default=0.15, help="share of clocks due")
    parser.add_argument("--open-all", action="store_true", help="reopen every unmerged lead")
    args = parser.parse_args()
    label = f"{args.leads}" + (f"-due{args.due_share:g}" if args.due_share != 0.15 else "")
    options = (args.due_share, args.open_all)
    if args.db in ("sqlite", "both"):
        path = RESULTS / "bench_sla.db"
        RESULTS.mkdir(exist_ok=True)
        url = f"sqlite:///{path}" if args.reuse else fresh_sqlite(path)
        result = run(url, args.leads, args.batch, args.reuse, *options)
        write_result(f"sla_sweep_sqlite-{label}", {"benchmark": "SLA sweep", "sqlite": result})
    if args.db in ("postgresql", "both"):
        name = "closeloop_bench_sla"
        if args.reuse:
            base = PG_SERVER.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
            url = f"{base}/{name}"
        else:
            url = fresh_postgres(name)
        result = run(url, args.leads, args.batch, args.reuse, *options)
        write_result(
            f"sla_sweep_postgresql-{label}", {"benchmark": "SLA sweep", "postgresql": result}
        )


if __name__ == "__main__":
    main()
