"""The fitted pipeline compiled into plain arrays, for fast prediction and exact factors.

scikit-learn's ``predict_proba`` costs several milliseconds per call whatever the row count
(validation, a column transformer, five calibrated models); scoring one captured lead must take
a few. A logistic regression is a dot product, so the fitted pipeline is read once into arrays:
category → column maps, imputation medians, scaling, each fold's coefficients and its sigmoid
calibration. ``tests/leads/scoring/test_model.py`` checks it against ``predict_proba``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

FloatArray = npt.NDArray[np.float64]


class CompiledModel:
    """Predicts exactly what the pipeline predicts, and explains it term by term."""

    def __init__(self, pipeline: Pipeline, categorical: int, names: list[str]) -> None:
        prepare = pipeline.named_steps["prepare"]
        classify = pipeline.named_steps["classify"]
        encoder = prepare.named_transformers_["cat"]
        out = list(prepare.get_feature_names_out())
        self.maps: list[dict[Any, int]] = []
        self.names: list[str] = []
        for j in range(categorical):
            prefix = f"cat__x{j}_"
            mapping: dict[Any, int] = {}
            rare_column = None
            for column, name in enumerate(out):
                if name.startswith(prefix):
                    category = name[len(prefix) :]
                    if category == "infrequent_sklearn":
                        rare_column = column
                    else:
                        mapping[category] = column
            infrequent = getattr(encoder, "infrequent_categories_", [None] * categorical)[j]
            if infrequent is not None and rare_column is not None:
                for category in infrequent.tolist():
                    mapping[str(category)] = rare_column
            self.maps.append(mapping)
        for name in out:
            if name.startswith("cat__x"):
                j, _, category = name[len("cat__x") :].partition("_")
                label = "(rare)" if category == "infrequent_sklearn" else category
                self.names.append(f"{names[int(j)]}={label}")
        numeric = prepare.named_transformers_["num"]
        imputer = numeric.named_steps["impute"]
        scaler = numeric.named_steps["scale"]
        self.numeric_start = categorical
        self.numeric_offset = out.index(next(n for n in out if n.startswith("num__")))
        self.medians = np.asarray(imputer.statistics_, dtype=np.float64)
        self.indicators = list(imputer.indicator_.features_) if imputer.indicator_ else []
        self.mean = np.asarray(scaler.mean_, dtype=np.float64)
        self.scale = np.asarray(scaler.scale_, dtype=np.float64)
        numeric_names = names[categorical:]
        self.names += numeric_names + [f"{numeric_names[i]} missing" for i in self.indicators]
        folds = classify.calibrated_classifiers_
        self.coef = np.array([f.estimator.coef_[0] for f in folds], dtype=np.float64)
        self.intercept = np.array([f.estimator.intercept_[0] for f in folds], dtype=np.float64)
        self.a = np.array([f.calibrators[0].a_ for f in folds], dtype=np.float64)
        self.b = np.array([f.calibrators[0].b_ for f in folds], dtype=np.float64)
        self.width = len(out)

    def transform(self, x: npt.NDArray[np.object_]) -> FloatArray:
        """The pipeline's design matrix (dense)."""
        n = len(x)
        z = np.zeros((n, self.width), dtype=np.float64)
        rows = np.arange(n)
        for j, mapping in enumerate(self.maps):
            column = np.fromiter((mapping.get(v, -1) for v in x[:, j]), np.int64, count=n)
            hit = column >= 0
            z[rows[hit], column[hit]] = 1.0
        values = np.asarray(x[:, self.numeric_start :], dtype=np.float64)
        missing = np.isnan(values)
        values = np.where(missing, self.medians, values)
        if self.indicators:
            values = np.hstack([values, missing[:, self.indicators].astype(np.float64)])
        z[:, self.numeric_offset :] = (values - self.mean) / self.scale
        return z

    def predict(self, x: npt.NDArray[np.object_]) -> FloatArray:
        """Calibrated probability of conversion: the mean over the folds' calibrated models."""
        logits = self.transform(x) @ self.coef.T + self.intercept
        return np.asarray((1.0 / (1.0 + np.exp(self.a * logits + self.b))).mean(axis=1))

    def factors(self, x: npt.NDArray[np.object_], top: int = 5) -> list[list[list[Any]]]:
        """Per lead, the terms that moved its log-odds most: coefficient × value.

        Exact for logistic regression: log-odds = intercept + Σ terms (coefficients averaged
        over the calibration folds); one-hot terms are relative to a lead with none of them,
        numeric ones to an average lead (scaled value 0).
        """
        contributions = self.transform(x) * self.coef.mean(axis=0)
        result = []
        for row in contributions:
            order = np.argsort(-np.abs(row), kind="stable")[:top]
            result.append([[self.names[j], round(float(row[j]), 3)] for j in order if row[j]])
        return result
