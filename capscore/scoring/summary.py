"""Small summary frames of the scoring outputs, for the Dagster UI metadata."""

from __future__ import annotations

import polars as pl

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


def indicator_summary(indicator_value: pl.DataFrame, model: ScoringModel) -> pl.DataFrame:
    """Per indicator: share with a value, median raw value, share ranked in a fallback group."""
    order = {name: i for i, name in enumerate(model.indicator_names)}
    with_value = pl.col("raw_value").is_not_null()
    # Aggregate the large frame first; text tests run on the small result.
    groups = (
        indicator_value.group_by("indicator", "peer_group")
        .agg(pl.len().alias("n"), with_value.sum().alias("with_value"))
        .with_columns(
            pl.col("indicator").cast(pl.String),
            (~pl.col("peer_group").cast(pl.String).str.contains("-")).alias("fallback"),
        )
        .group_by("indicator")
        .agg(
            (pl.col("with_value").sum() / pl.col("n").sum()).round(3).alias("share_with_value"),
            (pl.col("with_value").filter("fallback").sum() / pl.col("with_value").sum())
            .round(3)
            .alias("peer_fallback_share"),
        )
    )
    medians = indicator_value.group_by("indicator").agg(
        pl.col("raw_value").median().alias("median_raw")
    )
    meta = pl.DataFrame(
        {
            "indicator": list(model.indicator_names),
            "dimension": [s.dimension for s in model.indicators],
            "direction": [s.direction for s in model.indicators],
        }
    )
    return (
        meta.join(groups, on="indicator", how="left")
        .join(medians.with_columns(pl.col("indicator").cast(pl.String)), on="indicator", how="left")
        .select(
            "indicator",
            "dimension",
            "direction",
            "share_with_value",
            "median_raw",
            "peer_fallback_share",
        )
        .sort(pl.col("indicator").replace_strict(order, default=len(order)))
    )
