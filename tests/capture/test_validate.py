"""Validation loses nothing: every rejected row is kept with its row, field and reason (in the
lead_rejects table and in `<stem>.rejects.csv`), the summary adds up, re-runs and dry runs write
nothing new.

The file `expo.csv` (UTF-8, channel trade_show):

    row  name        email               phone              becomes
    2    Wang Wei    wang.wei@huaxin.cn  138 0013 8000      created
    3    No Contact                                         rejected: email, no e-mail or phone
    4    Bad Mail    wang.at.huaxin.cn                      rejected: email, no @-sign
    5    Bad Phone                       12345              rejected: phone, not a valid number
    6    Li Na       li.na@example       139 0013 9000      created, the bad e-mail in the notes
    7    Wang Wei                        +86 138-0013-8000  merged into row 2 (same phone)

    read 6 = created 2 + merged 1 + rejected 3
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from closeloop.config import Settings
from closeloop.models import ImportBatch, LeadReject
from tests.capture.helpers import (
    assert_adds_up,
    leads_of,
    read_rejects,
    row_counts,
    run_import,
    write_csv,
)

pytestmark = pytest.mark.usefixtures("marketing")

HEADER = ["name", "email", "phone"]
ROWS = [
    ["Wang Wei", "wang.wei@huaxin.cn", "138 0013 8000"],
    ["No Contact", "", ""],
    ["Bad Mail", "wang.at.huaxin.cn", ""],
    ["Bad Phone", "", "12345"],
    ["Li Na", "li.na@example", "139 0013 9000"],
    ["Wang Wei", "", "+86 138-0013-8000"],
]
NO_CONTACT = "no e-mail or phone to reach the person"
NO_AT_SIGN = "An email address must have an @-sign."
BAD_PHONE = "not a valid phone number: '12345'"


@pytest.fixture
def expo(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "expo.csv", HEADER, ROWS)


def test_the_summary_adds_up(engine: Engine, settings: Settings, expo: Path) -> None:
    summary = run_import(engine, expo, settings)

    assert (summary.read, summary.created, summary.merged, summary.rejected) == (6, 2, 1, 3)
    assert_adds_up(summary)


def test_every_rejected_row_is_in_the_rejects_file_with_row_field_and_reason(
    engine: Engine, settings: Settings, expo: Path
) -> None:
    summary = run_import(engine, expo, settings)

    assert summary.rejects_file == str(expo.with_name("expo.rejects.csv"))
    assert [
        (r["row"], r["field"], r["reason"], r["name"])
        for r in read_rejects(Path(str(summary.rejects_file)))
    ] == [
        ("3", "email", NO_CONTACT, "No Contact"),
        ("4", "email", NO_AT_SIGN, "Bad Mail"),
        ("5", "phone", BAD_PHONE, "Bad Phone"),
    ]


def test_every_rejected_row_is_stored_in_lead_rejects_with_its_raw_values(
    engine: Engine, settings: Settings, read: Session, expo: Path
) -> None:
    summary = run_import(engine, expo, settings)

    rejects = read.scalars(select(LeadReject).order_by(LeadReject.row_number)).all()
    assert [(r.row_number, r.field, r.reason) for r in rejects] == [
        (3, "email", NO_CONTACT),
        (4, "email", NO_AT_SIGN),
        (5, "phone", BAD_PHONE),
    ]
    assert rejects[2].raw == {"name": "Bad Phone", "email": "", "phone": "12345"}
    assert {r.import_batch_id for r in rejects} == {summary.import_batch_id}


def test_the_import_batch_records_the_summary(
    engine: Engine, settings: Settings, read: Session, expo: Path
) -> None:
    summary = run_import(engine, expo, settings)

    batch = read.get_one(ImportBatch, summary.import_batch_id)
    assert (batch.source, batch.read, batch.created, batch.merged, batch.rejected) == (
        "expo.csv",
        6,
        2,
        1,
        3,
    )
    assert batch.finished_at is not None


def test_a_malformed_email_with_a_valid_phone_is_accepted_on_the_phone(
    engine: Engine, settings: Settings, read: Session, expo: Path
) -> None:
    run_import(engine, expo, settings)

    [li_na] = [lead for lead in leads_of(read) if lead.full_name == "Li Na"]
    assert (li_na.email, li_na.phone, li_na.status) == (None, "+8613900139000", "new")
    assert li_na.notes is not None and "email" in li_na.notes and "ignored" in li_na.notes


def test_a_malformed_email_with_a_valid_phone_keeps_the_address_in_the_notes(
    engine: Engine, settings: Settings, read: Session, expo: Path
) -> None:
    run_import(engine, expo, settings)

    [li_na] = [lead for lead in leads_of(read) if lead.full_name == "Li Na"]
    assert li_na.notes is not None and "li.na@example" in li_na.notes


def test_running_the_same_file_again_creates_nothing(
    engine: Engine, settings: Settings, expo: Path
) -> None:
    run_import(engine, expo, settings)
    before = row_counts(engine)

    again = run_import(engine, expo, settings)

    assert (again.read, again.created, again.merged, again.already, again.rejected) == (
        6,
        0,
        3,
        3,
        3,
    )
    after = row_counts(engine)
    for table in ("leads", "touches", "lead_rejects", "lead_merges", "lead_status_changes"):
        assert after[table] == before[table], table


def test_running_the_same_file_again_writes_the_same_rejects_file(
    engine: Engine, settings: Settings, expo: Path
) -> None:
    run_import(engine, expo, settings)
    first = read_rejects(expo.with_name("expo.rejects.csv"))

    run_import(engine, expo, settings)

    assert read_rejects(expo.with_name("expo.rejects.csv")) == first


def test_a_dry_run_reports_what_the_real_run_then_does(
    engine: Engine, settings: Settings, expo: Path
) -> None:
    dry = run_import(engine, expo, settings, dry_run=True)
    real = run_import(engine, expo, settings)

    counts = ("read", "created", "merged", "already", "rejected")
    assert [getattr(dry, c) for c in counts] == [getattr(real, c) for c in counts]
    assert (dry.dry_run, dry.import_batch_id, dry.rejects_file) == (True, None, None)


def test_a_dry_run_writes_nothing(engine: Engine, settings: Settings, expo: Path) -> None:
    before = row_counts(engine)

    run_import(engine, expo, settings, dry_run=True)

    assert row_counts(engine) == before
    assert not expo.with_name("expo.rejects.csv").exists()


def test_a_dry_run_after_a_real_run_reports_every_row_as_imported_before(
    engine: Engine, settings: Settings, expo: Path
) -> None:
    run_import(engine, expo, settings)
    before = row_counts(engine)

    dry = run_import(engine, expo, settings, dry_run=True)

    assert (dry.created, dry.merged, dry.already, dry.rejected) == (0, 3, 3, 3)
    assert row_counts(engine) == before


def test_a_dry_run_over_several_batches_counts_duplicates_across_them(
    engine: Engine, expo: Path, db_url: str
) -> None:
    settings = Settings(database_url=db_url, import_batch_size=2)

    dry = run_import(engine, expo, settings, dry_run=True)

    assert (dry.read, dry.created, dry.merged, dry.rejected) == (6, 2, 1, 3)


def test_a_file_with_no_rejects_leaves_no_rejects_file(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "clean.csv", HEADER, [ROWS[0]])

    summary = run_import(engine, path, settings)

    assert summary.rejects_file is None
    assert not path.with_name("clean.rejects.csv").exists()


def test_the_same_row_twice_in_one_file_is_one_lead_and_one_merge(
    engine: Engine, settings: Settings, read: Session, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "twice.csv", HEADER, [ROWS[0], ROWS[0]])

    summary = run_import(engine, path, settings)

    assert (summary.read, summary.created, summary.merged) == (2, 1, 1)
    assert [lead.status for lead in leads_of(read)].count("new") == 1
