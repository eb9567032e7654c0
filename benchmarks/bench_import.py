"""Import speed: a 1,000,000-row lead file into a database that already holds 1,000,000 leads.

    python benchmarks/bench_import.py [--rows 1000000] [--db sqlite|postgresql|both]
        [--qualify] [--profile]

Needs the databases bench_demo.py leaves behind (it copies them first, so they stay reusable).
``--qualify`` imports as users do by default: every new lead scored and routed as it is
written (issue 4's "scoring and routing new leads in batch"; the figure to set against the run
without it). The file is dirty on purpose: phones written several ways, full-width digits,
duplicates of leads already in the database and within the file, and rows that must be
rejected.
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import shutil
import time
from pathlib import Path

import psycopg
from common import PG_SERVER, RESULTS, profiled, write_result

from closeloop.config import Settings
from closeloop.db.engine import make_engine
from closeloop.db.migrate import upgrade
from closeloop.leads.capture.importer import ImportOptions, import_leads

MOBILE_PREFIXES = [
    "130",
    "131",
    "133",
    "135",
    "136",
    "138",
    "139",
    "150",
    "152",
    "158",
    "177",
    "180",
    "186",
    "188",
    "199",
]
HEADERS = ["姓名", "公司", "手机", "邮箱", "职位", "城市", "来源", "备注"]


def write_file(path: Path, rows: int, existing: list[tuple[str, str]], seed: int = 5) -> None:
    """Dirty trade-show style rows; about 5 % are people already in the database."""
    rng = random.Random(seed)
    surnames, given = (
        "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗",
        "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚",
    )
    with path.open("w", encoding="gbk", errors="replace", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for n in range(rows):
            roll = rng.random()
            name = rng.choice(surnames) + rng.choice(given) + rng.choice(given)
            company = f"{rng.choice(['上海', '北京', '深圳'])}测试{n % 50_000}科技有限公司"
            mobile = f"{rng.choice(MOBILE_PREFIXES)}{rng.randint(0, 99_999_999):08d}"
            email = f"bench.{n}@example{n % 997}.cn"
            if roll < 0.05 and existing:  # someone we have: same e-mail
                email = rng.choice(existing)[0]
            elif roll < 0.08 and n > 10:  # the same person earlier in the file, phone rewritten
                mobile = f"+86 {mobile[:3]}-{mobile[3:7]}-{mobile[7:]}"
                email = ""
            elif roll < 0.10:  # cannot be reached
                mobile, email = "", f"broken.{n}@"
            elif roll < 0.15:  # full-width digits
                mobile = mobile.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
            writer.writerow([name, company, mobile, email, "经理", "上海", "展会", ""])


def existing_emails(url: str, count: int = 20_000) -> list[tuple[str, str]]:
    engine = make_engine(url)
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(
            f"SELECT email, phone FROM leads WHERE email IS NOT NULL ORDER BY id LIMIT {count}"
        ).all()
    engine.dispose()
    return [(r[0], r[1]) for r in rows]


def copy_sqlite() -> str:
    source, target = RESULTS / "bench.db", RESULTS / "import.db"
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, target)
    return f"sqlite:///{target}"


def copy_postgres(name: str = "closeloop_import") -> str:
    """A fresh copy of the benchmark database, named ``name``; its URL."""
    with psycopg.connect(PG_SERVER, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "closeloop_bench"')
    base = PG_SERVER.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}/{name}"


def run(url: str, path: Path, qualify: bool, profile: bool = False) -> dict[str, object]:
    engine = make_engine(url)
    upgrade(engine)
    started = time.perf_counter()
    # Without --qualify: the capture path alone (normalize, validate, dedup, insert), as issue 3
    # measures it.
    options = ImportOptions(channel="trade_show", qualify=qualify)
    with profiled(profile):
        summary = import_leads(engine, path, options, Settings())
    seconds = time.perf_counter() - started
    engine.dispose()
    return {
        "rows": summary.read,
        "created": summary.created,
        "merged": summary.merged,
        "rejected": summary.rejected,
        "became_mql": summary.mql,
        "assigned": summary.assigned,
        "pooled": summary.pooled,
        "seconds": round(seconds, 1),
        "rows_per_second": round(summary.read / seconds),
        "max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--qualify", action="store_true", help="score and route as it imports")
    parser.add_argument("--profile", action="store_true", help="print a pyinstrument profile")
    args = parser.parse_args()
    results = {}
    path = RESULTS / f"leads-{args.rows}.csv"
    for kind in ("sqlite", "postgresql"):
        if args.db not in (kind, "both"):
            continue
        url = copy_sqlite() if kind == "sqlite" else copy_postgres()
        write_file(path, args.rows, existing_emails(url))
        results[kind] = run(url, path, args.qualify, args.profile)
        print(kind, results[kind])
    name = f"import-{args.rows}" + ("-qualified" if args.qualify else "")
    write_result(name, {"benchmark": "import into 1M leads", "qualify": args.qualify, **results})


if __name__ == "__main__":
    main()
