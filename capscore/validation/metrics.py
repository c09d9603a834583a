"""The scorecard validation measures (reference-bands.md, "Validation conventions")."""

from __future__ import annotations

import itertools
import math

import numpy as np
import polars as pl
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score, roc_curve

# Composite bins for PSI: ten equal bins of the 0-100 scale (fixed, so that two
# dates and the model's reference are binned alike).
SCORE_BINS = tuple(float(x) for x in range(10, 100, 10))
# A bin empty on one side would make PSI infinite: it counts as this share.
PSI_FLOOR = 1e-4


def discrimination(score: np.ndarray, label: np.ndarray) -> dict[str, float | None]:
    """AUC, Gini (= 2 AUC - 1) and KS of `score` for the binary `label`; None when a
    class is missing (nothing to discriminate)."""
    keep = ~np.isnan(score)
    score, label = score[keep], label[keep].astype(bool)
    if label.all() or not label.any():
        return {"auc": None, "gini": None, "ks": None}
    auc = float(roc_auc_score(label, score))
    fpr, tpr, _ = roc_curve(label, score)
    return {"auc": auc, "gini": 2.0 * auc - 1.0, "ks": float(np.max(tpr - fpr))}


def bin_shares(values: pl.Series, edges: tuple[float, ...] = SCORE_BINS) -> list[float]:
    """Share of the (non-null) values in each bin between `edges` (len(edges) + 1 bins)."""
    data = values.drop_nulls().cast(pl.Float64).to_numpy()
    if data.size == 0:
        return [0.0] * (len(edges) + 1)
    counts = np.bincount(
        np.searchsorted(np.array(edges), data, side="right"), minlength=len(edges) + 1
    )
    return [float(c) / data.size for c in counts]


def psi(expected: list[float], actual: list[float]) -> float:
    """Population stability index Σ (a - e) ln(a / e) over bins (shares floored)."""
    total = 0.0
    for e, a in zip(expected, actual, strict=True):
        e, a = max(e, PSI_FLOOR), max(a, PSI_FLOOR)
        total += (a - e) * math.log(a / e)
    return total


def spearman(x: np.ndarray, y: np.ndarray) -> float | None:
    keep = ~(np.isnan(x) | np.isnan(y))
    if keep.sum() < 3 or np.ptp(x[keep]) == 0 or np.ptp(y[keep]) == 0:
        return None
    return float(spearmanr(x[keep], y[keep]).statistic)


def top_decile_lift(score: np.ndarray, truth: np.ndarray) -> float | None:
    """Share of the true top decile found in the score's top decile, over 10% (chance)."""
    n = score.size
    k = n // 10
    if k == 0:
        return None
    # Ties in the score are broken by position, which is the credit-code order.
    top_score = np.argsort(-score, kind="stable")[:k]
    top_truth = np.argsort(-truth, kind="stable")[:k]
    return float(np.intersect1d(top_score, top_truth).size / k / 0.1)


# One-sided 5%: an inversion this unlikely under equal rates is not sampling noise.
INVERSION_Z = 1.645


def significant_inversions(
    rates: list[float | None], firms: list[int], decreasing: bool = True
) -> int:
    """Adjacent grade pairs (grades without members skipped) whose rates go the wrong
    way by more than sampling noise: a two-proportion z-test, one-sided at 5%."""
    seen = [(r, n) for r, n in zip(rates, firms, strict=True) if r is not None and n > 0]
    count = 0
    for (better, n_better), (worse, n_worse) in itertools.pairwise(seen):
        wrong_way = worse - better if decreasing else better - worse
        pooled = (better * n_better + worse * n_worse) / (n_better + n_worse)
        spread = math.sqrt(pooled * (1 - pooled) * (1 / n_better + 1 / n_worse))
        if wrong_way > 0 and (spread == 0 or wrong_way / spread > INVERSION_Z):
            count += 1
    return count


def rates_are_monotone(rates: list[float | None], decreasing: bool = True) -> bool:
    """The outcome rate moves one way from the best grade to the worst (grades without
    members are skipped)."""
    seen = [r for r in rates if r is not None]
    pairs = itertools.pairwise(seen)
    return all(a >= b for a, b in pairs) if decreasing else all(a <= b for a, b in pairs)
