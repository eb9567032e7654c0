"""The predictive model: trained on the database's own history of converted and lost leads.

Label: the lead reached SQL (an opportunity was opened, ``sql_at`` set). Features are what was
known in the lead's first week — channel, industry, region, title seniority, company size, the
first touch's kind and the number of touches in the first 7 days — never a field set later
(status, owner, milestones, the stored score), which would leak the outcome.
Leads younger than ``MATURITY_DAYS`` are left out: they had no time to convert yet. The newest
20 % of the rest is the time holdout; the stored model is then refitted on all of them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import joblib
import numpy as np
import numpy.typing as npt
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from closeloop.errors import Invalid
from closeloop.i18n import N_
from closeloop.leads.scoring.compute import Scorer, SeniorityMatcher
from closeloop.leads.scoring.linear import CompiledModel
from closeloop.leads.scoring.reading import LeadRows, days_between, moment, read_leads
from closeloop.leads.scoring.rules import ScoringRules, Seniority
from closeloop.models import Lead, LeadStatus, ScoringModel

if TYPE_CHECKING:  # scikit-learn takes a second or two to import: only when training
    from sklearn.pipeline import Pipeline

CATEGORICAL = ("channel", "industry", "region", "seniority", "first_touch")
NUMERIC = ("log_company_size", "touches_first_week")
FEATURES = CATEGORICAL + NUMERIC
FIRST_WEEK_DAYS = 7.0
MATURITY_DAYS = 30.0
HOLDOUT_SHARE = 0.2
MISSING = "(none)"
ALGORITHM = "logistic regression, sigmoid-calibrated (5-fold)"
FloatArray = npt.NDArray[np.float64]


def as_float(values: Any) -> Any:
    return np.asarray(values, dtype=np.float64)


def new_pipeline() -> Pipeline:
    """One-hot categories + imputed, scaled numbers → calibrated logistic regression."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

    n_cat = len(CATEGORICAL)
    numeric = Pipeline(
        [
            ("float", FunctionTransformer(as_float, feature_names_out="one-to-one")),
            ("impute", SimpleImputer(strategy="median", add_indicator=True)),
            ("scale", StandardScaler()),
        ]
    )
    prepare = ColumnTransformer(
        [
            ("cat", OneHotEncoder(handle_unknown="ignore", min_frequency=5), list(range(n_cat))),
            ("num", numeric, list(range(n_cat, len(FEATURES)))),
        ],
        sparse_threshold=0.0,
    )
    classifier = CalibratedClassifierCV(
        LogisticRegression(max_iter=2000, C=1.0), method="sigmoid", cv=5
    )
    return Pipeline([("prepare", prepare), ("classify", classifier)])


@dataclass
class TrainedModel:
    """What is stored (joblib) in ``scoring_models.artifact``."""

    pipeline: Pipeline
    seniority: list[Seniority]
    _matcher: SeniorityMatcher | None = field(default=None, repr=False)
    _compiled: CompiledModel | None = field(default=None, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        return {"pipeline": self.pipeline, "seniority": self.seniority}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)  # type: ignore[misc]

    @property
    def compiled(self) -> CompiledModel:
        if self._compiled is None:
            self._compiled = CompiledModel(self.pipeline, len(CATEGORICAL), list(FEATURES))
        return self._compiled

    def features(self, rows: LeadRows) -> npt.NDArray[np.object_]:
        if self._matcher is None:
            self._matcher = SeniorityMatcher(self.seniority)
        return lead_features(rows, self._matcher)

    def predict(self, rows: LeadRows) -> FloatArray:
        """Calibrated probabilities (the compiled form of ``pipeline.predict_proba``)."""
        return self.compiled.predict(self.features(rows))

    def factors(self, rows: LeadRows, top: int = 5) -> list[list[list[Any]]]:
        """Per lead, the top terms of its log-odds (see ``CompiledModel.factors``)."""
        return self.compiled.factors(self.features(rows), top)


def lead_features(rows: LeadRows, matcher: SeniorityMatcher) -> npt.NDArray[np.object_]:
    """The model's input: one row per lead, categorical columns first (see ``FEATURES``)."""
    n = len(rows)
    c = rows.columns
    first_week = (rows.touch_offset_days <= FIRST_WEEK_DAYS) & (rows.touch_offset_days > -1)
    counts = np.bincount(rows.touch_lead[first_week], minlength=n) if n else np.zeros(0)
    first_touch = np.full(n, MISSING, dtype=object)
    if len(rows.touch_lead):
        order = np.lexsort((rows.touch_offset_days, rows.touch_lead))
        lead_sorted = rows.touch_lead[order]
        starts = np.flatnonzero(np.r_[True, lead_sorted[1:] != lead_sorted[:-1]])
        kinds = np.array(rows.touch_kind, dtype=object)[order[starts]]
        first_touch[lead_sorted[starts]] = kinds
    size = np.array([np.nan if s is None else s for s in c["company_size"]], dtype=np.float64)
    x = np.empty((n, len(FEATURES)), dtype=object)
    x[:, 0] = [v or MISSING for v in rows.channel]
    x[:, 1] = [(v or MISSING).lower() for v in c["industry"]]
    x[:, 2] = [v or MISSING for v in c["region"]]
    x[:, 3] = [(lv.level if (lv := matcher(t)) else MISSING) for t in c["title"]]
    x[:, 4] = first_touch
    x[:, 5] = np.log1p(np.maximum(size, 0))
    x[:, 6] = counts.astype(np.float64)
    return x


@dataclass(frozen=True)
class ActiveModel:
    version: int
    trained: TrainedModel

    def predict(self, rows: LeadRows) -> FloatArray:
        return self.trained.predict(rows)


_cache: dict[tuple[str, int, int], ActiveModel] = {}


def active_model(session: Session) -> ActiveModel | None:
    """The model in force (highest version), loaded once per process and version."""
    row = session.execute(
        select(ScoringModel.id, ScoringModel.version).order_by(ScoringModel.version.desc()).limit(1)
    ).first()
    if row is None:
        return None
    key = (str(session.get_bind().engine.url), row.id, row.version)
    found = _cache.get(key)
    if found is None:
        blob = session.scalar(select(ScoringModel.artifact).where(ScoringModel.id == row.id))
        assert blob is not None  # the row was read a moment ago in this transaction
        found = ActiveModel(row.version, joblib.load(io.BytesIO(blob)))
        _cache.clear()  # one model in memory at a time
        _cache[key] = found
    return found


@dataclass
class TrainingReport:
    version: int
    rows: int
    positives: int
    train_rows: int
    holdout_rows: int
    holdout_positives: int
    holdout_from: str
    model_auc: float
    rule_auc: float
    brier: float
    base_rate_brier: float
    deciles: list[dict[str, float]]

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def train_model(
    session: Session, *, rules: ScoringRules, now: datetime | None = None
) -> TrainingReport:
    """Fit on older leads, evaluate on the newest 20 % next to the rule score; store the model."""
    from sklearn.metrics import brier_score_loss, roc_auc_score

    now = now or datetime.now(UTC)
    rows, created, converted = _history(session, now)
    mature = created <= created.max(initial=0) - MATURITY_DAYS if len(created) else created > 0
    keep = np.flatnonzero(mature)
    if len(keep) < 200 or converted[keep].sum() < 20:
        raise Invalid(
            N_(
                "not enough history to train: %(leads)s leads older than %(days)s days, "
                "%(converted)s converted (need 200 and 20)"
            ),
            field="history",
            leads=len(keep),
            days=f"{MATURITY_DAYS:.0f}",
            converted=int(converted[keep].sum()),
        )
    trained = TrainedModel(new_pipeline(), list(rules.seniority))
    x_all = trained.features(rows)
    order = keep[np.argsort(created[keep], kind="stable")]
    cut = int(len(order) * (1 - HOLDOUT_SHARE))
    train, holdout = order[:cut], order[cut:]
    y = converted.astype(np.int64)
    if len(set(y[holdout].tolist())) < 2 or len(set(y[train].tolist())) < 2:
        raise Invalid(
            N_("the time holdout has only one outcome: not enough history"), field="history"
        )
    trained.pipeline.fit(x_all[train], y[train])
    p = trained.pipeline.predict_proba(x_all[holdout])[:, 1]
    rule_score = _rule_score_at_first_week(rows, rules)
    report = TrainingReport(
        version=0,
        rows=len(keep),
        positives=int(y[keep].sum()),
        train_rows=len(train),
        holdout_rows=len(holdout),
        holdout_positives=int(y[holdout].sum()),
        holdout_from=_date_of(float(created[holdout].min())),
        model_auc=round(float(roc_auc_score(y[holdout], p)), 4),
        rule_auc=round(float(roc_auc_score(y[holdout], rule_score[holdout])), 4),
        brier=round(float(brier_score_loss(y[holdout], p)), 4),
        base_rate_brier=round(
            float(brier_score_loss(y[holdout], np.full(len(p), y[train].mean()))), 4
        ),
        deciles=decile_table(y[holdout], p),
    )
    final = TrainedModel(new_pipeline(), list(rules.seniority))
    final.pipeline.fit(x_all[keep], y[keep])
    report.version = _store(session, final, report)
    return report


def decile_table(y: npt.NDArray[np.int64], p: FloatArray) -> list[dict[str, float]]:
    """Leads in ten equal groups by predicted probability: predicted vs observed conversion."""
    order = np.argsort(p, kind="stable")
    table = []
    for number, part in enumerate(np.array_split(order, 10), start=1):
        if len(part):
            table.append(
                {
                    "decile": number,
                    "leads": len(part),
                    "predicted": round(float(p[part].mean()), 4),
                    "observed": round(float(y[part].mean()), 4),
                }
            )
    return table


def _history(session: Session, now: datetime) -> tuple[LeadRows, FloatArray, npt.NDArray[np.bool_]]:
    """Every lead that was not merged away, its creation day (epoch days) and outcome."""
    dialect = session.get_bind().dialect.name
    leads = Lead.__table__
    epoch = moment(datetime(1970, 1, 1, tzinfo=UTC), "epoch")
    outcome = session.execute(
        select(
            leads.c.id,
            days_between(dialect, leads.c.created_at, epoch),
            leads.c.sql_at.is_not(None),
        )
        .where(leads.c.status != LeadStatus.MERGED.value)
        .order_by(leads.c.id)
    ).all()
    rows = read_leads(session, at=now, open_only=False, exclude_merged=True)
    assert rows.ids.tolist() == [row[0] for row in outcome]
    created = np.array([row[1] for row in outcome], dtype=np.float64)
    converted = np.array([bool(row[2]) for row in outcome], dtype=bool)
    return rows, created, converted


def _rule_score_at_first_week(rows: LeadRows, rules: ScoringRules) -> FloatArray:
    """The rule score as it stood at the end of each lead's first week (the model's cut-off)."""
    scorer = Scorer(rules)
    c = rows.columns
    inside = rows.touch_offset_days <= FIRST_WEEK_DAYS
    scores = scorer.score_batch(
        industry=c["industry"],
        company_size=c["company_size"],
        region=c["region"],
        title=c["title"],
        touch_lead=rows.touch_lead[inside],
        touch_kind=scorer.kind_codes(
            [k for k, i in zip(rows.touch_kind, inside, strict=True) if i]
        ),
        touch_age_days=np.maximum(FIRST_WEEK_DAYS - rows.touch_offset_days[inside], 0),
    )
    return scores.total.astype(np.float64)


def _store(session: Session, trained: TrainedModel, report: TrainingReport) -> int:
    buffer = io.BytesIO()
    joblib.dump(trained, buffer, compress=3)
    top = session.scalar(select(func.coalesce(func.max(ScoringModel.version), 0)))
    version = int(top or 0) + 1
    report.version = version
    session.add(
        ScoringModel(
            version=version,
            algorithm=ALGORITHM,
            metrics=report.as_dict(),
            features=list(FEATURES),
            artifact=buffer.getvalue(),
        )
    )
    session.flush()
    return version


def _date_of(epoch_days: float) -> str:
    return datetime.fromtimestamp(epoch_days * 86400, tz=UTC).date().isoformat()
