"""Training the match model: labelled candidate pairs -> level weights (pure functions).

Pairs come from generated data with ground truth (a training seed that is
never the evaluation seed) plus reviewer decisions; they are stored as
model/training_pairs.parquet (raw feature values, so a changed comparison level
is recomputed, not stale). Fitting is deterministic: a logistic regression over
one-hot comparison levels, Platt-calibrated on cross-validated scores
(CalibratedClassifierCV, sigmoid, ensemble=False), folded into one log-odds
weight per level.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import yaml
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from capscore.entity_resolution.model import (
    COMPARISONS_YAML,
    CONFIG_YAML,
    Comparison,
    MatchModel,
    Thresholds,
    comparisons,
    with_levels,
)
from capscore.storage.hashing import file_sha256

ID_COLUMNS: dict[str, pl.DataType] = {
    "source": pl.String(),
    "mention_key": pl.String(),
    "mention_type": pl.String(),
    "mention_name": pl.String(),
    "credit_code": pl.String(),
    "registry_name": pl.String(),
    "noise": pl.String(),
    "label": pl.Int8(),
}
# Types of the feature columns (features.py), fixed so that the stored pairs do not
# depend on what a run happened to infer.
FEATURE_TYPES: dict[str, pl.DataType] = {
    "sim_full": pl.Float64(),
    "sim_core": pl.Float64(),
    "sim_zihao": pl.Float64(),
    "ipc_lift": pl.Float64(),
    "margin": pl.Float64(),
    "full_edits": pl.Int32(),
    "ordered_edits": pl.Int32(),
    "core_edits": pl.Int32(),
    "zihao_edits": pl.Int32(),
    "industry_edits": pl.Int32(),
    "rivals": pl.Int32(),
    "code_distance": pl.Int32(),
    "days_name_unused": pl.Int64(),
    "days_before_established": pl.Int64(),
    "branch_same": pl.Boolean(),
}


@dataclass(frozen=True)
class TrainingConfig:
    version: str
    seed: int
    enterprises: int
    dirty: bool
    regularization: float
    folds: int
    thresholds: Thresholds

    @classmethod
    def load(cls, path: Path = CONFIG_YAML) -> TrainingConfig:
        raw: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
        return cls(
            version=str(raw["version"]),
            seed=int(raw["training_data"]["seed"]),
            enterprises=int(raw["training_data"]["enterprises"]),
            dirty=bool(raw["training_data"].get("dirty", False)),
            regularization=float(raw["fit"]["regularization"]),
            folds=int(raw["fit"]["folds"]),
            thresholds=Thresholds(**{k: float(v) for k, v in raw["thresholds"].items()}),
        )


def feature_columns(specs: tuple[Comparison, ...] | None = None) -> list[str]:
    """The raw feature columns the comparisons read, in a stable order."""
    seen: dict[str, None] = {}
    for c in specs or comparisons():
        for level in c.levels:
            for column in level.when or {}:
                seen.setdefault(column, None)
    return list(seen)


def read_pairs(path: Path) -> pl.DataFrame:
    """model/training_pairs.parquet."""
    return pl.read_parquet(path)


def write_pairs(pairs: pl.DataFrame, path: Path) -> None:
    """Rows and columns in a stable order, floats rounded: the same pairs give the same bytes.

    Parquet (zstd) rather than CSV: ~15x smaller with the names kept for inspection.
    """
    floats = [c for c, t in pairs.schema.items() if t == pl.Float64]
    types: dict[Any, Any] = {
        **ID_COLUMNS,
        **{c: t for c, t in FEATURE_TYPES.items() if c in pairs.columns},
    }
    ordered = (
        pairs.select([*ID_COLUMNS, *feature_columns()])
        .cast(types)
        .sort("source", "mention_key", "credit_code", "registry_name")
        .with_columns(pl.col(floats).round(6))
    )
    ordered.write_parquet(path, compression="zstd", compression_level=19, statistics=False)


def label_pairs(scored: pl.DataFrame, truth: pl.DataFrame, source: str) -> pl.DataFrame:
    """Training rows from scored pairs and the truth (mention_key, true credit_code or null, noise).

    label 1 iff the candidate is the true enterprise; every candidate of a
    mention that is no registry enterprise is a 0 (look-alikes teach the model
    what a false match looks like). One row per (mention, enterprise): its
    closest name variant (current, former or English), so that rows stay
    independent and a renamed firm's old name is what the model learns from.
    """
    truth = truth.select(
        "mention_key", pl.col("credit_code").alias("_true"), pl.col("noise").cast(pl.String)
    )
    cols = feature_columns()
    rows = (
        scored.join(truth, on="mention_key", how="inner")
        .sort(
            ["mention_key", "credit_code", "sim_full", "sim_core", "registry_name"],
            descending=[False, False, True, True, False],
        )
        .unique(subset=["mention_key", "credit_code"], keep="first", maintain_order=True)
    )
    return rows.select(
        pl.lit(source).alias("source"),
        "mention_key",
        "mention_type",
        "mention_name",
        "credit_code",
        "registry_name",
        "noise",
        (pl.col("credit_code") == pl.col("_true")).fill_null(False).cast(pl.Int8).alias("label"),
        *cols,
    )


def design_matrix(pairs: pl.DataFrame, specs: tuple[Comparison, ...]) -> np.ndarray:
    """Level indicators, comparisons.yaml order, without each comparison's reference level
    (whose weight is 0 by definition)."""
    levels = with_levels(pairs, specs)
    blocks = []
    for c in specs:
        index = levels[c.column].to_numpy()[:, None]
        kept = [i for i in range(len(c.levels)) if i != c.reference_index]
        blocks.append((index == np.array(kept)[None, :]).astype(np.float64))
    return np.hstack(blocks)


def fit_model(
    pairs: pl.DataFrame, config: TrainingConfig, provenance: dict[str, Any]
) -> MatchModel:
    """Fit, calibrate and fold into level weights. Deterministic for the same pairs."""
    specs = comparisons()
    x = design_matrix(pairs, specs)
    y = pairs["label"].to_numpy().astype(np.int64)
    base = LogisticRegression(C=config.regularization, max_iter=5000, solver="lbfgs")
    folds = StratifiedKFold(n_splits=config.folds, shuffle=True, random_state=config.seed)
    calibrated = CalibratedClassifierCV(base, method="sigmoid", cv=folds, ensemble=False)
    calibrated.fit(x, y)
    inner = calibrated.calibrated_classifiers_[0]
    lr = inner.estimator
    a, b = float(inner.calibrators[0].a_), float(inner.calibrators[0].b_)
    # Platt: p = 1 / (1 + exp(a·f + b)) with f = w·x + c, so log-odds = -a·w·x - (a·c + b).
    coef = -a * lr.coef_[0]
    intercept = -(a * float(lr.intercept_[0]) + b)
    weights: dict[str, dict[str, float]] = {}
    col = 0
    for c in specs:
        weights[c.name] = {}
        for i, level in enumerate(c.levels):
            if i == c.reference_index:
                weights[c.name][level.label] = 0.0
                continue
            weights[c.name][level.label] = round(float(coef[col]), 6)
            col += 1
    return MatchModel(
        version=config.version,
        intercept=round(intercept, 6),
        weights=weights,
        thresholds=config.thresholds,
        provenance={
            **provenance,
            "comparisons_sha256": file_sha256(COMPARISONS_YAML),
            "config_sha256": file_sha256(CONFIG_YAML),
            "training_rows": int(pairs.height),
            "training_positives": int(y.sum()),
        },
    )
