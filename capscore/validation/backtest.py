"""Out-of-time backtest: scores as of R against what happened in (R, D].

Each outcome is scored by the composite and, side by side, by simple baselines
on the same firms: the raw count of matched patents, and the official point
table of 科技型中小企业评价 (R&D intensity 50 + S&T staff 20 + Ⅰ/Ⅱ类 IP 30
points, the bands of scoring_v2.yaml) — plus the challenger, when fitted.
A bad outcome (deregistration) is scored by the negated score, so that for
every outcome an AUC above 0.5 means "the score ranks it the right way".
"""

from __future__ import annotations

import numpy as np
import polars as pl

from capscore.scoring.scores import band_score
from capscore.validation.metrics import (
    discrimination,
    rates_are_monotone,
    significant_inversions,
)
from capscore.validation.outcomes import BAD_OUTCOMES, OUTCOMES
from scoring_models.config import ScoringModel

# 科技型中小企业评价: the three groups and their maximum points (of 100).
OFFICIAL_TABLE = {"rd_intensity": 50.0, "rd_staff_share": 20.0, "ip_class_points": 30.0}
BASELINES = ("patent_count", "official_points")


def official_points(raw: pl.DataFrame, table_model: ScoringModel) -> pl.Series:
    """Points of the official table from raw indicator values (a missing filing earns
    none, as an application without documents would)."""
    points = pl.lit(0.0)
    for name, maximum in OFFICIAL_TABLE.items():
        spec = table_model.indicator(name)
        points = points + band_score(pl.col(name), spec.bands).fill_null(0.0) * maximum / 100.0
    return raw.select(points.alias("official_points")).to_series()


def _oriented(frame: pl.DataFrame, model: str, outcome: str) -> np.ndarray:
    score = frame[model].cast(pl.Float64).fill_null(float("nan")).to_numpy()
    return -score if outcome in BAD_OUTCOMES else score


def discrimination_table(
    scored: pl.DataFrame, outcomes: pl.DataFrame, models: list[str]
) -> pl.DataFrame:
    """outcome, model, firms, events, auc, gini, ks for each outcome and scoring column."""
    rows = []
    for outcome in OUTCOMES:
        at_risk = scored.join(
            outcomes.filter(pl.col("outcome") == outcome), on="credit_code", how="inner"
        )
        label = at_risk["happened"].to_numpy()
        for model in models:
            if model not in at_risk.columns:
                continue
            measured = discrimination(_oriented(at_risk, model, outcome), label)
            rows.append(
                {
                    "outcome": outcome,
                    "model": model,
                    "firms": at_risk.height,
                    "events": int(label.sum()),
                    **measured,
                }
            )
    return pl.DataFrame(
        rows,
        schema={
            "outcome": pl.String,
            "model": pl.String,
            "firms": pl.Int64,
            "events": pl.Int64,
            "auc": pl.Float64,
            "gini": pl.Float64,
            "ks": pl.Float64,
        },
    )


def grade_rates(
    pool: pl.DataFrame, outcomes: pl.DataFrame, grades: tuple[str, ...]
) -> tuple[pl.DataFrame, dict[str, bool], dict[str, int]]:
    """Outcome rate by grade among pool members at R (with `events`, the members who
    had the outcome: what the order rests on); per outcome, whether its rate moves one
    way from the best grade to the worst, and how many adjacent grades go the wrong
    way by more than sampling noise."""
    members = pool.filter(pl.col("in_pool")).select("credit_code", "grade")
    rates = (
        members.join(outcomes, on="credit_code", how="inner")
        .group_by("outcome", "grade")
        .agg(
            pl.len().alias("firms"),
            pl.col("happened").mean().alias("rate"),
            pl.col("happened").sum().cast(pl.Int64).alias("events"),
        )
    )
    grid = pl.DataFrame({"outcome": list(OUTCOMES)}).join(
        pl.DataFrame({"grade": list(grades)}), how="cross"
    )
    table = (
        grid.join(rates, on=["outcome", "grade"], how="left")
        .with_columns(pl.col("firms").fill_null(0), pl.col("events").fill_null(0))
        .with_columns(
            pl.col("grade").replace_strict({g: i for i, g in enumerate(grades)}).alias("_order")
        )
        .sort("outcome", "_order")
        .drop("_order")
    )
    monotone = {
        outcome: rates_are_monotone(
            table.filter(pl.col("outcome") == outcome)["rate"].to_list(),
            decreasing=outcome not in BAD_OUTCOMES,
        )
        for outcome in OUTCOMES
    }
    inversions = {
        outcome: significant_inversions(
            (rows := table.filter(pl.col("outcome") == outcome))["rate"].to_list(),
            rows["firms"].to_list(),
            decreasing=outcome not in BAD_OUTCOMES,
        )
        for outcome in OUTCOMES
    }
    return table, monotone, inversions
