"""Data-driven indicator weights for comparison with the configured ones (scoring.md §3).

Both methods read the raw indicator values (not the percentile scores, which
are near-uniform by construction and would make every weight equal): each
indicator gets its configured transform (log1p for counts and money), is
turned around when lower is better, and min-max normalized to [0, 1] over the
enterprises that have a value. Missing values are left out per indicator
(entropy) or per pair of indicators (CRITIC correlations).

- Entropy weight method: p_ij = x_ij / Σ_i x_ij, e_j = -Σ_i p_ij ln p_ij / ln n_j,
  w_j ∝ 1 - e_j. A constant indicator (or one with < 2 values) gets 0.
- CRITIC (Diakoulaki et al. 1995): w_j ∝ σ_j Σ_k (1 - r_jk), σ the sample
  standard deviation, r the pairwise-complete Pearson correlation; pairs
  whose correlation is undefined (a constant or empty indicator, < 2 common
  values) are left out of the sum.
If every indicator is uninformative the weights are equal.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import polars as pl
from scipy.special import xlogy

from capscore.scoring.wording import indicator_meta
from scoring_models.config import ScoringModel


def normalized_matrix(wide: pl.DataFrame, model: ScoringModel) -> np.ndarray:
    """n x m matrix in [0, 1] (NaN = missing), columns in model.indicators order."""
    columns = []
    for spec in model.indicators:
        col = pl.col(spec.name).cast(pl.Float64).fill_nan(None)
        if spec.transform == "log1p":
            col = col.clip(lower_bound=0.0).log1p()
        if spec.direction == "lower":
            col = -col
        low, span = col.min(), col.max() - col.min()
        # A constant indicator is 0 wherever it has a value.
        scaled = pl.when(span > 0).then((col - low) / span).otherwise(col * 0.0)
        columns.append(scaled.alias(spec.name))
    return wide.select(columns).to_numpy().astype(np.float64)


def _normalize(scores: np.ndarray) -> np.ndarray:
    scores = np.where(np.isfinite(scores) & (scores > 0), scores, 0.0)
    total = scores.sum()
    if total <= 0:
        return np.full(len(scores), 1.0 / len(scores)) if len(scores) else scores
    return scores / total


def _frame(model: ScoringModel, weights: np.ndarray, name: str) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "indicator": list(model.indicator_names),
            "dimension": [s.dimension for s in model.indicators],
            name: weights.astype(np.float64),
        }
    )


# Rows summed at a time: the statistics are sums over rows, and 1M x 19 temporaries
# (152 MB each, fresh pages every time) cost this machine seconds at 1M firms.
_BLOCK_ROWS = 65_536


def _blocks(x: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(present, values with 0 where missing) for consecutive row blocks of `x`."""
    for start in range(0, x.shape[0], _BLOCK_ROWS):
        block = x[start : start + _BLOCK_ROWS]
        present = ~np.isnan(block)
        yield present, np.where(present, block, 0.0)


def entropy_weights(x: np.ndarray, model: ScoringModel) -> pl.DataFrame:
    """indicator, dimension, entropy (weights over all indicators, summing to 1), from
    the `normalized_matrix`."""
    n = np.zeros(x.shape[1])
    total = np.zeros(x.shape[1])
    xlogx = np.zeros(x.shape[1])
    for present, x0 in _blocks(x):
        n += present.sum(axis=0)
        total += x0.sum(axis=0)
        xlogx += xlogy(x0, x0).sum(axis=0)
    # Σ p ln p with p = x / total is Σ x ln x / total - ln total (0 for an all-zero column).
    safe = np.where(total > 0, total, 1.0)
    plogp = np.where(total > 0, xlogx / safe - np.log(safe), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        entropy = np.where(n > 1, -plogp / np.log(np.maximum(n, 2)), 1.0)
    divergence = np.where(total > 0, 1.0 - entropy, 0.0)
    return _frame(model, _normalize(divergence), "entropy")


def pairwise_correlation(x: np.ndarray) -> np.ndarray:
    """Pearson correlations over rows where both columns are present (NaN in = missing).

    NaN out where undefined: fewer than 2 common rows or a constant column.
    """
    shape = (x.shape[1], x.shape[1])
    n, sx, sxx, sxy = np.zeros(shape), np.zeros(shape), np.zeros(shape), np.zeros(shape)
    for present, x0 in _blocks(x):
        m = present.astype(np.float64)
        n += m.T @ m
        sx += x0.T @ m  # sx[j, k]: Σ x_j over rows where j and k are present
        sxx += (x0 * x0).T @ m
        sxy += x0.T @ x0
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = sxy / n - (sx / n) * (sx.T / n)
        var_j = sxx / n - (sx / n) ** 2
        r = cov / np.sqrt(var_j * var_j.T)
    r = np.where(np.isfinite(r) & (n > 1), np.clip(r, -1.0, 1.0), np.nan)
    np.fill_diagonal(r, 1.0)
    return r


def critic_weights(x: np.ndarray, model: ScoringModel) -> pl.DataFrame:
    """indicator, dimension, critic (weights over all indicators, summing to 1), from
    the `normalized_matrix`."""
    n = np.zeros(x.shape[1])
    sums = np.zeros(x.shape[1])
    for present, x0 in _blocks(x):
        n += present.sum(axis=0)
        sums += x0.sum(axis=0)
    mean = sums / np.maximum(n, 1)
    squares = np.zeros(x.shape[1])
    for present, x0 in _blocks(x):
        squares += np.where(present, (x0 - mean) ** 2, 0.0).sum(axis=0)
    sigma = np.where(n > 1, np.sqrt(squares / np.maximum(n - 1, 1)), 0.0)
    r = pairwise_correlation(x)
    information = sigma * np.nansum(1.0 - r, axis=1)
    return _frame(model, _normalize(information), "critic")


def weight_comparison(wide: pl.DataFrame, model: ScoringModel) -> pl.DataFrame:
    """indicator, dimension, configured, entropy, critic: each as a share within its dimension.

    Within-dimension shares are what the configured weights mean (the stage
    weights then combine dimensions), so the three columns compare directly.
    """
    x = normalized_matrix(wide, model)
    frame = (
        indicator_meta(model)
        .select("indicator", "dimension", pl.col("weight").alias("configured"))
        .join(entropy_weights(x, model).drop("dimension"), on="indicator")
        .join(critic_weights(x, model).drop("dimension"), on="indicator")
    )
    return frame.with_columns(
        (pl.col(c) / pl.col(c).sum().over("dimension")).fill_nan(None).round(4).alias(c)
        for c in ("configured", "entropy", "critic")
    )
