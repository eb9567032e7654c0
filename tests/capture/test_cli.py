"""The real `closeloop` script: `import leads … --json` and `--dry-run`, its refusals (exit code 2,
one line on stderr, no traceback, nothing written), `leads unmerge` and `apikey create`.

Each call starts a new process (about a second), so the cases are chosen, not enumerated, and
only the import runs on both databases: the rest decides nothing a database could change (the
services under them are tested on both). The file `expo.csv` (GBK, Chinese headers, channel
trade_show):

    row  姓名   手机            邮箱                  becomes
    2    王伟   138 0013 8000   wang.wei@huaxin.cn    created
    3    李娜                                        rejected: 邮箱, no e-mail or phone
    4    王伟   +8613800138000                        merged into row 2
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from closeloop.cli import app
from closeloop.config import Settings
from closeloop.errors import Invalid
from closeloop.models import ApiKey, Lead
from tests.capture.conftest import Marketing
from tests.capture.helpers import (
    SQLITE_ONLY,
    assert_refused,
    closeloop,
    leads_of,
    row_counts,
    run_import,
    write_expo,
)

pytestmark = pytest.mark.usefixtures("marketing")


@pytest.fixture
def expo(tmp_path: Path) -> Path:
    return write_expo(tmp_path)


def test_import_leads_prints_a_json_summary(
    db_url: str, read: Session, marketing: Marketing, expo: Path
) -> None:
    result = closeloop(
        "import", "leads", str(expo), "--channel", "trade_show", "--json", "--db", db_url,
        cwd=expo.parent,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert {k: summary[k] for k in ("read", "created", "merged", "already", "rejected")} == {
        "read": 3,
        "created": 1,
        "merged": 1,
        "already": 0,
        "rejected": 1,
    }
    assert summary["rejects_file"] == str(expo.with_name("expo.rejects.csv"))
    assert summary["dry_run"] is False
    assert [(lead.full_name, lead.status, lead.channel_id) for lead in leads_of(read)] == [
        ("王伟", "new", marketing.trade_show),
        ("王伟", "merged", marketing.trade_show),
    ]


@SQLITE_ONLY
def test_import_leads_dry_run_prints_the_counts_and_writes_nothing(
    engine: Engine, db_url: str, expo: Path
) -> None:
    before = row_counts(engine)

    result = closeloop(
        "import", "leads", str(expo), "--channel", "trade_show", "--dry-run", "--json",
        "--db", db_url, cwd=expo.parent,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["read"], summary["created"], summary["merged"], summary["rejected"]) == (
        3,
        1,
        1,
        1,
    )
    assert row_counts(engine) == before
    assert not expo.with_name("expo.rejects.csv").exists()


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        (["--channel", "billboards"], "unknown channel 'billboards'"),
        (["--channel", "trade_show", "--map", "单位名称"], "expected column=field"),
        (["--channel", "trade_show", "--map", "单位名称=company"], "no column named '单位名称'"),
    ],
    ids=["unknown-channel", "map-without-field", "map-unknown-column"],
)
def test_import_leads_refuses_bad_options_and_writes_nothing(
    engine: Engine, db_url: str, expo: Path, options: list[str], fragment: str
) -> None:
    before = row_counts(engine)

    result = closeloop("import", "leads", str(expo), *options, "--db", db_url, cwd=expo.parent)

    assert_refused(result, fragment)
    assert row_counts(engine) == before
    assert not expo.with_name("expo.rejects.csv").exists()


@SQLITE_ONLY
def test_import_leads_refuses_a_missing_file_and_writes_nothing(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    before = row_counts(engine)

    result = closeloop(
        "import", "leads", str(tmp_path / "nope.csv"), "--channel", "trade_show", "--db", db_url,
        cwd=tmp_path,
    )  # fmt: skip

    assert_refused(result, "no such file", "nope.csv")
    assert row_counts(engine) == before


@SQLITE_ONLY
def test_a_refused_import_prints_nothing_on_stdout(db_url: str, expo: Path) -> None:
    # In process (the error itself is the script's job, tested above): only stdout matters here.
    arguments = ["import", "leads", str(expo), "--channel", "billboards", "--db", db_url]

    result = CliRunner().invoke(app, arguments)

    assert isinstance(result.exception, Invalid)
    assert result.stdout == ""


@SQLITE_ONLY
def test_leads_unmerge_refuses_a_lead_that_is_not_merged(
    engine: Engine, db_url: str, settings: Settings, read: Session, expo: Path
) -> None:
    run_import(engine, expo, settings)
    survivor = read.scalars(select(Lead.id).where(Lead.status == "new")).one()
    before = row_counts(engine)

    result = closeloop("leads", "unmerge", str(survivor), "--db", db_url, cwd=expo.parent)

    assert_refused(result, f"lead {survivor} is new, not merged")
    assert row_counts(engine) == before


@SQLITE_ONLY
def test_apikey_create_refuses_an_unknown_channel(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    result = closeloop("apikey", "create", "--channel", "billboards", "--db", db_url, cwd=tmp_path)

    assert_refused(result, "unknown channel 'billboards'")
    assert row_counts(engine)["api_keys"] == 0


@SQLITE_ONLY
def test_apikey_create_prints_the_key_and_stores_only_its_sha256(
    db_url: str, read: Session, marketing: Marketing, tmp_path: Path
) -> None:
    result = closeloop(
        "apikey", "create", "--channel", "webinar", "--json", "--db", db_url, cwd=tmp_path
    )

    assert result.returncode == 0, result.stderr
    key = json.loads(result.stdout)["key"]
    row = read.scalars(select(ApiKey)).one()
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert row.channel_id == marketing.webinar
    stored = [getattr(row, column.key) for column in ApiKey.__table__.columns]
    assert all(key not in str(value) for value in stored)
