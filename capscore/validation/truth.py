"""Against the generator's truth (generated data only): does the composite rank firms
by their hidden capability, and how close does it come to what the same
point-in-time facts could give at best?

- Spearman(composite, capability), and of each dimension;
- single-indicator baselines: each indicator's raw value alone (missing ranked
  lowest), and the raw count of matched patents;
- the oracle: a model fitted on the truth itself over the same point-in-time
  indicators the composite uses (cross-fitted, so it never predicts a firm it
  was fitted on): the best these indicators could rank by; and
  `oracle_with_context`, the same plus the firm's age and industry section (what
  the composite's life stages and peer groups come from): how much a model that
  also reads those could gain;
- top-decile lift: the share of the truly best 10% the composite puts in its
  top 10%, over chance.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.model_selection import KFold

from capscore.indicators.enterprise import age_years
from capscore.validation.metrics import spearman, top_decile_lift
from scoring_models.config import ScoringModel

# What the composite knows besides the indicators (life stage, peer groups).
ORACLE_CONTEXT = ("age_years", "industry_section")
# The truth section samples at most this many firms (the oracle is the costly part). At
# 1M firms (2026-11-19) 100,000 against 200,000: oracle 0.4680 / 0.4679, with context
# 0.5371 / 0.5388, composite 0.4676 / 0.4680, in 5.8 s instead of 10.1.
MAX_FIRMS = 100_000
FOLDS = 3
SEED = 20261204


def _lowest_when_missing(values: np.ndarray) -> np.ndarray:
    """Missing ranks below every value (no evidence is the least evidence)."""
    low = np.nanmin(values) - 1.0 if np.isfinite(values).any() else 0.0
    return np.where(np.isnan(values), low, values)


def oracle_predictions(
    features: np.ndarray, capability: np.ndarray, categorical: list[bool] | None = None
) -> np.ndarray:
    """Out-of-fold predictions of capability from `features` (NaN = missing)."""
    predictions = np.empty(capability.size)
    for train, test in KFold(FOLDS, shuffle=True, random_state=SEED).split(features):
        # A feature without any value among the fold's training firms carries nothing
        # to learn, and sklearn's binning fails on it ("window shape cannot be larger
        # than input array shape"): on data with one fiscal year filed, revenue and R&D
        # growth were missing for every firm and the nightly run stopped here.
        known = ~np.isnan(features[train]).all(axis=0)
        if not known.any():
            # Nothing to learn from: no ranking (a constant, the same in every fold).
            predictions[test] = 0.0
            continue
        kept = (
            None
            if categorical is None
            else [c for c, k in zip(categorical, known, strict=True) if k]
        )
        # Early stopping ends these fits at 60-100 rounds: at 1M (200,000 firms sampled)
        # the oracle ranks as well as at half the rate (0.4698 against 0.4700, with
        # context 0.5405 both) in two thirds of the time. sklearn turns it on only above
        # 10,000 firms; below, 200 rounds overfit: on 300 firms the oracle ranked worse
        # (Spearman 0.19-0.23 against 0.28-0.30 with it) in twice the time.
        model = HistGradientBoostingRegressor(
            max_iter=200,
            learning_rate=0.1,
            early_stopping=True,
            random_state=SEED,
            categorical_features=kept,
        )
        model.fit(features[train][:, known], capability[train])
        predictions[test] = model.predict(features[test][:, known])
    return predictions


def truth_agreement(
    scores: pl.DataFrame,
    wide: pl.DataFrame,
    profile: pl.DataFrame,
    capability: pl.DataFrame,
    model: ScoringModel,
    as_of: date,
) -> pl.DataFrame:
    """measure, subject, value: the agreement of scores, baselines and the oracle with
    the truth over the scored firms that have one (`profile`: scoring/enterprise_profile
    as of `as_of`)."""
    frame = (
        scores.select("credit_code", "composite", *model.dimensions)
        .join(wide, on="credit_code", how="inner")
        .join(
            profile.with_columns(age_years(as_of, model).alias("age_years")).select(
                "credit_code", "patent_count", *ORACLE_CONTEXT
            ),
            on="credit_code",
            how="inner",
        )
        .join(capability.select("credit_code", "capability"), on="credit_code", how="inner")
        .sort("credit_code")
    )
    if frame.height > MAX_FIRMS:
        frame = frame.sample(MAX_FIRMS, seed=SEED).sort("credit_code")
    truth = frame["capability"].to_numpy().astype(np.float64)
    rows: list[dict[str, object]] = []

    def add(measure: str, subject: str, value: float | None) -> None:
        rows.append({"measure": measure, "subject": subject, "value": value})

    for column in ("composite", *model.dimensions):
        add("spearman", column, spearman(frame[column].to_numpy().astype(np.float64), truth))
    for spec in model.indicators:
        raw = frame[spec.name].cast(pl.Float64).to_numpy()
        oriented = -raw if spec.direction == "lower" else raw
        add("spearman", f"indicator:{spec.name}", spearman(_lowest_when_missing(oriented), truth))
    add(
        "spearman",
        "baseline:patent_count",
        spearman(frame["patent_count"].cast(pl.Float64).to_numpy(), truth),
    )
    indicators = frame.select([pl.col(s.name).cast(pl.Float64) for s in model.indicators])
    context = frame.select(
        pl.col("age_years").cast(pl.Float64),
        pl.col("industry_section").cast(pl.String).cast(pl.Categorical).to_physical(),
    )
    for subject, features, categorical in (
        ("oracle", indicators, None),
        (
            "oracle_with_context",
            pl.concat([indicators, context], how="horizontal"),
            [False] * (indicators.width + 1) + [True],
        ),
    ):
        oracle = (
            oracle_predictions(features.to_numpy(), truth, categorical)
            if frame.height >= 50
            else None
        )
        add("spearman", subject, None if oracle is None else spearman(oracle, truth))
    add(
        "top_decile_lift",
        "composite",
        top_decile_lift(frame["composite"].to_numpy().astype(np.float64), truth),
    )
    add("firms", "compared", float(frame.height))
    return pl.DataFrame(
        rows, schema={"measure": pl.String, "subject": pl.String, "value": pl.Float64}
    )
