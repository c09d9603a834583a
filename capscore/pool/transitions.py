"""Tier changes between the pool of the previous built as-of date and the pool of D.

Which change a move is (entered, exited, promoted, demoted, stage_changed) is
decided by the `tier_change` macro in `sql/macro_tier_change.sql`, the rule the
warehouse's `mart.tier_movers` and the pool report call too.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from capscore.sql_library import query_frames

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
    "model_version",
]
CHANGES = ("entered", "exited", "promoted", "demoted", "stage_changed")


def _side(pool: pl.DataFrame, suffix: str) -> pl.DataFrame:
    in_pool = pl.col("in_pool").fill_null(False)
    return pool.select(
        "credit_code",
        pl.when(in_pool).then(pl.col("tier")).alias(f"tier{suffix}"),
        pl.when(in_pool).then(pl.col("grade")).alias(f"grade{suffix}"),
    )


def classify_changes(moves: pl.DataFrame) -> pl.Series:
    """`tier_change(from_tier, to_tier, from_grade, to_grade)` for each row of `moves`."""
    changes = query_frames(
        "SELECT tier_change(from_tier, to_tier, from_grade, to_grade) AS change FROM moves",
        moves=moves.select("from_tier", "to_tier", "from_grade", "to_grade"),
    )
    return changes.get_column("change").cast(pl.String)


def _version(pool: pl.DataFrame) -> str | None:
    versions = pool.get_column("model_version").unique()
    if versions.len() > 1:
        raise ValueError(f"one pool holds several model versions: {sorted(versions.to_list())}")
    version = versions.first() if versions.len() else None
    return None if version is None else str(version)


def tier_transitions(
    previous: pl.DataFrame | None,
    current: pl.DataFrame,
    score: pl.DataFrame,
    as_of: date,
    previous_as_of: date | None,
) -> pl.DataFrame:
    """pool/tier_transitions for D: one row per enterprise whose tier differs from
    the pool `previous`, built as of `previous_as_of` (the latest earlier as-of date
    that has one). `score` is scoring/enterprise_score as of D (the composite shown).

    Without a previous pool the comparison is against an empty pool (every
    member `entered`) and previous_as_of_date is null, so a reader can tell a
    first day from a real entry. model_version is the pool policy version of D's
    pool, which made the move.
    """
    if previous is None:
        previous = current.clear()
        previous_as_of = None
    moves = (
        _side(previous, "_before")
        .join(_side(current, "_after"), on="credit_code", how="full", coalesce=True)
        .filter(pl.col("tier_before").ne_missing(pl.col("tier_after")))
        .join(score.select("credit_code", "composite"), on="credit_code", how="left")
        .select(
            "credit_code",
            pl.lit(as_of).alias("as_of_date"),
            pl.col("tier_before").alias("from_tier"),
            pl.col("tier_after").alias("to_tier"),
            pl.col("grade_before").alias("from_grade"),
            pl.col("grade_after").alias("to_grade"),
            "composite",
            pl.lit(previous_as_of, dtype=pl.Date).alias("previous_as_of_date"),
            pl.lit(_version(current), dtype=pl.String).alias("model_version"),
        )
        .sort("credit_code")
    )
    return moves.with_columns(classify_changes(moves).alias("change")).select(TRANSITION_COLUMNS)
