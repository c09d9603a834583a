"""How raw values and reasons are written for analysts (shared by top_reasons and explain)."""

from __future__ import annotations

import polars as pl

from scoring_models.config import ScoringModel


def indicator_meta(model: ScoringModel) -> pl.DataFrame:
    """One row per configured indicator: dimension, label, unit, direction, within-dimension weight."""
    totals: dict[str, float] = {}
    for spec in model.indicators:
        totals[spec.dimension] = totals.get(spec.dimension, 0.0) + spec.weight
    return pl.DataFrame(
        {
            "indicator": [s.name for s in model.indicators],
            "dimension": [s.dimension for s in model.indicators],
            "label": [s.label for s in model.indicators],
            "unit": [s.unit for s in model.indicators],
            "direction": [s.direction for s in model.indicators],
            "weight": [s.weight / totals[s.dimension] for s in model.indicators],
        },
        schema={
            "indicator": pl.String(),
            "dimension": pl.String(),
            "label": pl.String(),
            "unit": pl.String(),
            "direction": pl.String(),
            "weight": pl.Float64(),
        },
    )


def _number(value: pl.Expr, decimals: int) -> pl.Expr:
    if decimals == 0:
        return value.round(0).cast(pl.Int64).cast(pl.String)
    return value.round(decimals).cast(pl.String)


def format_value(value: pl.Expr, unit: pl.Expr) -> pl.Expr:
    """A raw value as text in its unit: 0.072 percent -> "7.2%", 3500 wan -> "3500万元"."""
    text = (
        pl.when(unit == "percent")
        .then(pl.concat_str(_number(value * 100.0, 1), pl.lit("%")))
        .when(unit == "wan")
        .then(pl.concat_str(_number(value, 0), pl.lit("万元")))
        .when(unit.is_in(["count", "level"]))
        .then(_number(value, 0))
        .otherwise(_number(value, 2))
    )
    return pl.when(value.is_null()).then(pl.lit("missing")).otherwise(text)


def reason_text(model: ScoringModel) -> pl.Expr:
    """The reason sentence for a row with label, unit, direction, raw_value, score, peer_median(_score).

    e.g. "+ R&D intensity 7.2% (score 91) is well above the peer median (4.1%)";
    the sign says whether it raised (+) or lowered (-) the composite.
    """
    raw, median = pl.col("raw_value"), pl.col("peer_median")
    relation = (
        pl.when(raw > median)
        .then(pl.lit("above"))
        .when(raw < median)
        .then(pl.lit("below"))
        .otherwise(pl.lit("at"))
    )
    well = pl.when(
        (relation != "at")
        & ((pl.col("score") - pl.col("peer_median_score")).abs() >= model.well_margin)
    ).then(pl.lit("well "))
    return pl.concat_str(
        pl.when(pl.col("contribution") > 0).then(pl.lit("+ ")).otherwise(pl.lit("- ")),
        pl.col("label"),
        pl.lit(" "),
        format_value(raw, pl.col("unit")),
        pl.lit(" (score "),
        pl.col("score").round(0).cast(pl.Int64).cast(pl.String),
        pl.lit(") is "),
        well.fill_null(""),
        relation,
        pl.lit(" the peer median ("),
        format_value(median, pl.col("unit")),
        pl.lit(")"),
        pl.when(pl.col("direction") == "lower")
        .then(pl.lit("; lower is better"))
        .otherwise(pl.lit("")),
    )


def empty_dimension_text(label: str, score: float) -> str:
    return f"- {label}: no indicator available, dimension scored {score:g}"


def unmoved_text() -> pl.Expr:
    """The reason of a firm no indicator moved from its peer median: without it an
    analyst sees a score and no word of why."""
    return (
        pl.when(pl.col("composite_evidence") == 0)
        .then(
            pl.lit(
                "- no evidence: every indicator measured scores 0 (nothing counted as of"
                " this date), and so does the peer median"
            )
        )
        .otherwise(
            pl.format(
                "- every indicator is at its peer median; composite {}",
                pl.col("composite").round(1),
            )
        )
    )
