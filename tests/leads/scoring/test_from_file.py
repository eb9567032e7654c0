"""Training on another CRM's export: inferred columns, honest evaluation, clear refusals."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from closeloop.errors import Invalid
from closeloop.leads.scoring.from_file import score_file, train_from_file
from tests.capture.helpers import assert_refused, closeloop


def write_csv(path: Path, *, rows: int = 400, informative: bool = True, seed: int = 1) -> Path:
    """Past leads: an id, a name, industry, employees, visits and whether they converted.

    When ``informative``, conversion depends on visits and industry; otherwise it is a coin flip.
    """
    rng = np.random.default_rng(seed)
    industries = ["software", "retail", "energy", "制造业"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["lead_id", "name", "industry", "employees", "visits", "converted"])
        for i in range(rows):
            industry = industries[int(rng.integers(0, 4))]
            visits = int(rng.poisson(3))
            logit = (visits - 3) * 1.5 + (1.5 if industry == "software" else -0.5)
            converted = rng.random() < (1 / (1 + np.exp(-logit)) if informative else 0.3)
            employees = "" if rng.random() < 0.1 else str(int(rng.lognormal(4, 1)))
            label = ["yes", "No", "TRUE", "false", "1", "0"][(0 if converted else 1) + 2 * (i % 3)]
            writer.writerow([1000 + i, f"Person {i}", industry, employees, visits, label])
    return path


def test_a_label_that_depends_on_the_columns_is_learned(tmp_path: Path) -> None:
    model = train_from_file(write_csv(tmp_path / "past.csv"), label="converted")
    report = model.report
    assert report["roc_auc"] > 0.8
    assert report["holdout"]["roc_auc"] > 0.8
    assert report["top_decile_lift"] > 1.5
    assert report["rows"] == 400
    assert set(report["numeric_columns"]) == {"employees", "visits"}
    assert report["categorical_columns"] == ["industry"]
    assert set(report["ignored_columns"]) == {"lead_id", "name"}


def test_a_random_label_gives_a_coin_flip(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "noise.csv", rows=600, informative=False)
    report = train_from_file(path, label="converted").report
    assert abs(report["roc_auc"] - 0.5) < 0.1


def test_a_bad_label_names_the_row_and_value(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "past.csv", rows=50)
    lines = path.read_text().splitlines()
    lines[7] = lines[7].rsplit(",", 1)[0] + ",maybe"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(Invalid, match=r"past\.csv row 8: label 'maybe' is not 0/1"):
        train_from_file(path, label="converted")


def test_a_missing_label_column_is_refused(tmp_path: Path) -> None:
    with pytest.raises(Invalid, match="no column 'won'"):
        train_from_file(write_csv(tmp_path / "past.csv", rows=50), label="won")


def test_a_second_file_is_scored(tmp_path: Path) -> None:
    model = train_from_file(write_csv(tmp_path / "past.csv"), label="converted")
    fresh = write_csv(tmp_path / "fresh.csv", rows=30, seed=9)
    assert score_file(model, fresh, tmp_path / "scored.csv") == 30
    with (tmp_path / "scored.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 30 and rows[0]["lead_id"] == "1000"
    assert all(0 <= float(r["probability"]) <= 1 for r in rows)
    by_visits = sorted(rows, key=lambda r: int(r["visits"]))
    assert float(by_visits[-1]["probability"]) > float(by_visits[0]["probability"])


def test_cli_json_keys_and_scoring(tmp_path: Path) -> None:
    write_csv(tmp_path / "past.csv")
    write_csv(tmp_path / "fresh.csv", rows=20, seed=4)
    result = closeloop(
        "scoring", "train", "--from-file", "past.csv", "--label", "converted", "--json",
        "--score", "fresh.csv", "--out", "out.csv", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert {"roc_auc", "pr_auc", "top_decile_lift"} <= set(report)
    assert report["roc_auc"] > 0.8 and 0 < report["pr_auc"] <= 1
    assert (tmp_path / "out.csv").exists() and report["scored_rows"] == 20


def test_cli_refuses_a_bad_label_with_exit_2(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "past.csv", rows=50)
    path.write_text(path.read_text().replace(",yes\n", ",perhaps\n", 1))
    result = closeloop(
        "scoring", "train", "--from-file", "past.csv", "--label", "converted", cwd=tmp_path
    )
    assert_refused(result, "row", "'perhaps'")
