"""The predictive model on the demo company's history: better than chance, calibrated, stored."""

from __future__ import annotations

import gc
from datetime import UTC, date, datetime

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from closeloop.config import Settings
from closeloop.db.engine import unit_of_work
from closeloop.demo.service import DemoOptions, generate_demo
from closeloop.errors import Invalid
from closeloop.leads.scoring.model import _cache as model_cache
from closeloop.leads.scoring.model import active_model, train_model
from closeloop.leads.scoring.reading import read_leads
from closeloop.leads.scoring.rules import DEFAULT
from closeloop.leads.scoring.service import score_leads
from closeloop.models import Lead, ScoringModel
from closeloop.web.app import create_app

END = date(2026, 6, 30)
NOW = datetime(2026, 7, 1, tzinfo=UTC)


@pytest.fixture
def demo(engine: Engine) -> Engine:
    generate_demo(engine, DemoOptions(seed=5, leads=4_000, months=12, end=END))
    return engine


def test_model_beats_chance_and_is_reported_next_to_the_rules(demo: Engine) -> None:
    with unit_of_work(demo) as session:
        report = train_model(session, rules=DEFAULT, now=NOW)
    assert report.model_auc > 0.6 or report.model_auc > report.rule_auc
    assert 0.5 < report.rule_auc < 1
    assert report.holdout_rows == pytest.approx(0.2 * report.rows, abs=2)
    assert report.brier < report.base_rate_brier * 1.05  # no worse than guessing the base rate
    deciles = report.deciles
    assert len(deciles) == 10 and sum(d["leads"] for d in deciles) == report.holdout_rows
    assert deciles[-1]["observed"] > deciles[0]["observed"]  # ranked the right way round


def test_the_holdout_is_the_newest_leads(demo: Engine) -> None:
    with unit_of_work(demo) as session:
        report = train_model(session, rules=DEFAULT, now=NOW)
    assert date.fromisoformat(report.holdout_from) > date(2026, 3, 1)


def test_versions_go_up_and_the_highest_is_in_force(demo: Engine) -> None:
    with unit_of_work(demo) as session:
        first = train_model(session, rules=DEFAULT, now=NOW).version
        second = train_model(session, rules=DEFAULT, now=NOW).version
        assert (first, second) == (1, 2)
        model = active_model(session)
        assert model is not None and model.version == 2
        stored = session.scalars(select(ScoringModel).where(ScoringModel.version == 2)).one()
        assert stored.metrics["model_auc"] > 0.5 and "channel" in stored.features


def test_compiled_predictions_equal_scikit_learn(demo: Engine) -> None:
    with unit_of_work(demo) as session:
        train_model(session, rules=DEFAULT, now=NOW)
        model = active_model(session)
        rows = read_leads(session, at=NOW, open_only=False)
    assert model is not None
    trained = model.trained
    x = trained.features(rows)[:500]
    x[0, 0] = "a channel never seen"  # unknown categories weigh nothing
    x[1, 5] = np.nan  # missing company size is imputed
    expected = trained.pipeline.predict_proba(x)[:, 1]
    assert np.allclose(trained.compiled.predict(x), expected, atol=1e-9)


def test_scoring_fills_the_prediction_and_factors_explain_it(demo: Engine) -> None:
    with unit_of_work(demo) as session:
        train_model(session, rules=DEFAULT, now=NOW)
        run = score_leads(session, at=NOW)
        assert run.model_version == 1
        filled = session.execute(
            select(Lead.predicted_conversion, Lead.model_version).where(
                Lead.status.in_(["new", "working", "mql", "sal", "nurture", "pool"])
            )
        ).all()
        assert filled and all(p is not None and 0 < p < 1 and v == 1 for p, v in filled)
        model = active_model(session)
        rows = read_leads(session, at=NOW, ids=[run.mql_lead_ids[0]] if run.mql_lead_ids else None)
    assert model is not None
    factors = model.trained.factors(rows)
    assert factors[0] and all(isinstance(name, str) for name, _ in factors[0])
    sizes = [abs(points) for _, points in factors[0]]
    assert sizes == sorted(sizes, reverse=True)


def test_too_little_history_is_refused(session: Session) -> None:
    with pytest.raises(Invalid, match="not enough history"):
        train_model(session, rules=DEFAULT, now=NOW)


def test_the_server_loads_what_scoring_needs_before_the_first_request(
    demo: Engine, db_url: str
) -> None:
    """Unpickling the model imports scikit-learn (seconds): the first lead captured after a
    start must not wait for it."""
    with unit_of_work(demo) as session:
        version = train_model(session, rules=DEFAULT, now=NOW).version
    model_cache.clear()
    app = create_app(Settings(database_url=db_url))
    try:
        assert model_cache == {}
        with TestClient(app):
            assert [found.version for found in model_cache.values()] == [version]
            # ...nor the collector walk everything start-up loaded (120-130 ms a full pass).
            assert gc.get_freeze_count() > 0
        assert gc.get_freeze_count() == 0
    finally:
        app.state.engine.dispose()
