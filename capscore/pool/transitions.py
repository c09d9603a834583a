"""Tier changes between the pool of D-1 and the pool of D."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from capscore.pool.grading import grade_rank
from scoring_models.policy_config import PoolPolicy

TRANSITION_COLUMNS = [
    "credit_code",
    "as_of_date",
    "from_tier",
    "to_tier",
    "change",
    "from_grade",
    "to_grade",
    "composite",
    "previous_as_of_date",
]
CHANGES = ("entered", "exited", "promoted", "demoted", "stage_changed")


def _side(pool: pl.DataFrame, suffix: str) -> pl.DataFrame:
    in_pool = pl.col("in_pool").fill_null(False)
    return pool.select(
        "credit_code",
        pl.when(in_pool).then(pl.col("tier")).alias(f"tier{suffix}"),
        pl.when(in_pool).then(pl.col("life_stage")).alias(f"stage{suffix}"),
        pl.when(in_pool).then(pl.col("grade")).alias(f"grade{suffix}"),
        pl.col("composite").alias(f"composite{suffix}"),
    )


def tier_transitions(
    previous: pl.DataFrame | None, current: pl.DataFrame, policy: PoolPolicy, as_of: date
) -> pl.DataFrame:
    """pool/tier_transitions for D: one row per enterprise whose tier differs from D-1.

    Without a D-1 partition the comparison is against an empty pool (every
    member `entered`) and previous_as_of_date is null, so a reader can tell a
    first day from a real entry.
    """
    if previous is None:
        previous = current.clear()
        compared_with = None
    else:
        compared_with = as_of - timedelta(days=1)
    before, after = _side(previous, "_before"), _side(current, "_after")
    joined = before.join(after, on="credit_code", how="full", coalesce=True)
    rank_before = grade_rank(pl.col("grade_before"), policy)
    rank_after = grade_rank(pl.col("grade_after"), policy)
    change = (
        pl.when(pl.col("tier_before").is_null() & pl.col("tier_after").is_not_null())
        .then(pl.lit("entered"))
        .when(pl.col("tier_before").is_not_null() & pl.col("tier_after").is_null())
        .then(pl.lit("exited"))
        .when(pl.col("tier_before") == pl.col("tier_after"))
        .then(None)
        .when(pl.col("stage_before") != pl.col("stage_after"))
        .then(pl.lit("stage_changed"))
        .when(rank_after > rank_before)
        .then(pl.lit("promoted"))
        .when(rank_after < rank_before)
        .then(pl.lit("demoted"))
    )
    return (
        joined.with_columns(change.alias("change"))
        .filter(pl.col("change").is_not_null())
        .select(
            "credit_code",
            pl.lit(as_of).alias("as_of_date"),
            pl.col("tier_before").alias("from_tier"),
            pl.col("tier_after").alias("to_tier"),
            "change",
            pl.col("grade_before").alias("from_grade"),
            pl.col("grade_after").alias("to_grade"),
            pl.coalesce("composite_after", "composite_before").alias("composite"),
            pl.lit(compared_with, dtype=pl.Date).alias("previous_as_of_date"),
        )
        .sort("credit_code")
    )
