"""The real `closeloop` script: bad input gives one line on stderr, exit code 2, and writes nothing.

Also the happy paths next to them: `init` twice, `report roi --json/--csv`, `report funnel --json`.
Each call starts a new process (about a second), so the cases are chosen, not enumerated.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from closeloop.db.engine import make_engine, unit_of_work
from closeloop.db.migrate import head_revision
from closeloop.models import DisqualifyReason, LeadStatus
from tests import factories as f
from tests.conftest import BACKENDS, DatabaseServer, PostgresServer
from tests.factories import at

D = Decimal


def _console_script() -> str:
    beside_python = Path(sys.executable).parent / "closeloop"
    found = str(beside_python) if beside_python.exists() else shutil.which("closeloop")
    assert found, "the closeloop console script is not installed (pip install -e .)"
    return found


CLOSELOOP = _console_script()


def closeloop(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the installed console script, with no CLOSELOOP_* settings but ``env``."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CLOSELOOP_")}
    environment.update(env or {})
    return subprocess.run(
        [CLOSELOOP, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment,
        timeout=60,
        check=False,
    )


def assert_refused(result: subprocess.CompletedProcess[str], *fragments: str) -> str:
    """Exit code 2, nothing on stdout, exactly one line on stderr, containing ``fragments``."""
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


def tables_of(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


# ---- bad input that needs no database of the test -------------------------------------------
#
# Each call starts a new Python process (about a second), so these run all at once, each in its own
# working directory, and each test checks one of them. "{dir}" stands for that directory.

NOT_A_DATABASE = "not a database\n" * 100


@dataclass(frozen=True)
class BadInput:
    args: tuple[str, ...]
    message: str
    files: dict[str, str] = field(default_factory=dict)  # in the working directory beforehand


BAD_INPUT = {
    # the database URL is wrong or cannot be reached
    "not-a-url": BadInput(("report", "roi", "--db", "nonsense"), "not a database URL: 'nonsense'"),
    "bad-port": BadInput(
        ("report", "roi", "--db", "postgresql://u@127.0.0.1:notaport/db"), "not a database URL"
    ),
    "mysql": BadInput(
        ("report", "roi", "--db", "mysql://u@127.0.0.1/db"), "unsupported database 'mysql'"
    ),
    "no-driver": BadInput(
        ("init", "--db", "sqlite+pysqlcipher:///{dir}/x.db"), "no driver for 'sqlite+pysqlcipher'"
    ),
    "unreachable": BadInput(
        ("report", "roi", "--db", "postgresql://nobody:s3cret@127.0.0.1:1/closeloop"),
        "cannot open database postgresql+psycopg://nobody:***@127.0.0.1:1/closeloop",
    ),
    "not-a-database": BadInput(
        ("report", "roi", "--db", "sqlite:///{dir}/notes.db"),
        "file is not a database",
        files={"notes.db": NOT_A_DATABASE},
    ),
    "init-in-a-missing-directory": BadInput(
        ("init", "--db", "sqlite:///{dir}/no/such/dir/closeloop.db"), "cannot open database"
    ),
    # the arguments are wrong: the database (given, or the default ./closeloop.db) is a missing
    # file, so had it been opened first the message would say so instead, and it must not appear
    "roi-by": BadInput(
        ("report", "roi", "--by", "region", "--db", "sqlite:///{dir}/closeloop.db"),
        "by: unknown grouping 'region': choose one of channel, campaign, content",
    ),
    "funnel-by": BadInput(
        ("report", "funnel", "--by", "region", "--db", "sqlite:///{dir}/closeloop.db"),
        "by: unknown grouping 'region'",
    ),
    "date-range": BadInput(
        ("report", "roi", "--from", "2026-02-01", "--to", "2026-01-31"),
        "from: impossible date range: 2026-02-01 is after 2026-01-31",
    ),
    "no-such-day": BadInput(
        ("report", "funnel", "--from", "2026-02-30"), "from: not a date: '2026-02-30'"
    ),
    "date-format": BadInput(
        ("report", "roi", "--to", "31/01/2026"), "to: not a date: '31/01/2026' (use YYYY-MM-DD)"
    ),
    "json-and-csv": BadInput(
        ("report", "roi", "--json", "--csv"), "choose one of --json and --csv"
    ),
}


def snapshot(directory: Path) -> dict[str, bytes | None]:
    """Every path under ``directory`` with its bytes (None for a directory)."""
    return {
        str(path.relative_to(directory)): None if path.is_dir() else path.read_bytes()
        for path in sorted(directory.rglob("*"))
    }


@dataclass
class Outcome:
    result: subprocess.CompletedProcess[str]
    before: dict[str, bytes | None]
    after: dict[str, bytes | None]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    """Every BAD_INPUT case, run concurrently, with its working directory before and after."""
    workdirs = {name: tmp_path_factory.mktemp(name) for name in BAD_INPUT}
    for name, case in BAD_INPUT.items():
        for file_name, content in case.files.items():
            (workdirs[name] / file_name).write_text(content)

    def run(name: str) -> tuple[str, Outcome]:
        workdir, case = workdirs[name], BAD_INPUT[name]
        before = snapshot(workdir)
        result = closeloop(*(arg.format(dir=workdir) for arg in case.args), cwd=workdir)
        return name, Outcome(result, before, snapshot(workdir))

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        return dict(pool.map(run, BAD_INPUT))


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_is_one_line_exit_code_2_and_writes_nothing(
    outcomes: dict[str, Outcome], case: str
):
    outcome = outcomes[case]

    line = assert_refused(outcome.result, BAD_INPUT[case].message)
    assert "s3cret" not in line  # a password is never printed
    # No database file, no directory, no default ./closeloop.db; a file given stays as it was.
    assert outcome.after == outcome.before


def test_a_report_on_a_missing_database_does_not_create_it(tmp_path: Path, server: DatabaseServer):
    if isinstance(server, PostgresServer):
        name = "closeloop_no_such_database"
        url, message = server.url_of(name), f'database "{name}" does not exist'
    else:
        path = tmp_path / "missing.db"
        url, message = f"sqlite:///{path}", f"no database at {path}: run `closeloop init`"

    assert_refused(closeloop("report", "funnel", "--db", url, cwd=tmp_path), message)

    if isinstance(server, PostgresServer):
        with server.admin.connect() as connection:
            found = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
            assert found.first() is None
    else:
        assert not path.exists()


@pytest.fixture
def unmigrated_db_url(empty_db_url: str) -> str:
    """A database that holds something, but not Closeloop's schema."""
    engine = make_engine(empty_db_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE notes (id INTEGER PRIMARY KEY)")
    engine.dispose()
    return empty_db_url


def test_a_report_on_an_unmigrated_database_is_refused_and_writes_nothing(
    tmp_path: Path, unmigrated_db_url: str
):
    result = closeloop("report", "roi", "--db", unmigrated_db_url, cwd=tmp_path)

    assert_refused(result, "the database has no Closeloop schema yet: run `closeloop init`")
    assert tables_of(unmigrated_db_url) == {"notes"}


# ---- init ---------------------------------------------------------------------------------------


def test_init_twice_creates_then_keeps_the_schema(tmp_path: Path, empty_db_url: str):
    first = closeloop("init", "--db", empty_db_url, cwd=tmp_path)
    second = closeloop("init", "--db", empty_db_url, cwd=tmp_path)

    assert (first.returncode, first.stderr) == (0, ""), first.stderr
    assert first.stdout.strip() == f"Database schema upgraded from empty to {head_revision()}."
    assert (second.returncode, second.stderr) == (0, ""), second.stderr
    assert second.stdout.strip() == f"Database schema is up to date ({head_revision()})."
    assert {"leads", "orders", "alembic_version"} <= tables_of(empty_db_url)


# ---- reports on a small company -----------------------------------------------------------------
#
# Search  spend 100.00 (01-05); S1 (01-02) mql → sal → sql, won 300.00 from Acme (closed 01-08),
#         invoiced 300.00 on 01-10, 150.00 of it paid; S2 (01-03) disqualified as invalid
# Email   no spend; E1 (01-04) new; E2 created 02-01, outside --to 2026-01-31
#
# Search  leads 2, valid 1, MQL = SAL = SQL = 1, 1 opportunity won, 1 customer; revenue 300.00,
#         invoiced 300.00, cash 150.00; CPL 100/2 = 50.00; per valid 100/1 = 100.00; CAC 100.00;
#         ROAS 300/100 = 3 (1:3.00); ROI 200/100 = 2; cash ROI 50/100 = 0.5
# Email   leads 1, valid 1; CPL and per valid 0/1 = 0.00; CAC, win rate and the ratios over spend
#         have a zero denominator: empty
# total   leads 3, valid 2; CPL 100/3 = 33.33; per valid 100/2 = 50.00; the rest as Search

PERIOD_ARGS = ["--from", "2026-01-01", "--to", "2026-01-31"]


def build_small_company(session: Session) -> None:
    search = f.channel(session, "Search")
    email = f.channel(session, "Email", kind="email")
    f.spend(session, D("100.00"), date(2026, 1, 5), channel=search)
    s1 = f.lead(
        session,
        at(2026, 1, 2),
        channel=search,
        status=LeadStatus.SQL,
        mql_at=at(2026, 1, 3),
        sal_at=at(2026, 1, 4),
        sql_at=at(2026, 1, 5),
    )
    acme = f.account(session, "Acme")
    deal = f.opportunity(
        session,
        lead=s1,
        account=acme,
        stage=f.pipeline(session)["Won"],
        amount=D("300.00"),
        closed_at=at(2026, 1, 8),
    )
    order = f.order(
        session, deal, signed_at=at(2026, 1, 8), amount=D("300.00"), invoiced_at=at(2026, 1, 10)
    )
    f.paid_invoice(session, order, D("300.00"), issued_on=date(2026, 1, 10), paid=D("150.00"))
    f.lead(
        session,
        at(2026, 1, 3),
        channel=search,
        status=LeadStatus.DISQUALIFIED,
        disqualified_reason=DisqualifyReason.INVALID,
    )
    f.lead(session, at(2026, 1, 4), channel=email)
    f.lead(session, at(2026, 2, 1), channel=email)


# The database is given three ways: to the root command, to the subcommand, in the environment.
REPORTS = {
    "roi-json": ("--db", "{url}", "report", "roi", "--json", *PERIOD_ARGS),
    "roi-csv": ("report", "roi", "--csv", *PERIOD_ARGS),
    "roi-tables": ("report", "roi", *PERIOD_ARGS, "--db", "{url}"),
    "funnel-json": ("report", "funnel", "--json", *PERIOD_ARGS, "--db", "{url}"),
    "funnel-json-by-channel": (
        ("report", "funnel", "--json", "--by", "channel", *PERIOD_ARGS, "--db", "{url}")
    ),
}


@pytest.fixture(scope="module", params=BACKENDS)
def reports(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, subprocess.CompletedProcess[str]]:
    """Each of REPORTS run concurrently against one database holding the small company."""
    server: DatabaseServer = request.getfixturevalue(f"{request.param}_server")
    workdir = tmp_path_factory.mktemp(f"reports-{request.param}")
    url = server.create(migrated=True, directory=workdir)
    try:
        engine = make_engine(url)
        with unit_of_work(engine) as session:
            build_small_company(session)
        engine.dispose()

        def run(name: str) -> tuple[str, subprocess.CompletedProcess[str]]:
            args = [arg.format(url=url) for arg in REPORTS[name]]
            env = {"CLOSELOOP_DATABASE_URL": url} if "{url}" not in REPORTS[name] else {}
            return name, closeloop(*args, cwd=workdir, env=env)

        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            results = dict(pool.map(run, REPORTS))
    finally:
        server.drop(url)
    for name, result in results.items():
        assert (result.returncode, result.stderr) == (0, ""), f"{name}: {result.stderr}"
    return results


ROI_HEADER = (
    "channel,currency,spend,leads,valid_leads,mql,sal,sql,opportunities,won,lost,customers,"
    "revenue,invoiced,cash,cpl,cost_per_valid_lead,cac,win_rate,roas,roas_ratio,roi,cash_roi"
)
ROI_CSV = [
    ROI_HEADER,
    "Search,USD,100.00,2,1,1,1,1,1,1,0,1,300.00,300.00,150.00,"
    "50.00,100.00,100.00,1.0000,3.0000,1:3.00,2.0000,0.5000",
    "Email,USD,0.00,1,1,0,0,0,0,0,0,0,0.00,0.00,0.00,0.00,0.00,,,,,,",
    "total,USD,100.00,3,2,1,1,1,1,1,0,1,300.00,300.00,150.00,"
    "33.33,50.00,100.00,1.0000,3.0000,1:3.00,2.0000,0.5000",
]


def csv_to_json_row(line: str) -> dict[str, object]:
    """The JSON form of an ROI_CSV line: counts as numbers, empty cells as null."""
    row: dict[str, object] = {}
    for name, cell in zip(ROI_HEADER.split(","), line.split(","), strict=True):
        row[name] = int(cell) if cell.isdigit() else (cell or None)
    return row


def test_report_roi_json(reports: dict[str, subprocess.CompletedProcess[str]]):
    assert json.loads(reports["roi-json"].stdout) == [csv_to_json_row(row) for row in ROI_CSV[1:]]


def test_report_roi_csv(reports: dict[str, subprocess.CompletedProcess[str]]):
    assert reports["roi-csv"].stdout.splitlines() == ROI_CSV


# Funnel of the January cohort (S1, S2, E1): lead 3; valid 2; MQL, SAL, SQL, won, invoiced 1
# (S1); paid 0 (150.00 of 300.00). Medians: MQL 01-02 → 01-03 = 1 day; SAL 1; SQL 1;
# won 01-05 → 01-08 = 3; invoiced 01-08 → 01-10 = 2; paid: no lead, no median.
FUNNEL = [
    {"stage": "lead", "count": 3, "conversion": None, "conversion_from_lead": "1.0000",
     "median_days": None},
    {"stage": "valid_lead", "count": 2, "conversion": "0.6667", "conversion_from_lead": "0.6667",
     "median_days": None},
    {"stage": "mql", "count": 1, "conversion": "0.5000", "conversion_from_lead": "0.3333",
     "median_days": "1.0"},
    {"stage": "sal", "count": 1, "conversion": "1.0000", "conversion_from_lead": "0.3333",
     "median_days": "1.0"},
    {"stage": "sql", "count": 1, "conversion": "1.0000", "conversion_from_lead": "0.3333",
     "median_days": "1.0"},
    {"stage": "won", "count": 1, "conversion": "1.0000", "conversion_from_lead": "0.3333",
     "median_days": "3.0"},
    {"stage": "invoiced", "count": 1, "conversion": "1.0000", "conversion_from_lead": "0.3333",
     "median_days": "2.0"},
    {"stage": "paid", "count": 0, "conversion": "0.0000", "conversion_from_lead": "0.0000",
     "median_days": None},
]  # fmt: skip


def test_report_funnel_json(reports: dict[str, subprocess.CompletedProcess[str]]):
    assert json.loads(reports["funnel-json"].stdout) == FUNNEL


def test_report_funnel_json_by_channel(reports: dict[str, subprocess.CompletedProcess[str]]):
    rows = json.loads(reports["funnel-json-by-channel"].stdout)

    assert [row["channel"] for row in rows] == ["Search"] * 8 + ["Email"] * 8 + ["total"] * 8
    assert [{k: v for k, v in row.items() if k != "channel"} for row in rows[16:]] == FUNNEL
    assert [row["count"] for row in rows[8:16]] == [1, 1, 0, 0, 0, 0, 0, 0]  # Email: E1 only


def test_report_roi_tables_for_people(reports: dict[str, subprocess.CompletedProcess[str]]):
    stdout = reports["roi-tables"].stdout

    # The layout of the tables is for people and may change; the numbers are checked above.
    assert "Closed-loop ROI by channel — volume" in stdout
    assert "Closed-loop ROI by channel — value (USD)" in stdout
    assert "Leads created from 2026-01-01 to 2026-01-31" in stdout
    for label in ("Search", "Email", "Total"):
        assert label in stdout
