"""The challenger: weights learnt from outcomes, under the constraint that more of any
dimension can never lower the prediction (a monotone gradient-boosted model).

The expert stage weights stay the production composite; the challenger is fitted
on an earlier period (scores at R2, outcomes in (R2, R]) and tested on the later
one (scores at R, outcomes in (R, D]) beside it, and its permutation importances
are shown next to the expert weights: if it wins clearly, the next model version
has a reason to move its weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.inspection import permutation_importance

TARGET = "certification"
SEED = 20261204


@dataclass(frozen=True)
class Challenger:
    features: tuple[str, ...]
    model: HistGradientBoostingClassifier
    fitted_on: str

    def predict(self, frame: pl.DataFrame) -> pl.Series:
        x = frame.select(self.features).to_numpy().astype(np.float64)
        return pl.Series("challenger", self.model.predict_proba(x)[:, 1] * 100.0)

    def importances(self, frame: pl.DataFrame, label: np.ndarray) -> dict[str, float]:
        x = frame.select(self.features).to_numpy().astype(np.float64)
        found = permutation_importance(
            self.model, x, label, scoring="roc_auc", n_repeats=3, random_state=SEED
        )
        raw = np.clip(found.importances_mean, 0.0, None)
        total = raw.sum()
        shares = raw / total if total > 0 else np.full(raw.size, 1.0 / raw.size)
        return dict(zip(self.features, (float(s) for s in shares), strict=True))


def fit_challenger(
    scored: pl.DataFrame, outcomes: pl.DataFrame, features: tuple[str, ...], fitted_on: str
) -> Challenger | None:
    """Fit on `scored` (dimension scores) against `outcomes`' TARGET; None when there is
    nothing to learn (too few firms or events)."""
    data = scored.join(outcomes.filter(pl.col("outcome") == TARGET), on="credit_code")
    label = data["happened"].to_numpy()
    if data.height < 100 or label.sum() < 10 or (~label).sum() < 10:
        return None
    model = HistGradientBoostingClassifier(
        monotonic_cst=[1] * len(features),
        max_iter=200,
        learning_rate=0.05,
        max_leaf_nodes=15,
        l2_regularization=1.0,
        random_state=SEED,
    )
    model.fit(data.select(features).to_numpy().astype(np.float64), label)
    return Challenger(features, model, fitted_on)
