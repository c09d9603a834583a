"""Small summary frames of the scoring outputs, for the Dagster UI metadata."""

from __future__ import annotations

import polars as pl

from capscore.scoring.scores import stored_indicators
from capscore.storage.tables import PIVOT_SEPARATOR
from scoring_models.config import ScoringModel


def score_distribution(enterprise_score: pl.DataFrame, model: ScoringModel) -> pl.DataFrame:
    """Per life stage x dimension (and composite): n, mean and quantiles of the scores."""
    columns = [*model.dimensions, "composite"]
    long = enterprise_score.select("life_stage", *columns).unpivot(
        index="life_stage", variable_name="dimension", value_name="score"
    )
    stage_order = {stage: i for i, stage in enumerate(model.stages)}
    dim_order = {d: i for i, d in enumerate(columns)}
    return (
        long.group_by("life_stage", "dimension")
        .agg(
            pl.len().alias("n"),
            pl.col("score").mean().round(1).alias("mean"),
            *[
                pl.col("score").quantile(q, "linear").round(1).alias(f"p{int(q * 100)}")
                for q in (0.1, 0.25, 0.5, 0.75, 0.9)
            ],
        )
        .sort(
            pl.col("life_stage").replace_strict(stage_order, default=len(stage_order)),
            pl.col("dimension").replace_strict(dim_order, default=len(dim_order)),
        )
    )


def stage_counts(enterprise_score: pl.DataFrame, model: ScoringModel) -> pl.DataFrame:
    """Per life stage: enterprises, mean composite and coverage, share scored against a fallback group."""
    order = {stage: i for i, stage in enumerate(model.stages)}
    return (
        enterprise_score.group_by("life_stage")
        .agg(
            pl.len().alias("enterprises"),
            pl.col("composite").mean().round(1).alias("mean_composite"),
            pl.col("coverage").mean().round(3).alias("mean_coverage"),
            (~pl.col("peer_group").str.contains("-")).mean().round(3).alias("peer_fallback_share"),
        )
        .sort(pl.col("life_stage").replace_strict(order, default=len(order)))
    )


def indicator_summary(stored: pl.DataFrame, model: ScoringModel) -> pl.DataFrame:
    """Per indicator of the model: share with a value, median raw value, share ranked in a
    fallback group, from scoring/indicator_value as the lake stores it (`indicator_columns`)."""
    present = set(stored_indicators(stored))
    stats: list[pl.Expr] = []
    for name in model.indicator_names:
        if name not in present:
            continue
        raw = pl.col(f"{name}{PIVOT_SEPARATOR}raw_value")
        fallback = ~pl.col(f"{name}{PIVOT_SEPARATOR}peer_group").str.contains("-")
        stats += [
            raw.is_not_null().mean().round(3).alias(f"{name}\tshare_with_value"),
            raw.median().alias(f"{name}\tmedian_raw"),
            ((raw.is_not_null() & fallback).sum() / raw.is_not_null().sum())
            .round(3)
            .alias(f"{name}\tpeer_fallback_share"),
        ]
    found = stored.select(stats).row(0, named=True) if stats else {}
    fields = ("share_with_value", "median_raw", "peer_fallback_share")
    return pl.DataFrame(
        [
            {
                "indicator": spec.name,
                "dimension": spec.dimension,
                "direction": spec.direction,
                **{f: found.get(f"{spec.name}\t{f}") for f in fields},
            }
            for spec in model.indicators
        ],
        schema={
            "indicator": pl.String(),
            "dimension": pl.String(),
            "direction": pl.String(),
            "share_with_value": pl.Float64(),
            "median_raw": pl.Float64(),
            "peer_fallback_share": pl.Float64(),
        },
    )
