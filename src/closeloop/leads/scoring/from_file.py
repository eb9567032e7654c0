"""Train and evaluate a conversion model on a file of past leads or customers (another CRM's
export), and score a second file with it.

Column types are inferred: a column whose every non-empty value is a number is numeric, any
other is categorical; id-like columns (unique integers that count up or are named like an id,
text with a distinct value on most rows) and constant columns are ignored. The label column
holds 0/1, true/false or yes/no (any case).
"""

from __future__ import annotations

import csv
import math
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from closeloop.errors import Invalid
from closeloop.i18n import N_
from closeloop.leads.capture.readers import read_rows
from closeloop.leads.scoring.model import as_float

TRUE = {"1", "true", "yes", "1.0"}
FALSE = {"0", "false", "no", "0.0"}
MISSING = "(none)"
ID_NAME = re.compile(r"(^id$|_id$|\bid\b|编号|^no\.?$|number$|uuid|guid)", re.IGNORECASE)
FloatArray = npt.NDArray[np.float64]


@dataclass
class Columns:
    """What was inferred about the file's columns."""

    numeric: list[str] = field(default_factory=list)
    categorical: list[str] = field(default_factory=list)
    ignored: dict[str, str] = field(default_factory=dict)  # column → why


@dataclass
class FileModel:
    pipeline: Pipeline
    columns: Columns
    label: str
    report: dict[str, Any]


def parse_label(value: Any, *, row: int, column: str, source: str) -> int:
    """0/1, true/false, yes/no (any case) → 0 or 1; anything else is refused naming the row."""
    text = _text(value).lower()
    if text in TRUE:
        return 1
    if text in FALSE:
        return 0
    raise Invalid(
        N_("%(source)s row %(row)s: label %(value)r is not 0/1, true/false or yes/no"),
        field=column,
        source=source,
        row=row,
        value=value,
    )


def train_from_file(path: Path, *, label: str, seed: int = 0) -> FileModel:
    """Infer columns, then report a stratified holdout and 5-fold cross-validation."""
    headers, records = _read(path)
    if label not in headers:
        raise Invalid(
            N_("%(name)s has no column %(label)r (columns: %(columns)s)"),
            field="label",
            name=path.name,
            label=label,
            columns=", ".join(headers),
        )
    y = np.array(
        [parse_label(r.get(label), row=n, column=label, source=path.name) for n, r in records],
        dtype=np.int64,
    )
    positives = int(y.sum())
    if min(positives, len(y) - positives) < 5:
        raise Invalid(
            N_(
                "%(name)s: need at least 5 rows of each label value, found %(positives)s positive "
                "and %(negatives)s negative"
            ),
            field=label,
            name=path.name,
            positives=positives,
            negatives=len(y) - positives,
        )
    columns = infer_columns([r for _, r in records], [h for h in headers if h != label])
    if not columns.numeric and not columns.categorical:
        raise Invalid(
            N_("%(name)s: no usable feature column besides %(label)r"),
            field="file",
            name=path.name,
            label=label,
        )
    x = design(columns, [r for _, r in records])
    train, test = train_test_split(np.arange(len(y)), test_size=0.25, stratify=y, random_state=seed)
    model = new_pipeline(columns).fit(x[train], y[train])
    holdout = metrics(y[test], model.predict_proba(x[test])[:, 1])
    folds = min(5, positives, len(y) - positives)
    cv: dict[str, list[float]] = {"roc_auc": [], "pr_auc": [], "top_decile_lift": []}
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for fit_rows, test_rows in splitter.split(x, y):
        fold = new_pipeline(columns).fit(x[fit_rows], y[fit_rows])
        for key, value in metrics(y[test_rows], fold.predict_proba(x[test_rows])[:, 1]).items():
            cv[key].append(value)
    report: dict[str, Any] = {
        **{key: round(float(np.mean(values)), 4) for key, values in cv.items()},
        "cv_folds": folds,
        "cv": {key: [round(v, 4) for v in values] for key, values in cv.items()},
        "holdout": holdout,
        "rows": len(y),
        "positives": positives,
        "numeric_columns": columns.numeric,
        "categorical_columns": columns.categorical,
        "ignored_columns": columns.ignored,
    }
    final = new_pipeline(columns).fit(x, y)
    return FileModel(final, columns, label, report)


def score_file(model: FileModel, path: Path, out: Path) -> int:
    """Write ``path``'s rows to ``out`` (CSV, UTF-8) with a ``probability`` column; rows count."""
    headers, records = _read(path)
    needed = model.columns.numeric + model.columns.categorical
    missing = [c for c in needed if c not in headers]
    if missing:
        raise Invalid(
            N_("%(name)s lacks the column(s) the model needs: %(missing)s"),
            field="file",
            name=path.name,
            missing=", ".join(missing),
        )
    p = model.pipeline.predict_proba(design(model.columns, [r for _, r in records]))[:, 1]
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*headers, "probability"])
        for (_, row), probability in zip(records, p.tolist(), strict=True):
            writer.writerow([_text(row.get(h)) for h in headers] + [f"{probability:.4f}"])
    return len(records)


def metrics(y: npt.NDArray[np.int64], p: FloatArray) -> dict[str, float]:
    """ROC AUC, PR AUC (average precision) and top-decile lift."""
    top = np.argsort(-p, kind="stable")[: max(1, math.ceil(len(p) / 10))]
    base = float(y.mean())
    return {
        "roc_auc": round(float(roc_auc_score(y, p)), 4),
        "pr_auc": round(float(average_precision_score(y, p)), 4),
        "top_decile_lift": round(float(y[top].mean()) / base, 4) if base else 0.0,
    }


def new_pipeline(columns: Columns) -> Pipeline:
    """One-hot categories + imputed, scaled numbers → sigmoid-calibrated logistic regression."""
    parts: list[tuple[str, Any, list[int]]] = []
    n_num = len(columns.numeric)
    if n_num:
        numeric = Pipeline(
            [
                ("float", FunctionTransformer(as_float)),
                ("impute", SimpleImputer(strategy="median", add_indicator=True)),
                ("scale", StandardScaler()),
            ]
        )
        parts.append(("num", numeric, list(range(n_num))))
    if columns.categorical:
        encoder = OneHotEncoder(handle_unknown="ignore", min_frequency=5)
        parts.append(("cat", encoder, list(range(n_num, n_num + len(columns.categorical)))))
    classifier = CalibratedClassifierCV(LogisticRegression(max_iter=2000), method="sigmoid", cv=3)
    return Pipeline([("prepare", ColumnTransformer(parts)), ("classify", classifier)])


def infer_columns(rows: list[dict[str, Any]], headers: list[str]) -> Columns:
    """Numeric, categorical or ignored (and why), for each column."""
    columns = Columns()
    n = len(rows)
    for name in headers:
        values = [_text(row.get(name)) for row in rows]
        present = [v for v in values if v]
        distinct = set(present)
        if len(distinct) <= 1:
            columns.ignored[name] = "constant or empty"
            continue
        numbers = [_number(v) for v in present]
        if all(v is not None for v in numbers):
            unique_integers = len(distinct) == n and all(float(v).is_integer() for v in numbers)  # type: ignore[arg-type]
            counts_up = numbers == sorted(numbers)  # type: ignore[type-var]
            if unique_integers and (counts_up or ID_NAME.search(name)):
                columns.ignored[name] = "id-like: a unique integer on every row"
            else:
                columns.numeric.append(name)
        elif len(distinct) > 20 and len(distinct) > 0.5 * len(present):
            columns.ignored[name] = f"id-like: {len(distinct)} distinct values in {n} rows"
        else:
            columns.categorical.append(name)
    return columns


def design(columns: Columns, rows: list[dict[str, Any]]) -> npt.NDArray[np.object_]:
    """The feature matrix: numeric columns (NaN when missing or not a number), then text."""
    x = np.empty((len(rows), len(columns.numeric) + len(columns.categorical)), dtype=object)
    for j, name in enumerate(columns.numeric):
        x[:, j] = [math.nan if (v := _number(_text(row.get(name)))) is None else v for row in rows]
    offset = len(columns.numeric)
    for j, name in enumerate(columns.categorical):
        x[:, offset + j] = [_text(row.get(name)).lower() or MISSING for row in rows]
    return x


def _read(path: Path) -> tuple[list[str], list[tuple[int, dict[str, Any]]]]:
    headers, rows = read_rows(path)
    records = []
    for raw in rows:
        if raw.error:
            raise Invalid(
                N_("%(name)s row %(row)s: %(reason)s"),
                field="file",
                name=path.name,
                row=raw.number,
                reason=raw.error,
            )
        records.append((raw.number, raw.values))
    if not records:
        raise Invalid(N_("%(name)s has no data rows"), field="file", name=path.name)
    return headers, records


def _text(value: Any) -> str:
    if value is None:
        return ""
    # Full-width digits and letters from Chinese spreadsheets read as their ASCII twins.
    return unicodedata.normalize("NFKC", str(value)).strip()


def _number(text: str) -> float | None:
    if not text:
        return None
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        return None
    return value if math.isfinite(value) else None
