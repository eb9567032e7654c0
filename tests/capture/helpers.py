"""Helpers for the capture tests: files, the import, row counts, API keys, the console script."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from closeloop.config import Settings
from closeloop.db.engine import session_factory, unit_of_work
from closeloop.leads.apikeys import create_api_key
from closeloop.leads.capture.importer import ImportOptions, ImportSummary, import_leads
from closeloop.models import (
    ApiKey,
    IdempotencyKey,
    ImportBatch,
    Lead,
    LeadMerge,
    LeadReject,
    LeadStatusChange,
    Touch,
)

with warnings.catch_warnings():  # Starlette's notice that it prefers httpx2 is not about us
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient as TestClient  # re-exported for the tests

# For a test whose outcome no database could change: run it on SQLite only (this overrides the
# shared `backend` fixture's parameters).
SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"])

# Tables a capture writes to; "nothing written" means none of their row counts changed.
CAPTURE_TABLES = (
    Lead,
    Touch,
    LeadReject,
    LeadMerge,
    LeadStatusChange,
    ImportBatch,
    ApiKey,
    IdempotencyKey,
)


# ---- files -------------------------------------------------------------------------------------


def write_csv(
    path: Path, header: Sequence[str], rows: Iterable[Sequence[object]], *, encoding: str = "utf-8"
) -> Path:
    """A CSV file as a spreadsheet program would save it, in ``encoding``."""
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_jsonl(path: Path, lines: Iterable[dict[str, Any] | str]) -> Path:
    """JSON Lines: dicts are dumped, strings written as they are (to make broken lines)."""
    text = "".join(
        (line if isinstance(line, str) else json.dumps(line, ensure_ascii=False)) + "\n"
        for line in lines
    )
    path.write_text(text, encoding="utf-8")
    return path


def write_expo(directory: Path) -> Path:
    """`expo.csv` of the CLI tests: GBK, Chinese headers, one lead, one reject, one duplicate."""
    return write_csv(
        directory / "expo.csv",
        ["姓名", "手机", "邮箱"],
        [
            ["王伟", "138 0013 8000", "wang.wei@huaxin.cn"],
            ["李娜", "", ""],
            ["王伟", "+8613800138000", ""],
        ],
        encoding="gbk",
    )


def read_rejects(path: Path) -> list[dict[str, str]]:
    """The rows of a `<stem>.rejects.csv` file."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def run_import(engine: Engine, path: Path, settings: Settings, **options: Any) -> ImportSummary:
    """`closeloop import leads` in this process (default: channel trade_show, region CN)."""
    options.setdefault("channel", "trade_show")
    return import_leads(engine, path, ImportOptions(**options), settings)


def assert_adds_up(summary: ImportSummary) -> None:
    assert summary.read == summary.created + summary.merged + summary.rejected


# ---- the database ------------------------------------------------------------------------------


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows in each capture table, read in a fresh session."""
    with session_factory(engine)() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in CAPTURE_TABLES
        }


def leads_of(session: Session) -> list[Lead]:
    """Every lead, in the order it was written (in a new transaction: sees every commit)."""
    session.rollback()
    return list(session.scalars(select(Lead).order_by(Lead.id)))


def touches_of(session: Session, lead_id: int) -> list[Touch]:
    """The touches of a lead, oldest first (in a new transaction)."""
    session.rollback()
    return list(session.scalars(select(Touch).where(Touch.lead_id == lead_id).order_by(Touch.id)))


def issue_key(engine: Engine, channel: str = "webinar", **options: Any) -> str:
    """A committed API key for ``channel``; returns the key text."""
    with unit_of_work(engine) as session:
        return create_api_key(session, channel=channel, **options).key


# ---- the console script ------------------------------------------------------------------------


def _console_script() -> str:
    beside_python = Path(sys.executable).parent / "closeloop"
    found = str(beside_python) if beside_python.exists() else shutil.which("closeloop")
    assert found, "the closeloop console script is not installed (pip install -e .)"
    return found


def closeloop(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the installed `closeloop` script with no CLOSELOOP_* settings from the environment."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CLOSELOOP_")}
    return subprocess.run(
        [_console_script(), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment,
        timeout=120,
        check=False,
    )


def assert_refused(result: subprocess.CompletedProcess[str], *fragments: str) -> str:
    """Exit code 2, no output on stdout, one line on stderr (no traceback) containing fragments.

    (A stray blank line on stdout is tolerated here; test_cli.py has its own test for it.)
    """
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert result.stdout.strip() == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]
