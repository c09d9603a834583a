"""OECD patent quality indicators per patent as of D (scoring.md §1).

After Squicciarini, Dernis & Criscuolo (2013), *Measuring Patent Quality*,
OECD STI Working Paper 2013/03. Choices the spec leaves open are documented
next to their parameters in scoring_models/scoring_v1.yaml.
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

import polars as pl

from capscore.indicators.citations import (
    citation_inputs,
    kept_measures,
    measure_all,
    updated_measures,
)
from capscore.indicators.patent_facts import KEY, PatentView, patent_view
from scoring_models.config import PatentRules, ScoringModel

SCHEMA: dict[str, pl.DataType] = {
    KEY: pl.String(),
    "cohort": pl.String(),
    "scope": pl.Int64(),
    "claims": pl.Int64(),
    "family_size": pl.Int64(),
    "grant_lag_days": pl.Int64(),
    "backward_citations": pl.Int64(),
    "forward_citations_5y": pl.Int64(),
    "generality": pl.Float64(),
    "originality": pl.Float64(),
    "radicalness": pl.Float64(),
    "quality_index": pl.Float64(),
    "breakthrough": pl.Boolean(),
    "patent_type": pl.String(),
    "application_date": pl.Date(),
    "publication_date": pl.Date(),
    "grant_date": pl.Date(),
    "legal_status": pl.String(),
    "granted": pl.Boolean(),
    "valid": pl.Boolean(),
    "pct": pl.Boolean(),
    "applicant_credit_codes": pl.List(pl.String()),
    "model_version": pl.String(),
}

# Components of the quality index that are normalized within the cohort.
_NORMALIZED = ("forward_citations_5y", "family_size", "claims", "generality", "scope")
_CAPS = {f"_cap_{c}": f"cap_{c}" for c in _NORMALIZED}

# scoring/patent_cohort: per cohort a patent of D is normalized in, its size and the caps
# (the normalization quantile of each component) the quality index divides by. Kept
# apart from the patents' rows: one new patent moves its cohort's size and caps, and
# the patents' rows would all change with them (see storage.changes).
COHORT_SCHEMA: dict[str, pl.DataType] = {
    "cohort": pl.String(),
    "cohort_size": pl.Int64(),
    "patents": pl.Int64(),
    **{name: pl.Float64() for name in _CAPS.values()},
    "breakthrough_cut": pl.Float64(),
    "model_version": pl.String(),
}


def capped_share(x: pl.Expr, cap: pl.Expr) -> pl.Expr:
    """min(x, cap) / cap; with cap = 0 a positive x is at the cap (1) and 0 is 0."""
    return (
        pl.when(x.is_null() | cap.is_null())
        .then(None)
        .when(cap > 0)
        .then(pl.min_horizontal(x, cap) / cap)
        .otherwise((x > 0).cast(pl.Float64))
    )


def _cohorts(pats: pl.DataFrame, min_size: int) -> pl.DataFrame:
    """Per patent: the cohort keys at each fallback level and the one used (first with >= min_size)."""
    year = pl.col("application_date").dt.year().cast(pl.String)
    levels = [
        pl.concat_str(year, pl.lit("-"), pl.col("main_class")),
        pl.concat_str(year, pl.lit("-"), pl.col("main_class").str.slice(0, 1)),
        year,
        pl.lit("all"),
    ]
    names = [f"_cohort{i}" for i in range(len(levels))]
    frame = pats.with_columns(e.alias(n) for n, e in zip(names, levels, strict=True))
    frame = frame.with_columns(
        pl.when(pl.col(n).is_null()).then(0).otherwise(pl.len().over(n)).alias(f"{n}_size")
        for n in names
    )
    # The first level whose group is big enough; "all" always is.
    big = [pl.col(f"{n}_size") >= min_size for n in names[:-1]]
    chosen = pl.coalesce(
        [*(pl.when(b).then(pl.col(n)) for b, n in zip(big, names, strict=False)), pl.col(names[-1])]
    )
    size = pl.coalesce(
        [
            *(pl.when(b).then(pl.col(f"{n}_size")) for b, n in zip(big, names, strict=False)),
            pl.col(f"{names[-1]}_size"),
        ]
    )
    return frame.with_columns(chosen.alias("cohort"), size.cast(pl.Int64).alias("cohort_size"))


def _cohort_caps(frame: pl.DataFrame, model: ScoringModel) -> pl.DataFrame:
    """Per cohort key of every level: the normalization and breakthrough quantiles."""
    rules = model.patents
    aggs = [
        pl.col(c).quantile(rules.normalization_quantile, "linear").alias(f"_cap_{c}")
        for c in _NORMALIZED
    ] + [
        pl.col("forward_citations_5y")
        .quantile(rules.breakthrough_quantile, "linear")
        .alias("_breakthrough_cut")
    ]
    levels = [c for c in frame.columns if c.startswith("_cohort") and not c.endswith("_size")]
    stats = [
        frame.select(pl.col(level).alias("cohort"), *_NORMALIZED)
        .drop_nulls("cohort")
        .group_by("cohort")
        .agg(aggs)
        for level in levels
    ]
    return pl.concat(stats).unique("cohort")


def breakthrough_expr(rules: PatentRules) -> pl.Expr:
    """Top (1 - breakthrough_quantile) of the cohort by forward_citations_5y, cited at least once.

    `shared` ties (v1): every patent at or above the cohort quantile, so a tie
    at the cut flags more than the share. `broken` ties (v2): at most
    ceil(share x cohort size) patents, the order among equal citation counts
    broken by earlier publication, then application number.
    """
    cited = pl.col("forward_citations_5y") > 0
    if rules.breakthrough_ties == "shared":
        return cited & (pl.col("forward_citations_5y") >= pl.col("_breakthrough_cut"))
    allowed = (pl.len() * (1.0 - rules.breakthrough_quantile)).ceil().over("cohort")
    place = (
        pl.struct(
            (-pl.col("forward_citations_5y")).alias("c"),
            pl.col("publication_date").alias("p"),
            pl.col(KEY).alias("k"),
        )
        .rank("ordinal")
        .over("cohort")
    )
    return cited & (place <= allowed)


class QualityAndCohorts(NamedTuple):
    quality: pl.DataFrame  # scoring/patent_quality rows (SCHEMA)
    cohorts: pl.DataFrame  # scoring/patent_cohort rows (COHORT_SCHEMA)
    kept: pl.DataFrame  # the citation measures a later date updates (citations.KEPT_SCHEMA)
    remeasured: int  # patents whose citation measures were worked out


def patent_quality(
    patents: pl.DataFrame, links: pl.DataFrame, as_of: date, model: ScoringModel
) -> pl.DataFrame:
    """scoring/patent_quality rows: one per patent visible on `as_of` (schema `SCHEMA`)."""
    return quality_and_cohorts(patents, links, as_of, model).quality


def quality_and_cohorts(
    patents: pl.DataFrame,
    links: pl.DataFrame,
    as_of: date,
    model: ScoringModel,
    kept: pl.DataFrame | None = None,
) -> QualityAndCohorts:
    """scoring/patent_quality and scoring/patent_cohort rows as of `as_of`.

    `patents` is core/patent as of D, `links` er/applicant_links as of D
    (only `matched` links resolve applicants, for self-citations). With `kept`, the
    citation measures another date kept, only the patents a change reaches are measured
    again (citations.updated_measures): the same rows.
    """
    return quality_of(patent_view(patents, links, as_of, model.patents), model, kept)


def quality_of(
    view: PatentView, model: ScoringModel, kept: pl.DataFrame | None = None
) -> QualityAndCohorts:
    """quality_and_cohorts from the date's patent view."""
    rules = model.patents
    pats = view.pats
    # Sorted first: sorting within each group is several times slower at 3M patents.
    codes = (
        view.owners.sort("pid", "credit_code")
        .group_by("pid", maintain_order=True)
        .agg(pl.col("credit_code").alias("applicant_credit_codes"))
    )
    inputs = citation_inputs(pats, codes)
    window = rules.forward_window_years
    updated = None if kept is None else updated_measures(view, inputs, kept, window)
    measures, remeasured = updated or (measure_all(view, window), pats.height)
    base = (
        pats.join(measures, on="pid", how="left")
        .join(codes, on="pid", how="left")
        .with_columns(
            pl.col("subclasses").list.len().cast(pl.Int64).replace(0, None).alias("scope"),
            pl.col("claims_count").cast(pl.Int64).alias("claims"),
            pl.when(pl.col("family_size").is_null() & ~pl.col("pct").fill_null(False))
            .then(1)
            .otherwise(pl.col("family_size"))
            .cast(pl.Int64)
            .alias("family_size"),
            pl.when(pl.col("granted"))
            .then((pl.col("grant_date") - pl.col("application_date")).dt.total_days())
            .cast(pl.Int64)
            .alias("grant_lag_days"),
            pl.col("cited_applications")
            .list.eval(pl.element().str.strip_chars().filter(pl.element() != ""))
            .list.unique()
            .list.len()
            .cast(pl.Int64)
            .alias("backward_citations"),
            pl.col("applicant_credit_codes").fill_null(pl.lit([], dtype=pl.List(pl.String()))),
        )
    )
    # Generality is undefined without IPC-classified forward citations; for
    # normalization and the quality index it counts as 0 (see the YAML).
    frame = _cohorts(
        base.with_columns(pl.col("generality").alias("_generality_out")).with_columns(
            pl.col("generality").fill_null(0.0)
        ),
        rules.cohort_min_size,
    )
    caps = _cohort_caps(frame, model)
    components = [
        capped_share(pl.col(c).cast(pl.Float64), pl.col(f"_cap_{c}"))
        for c in rules.quality_index_components
    ]
    scored = (
        frame.join(caps, on="cohort", how="left")
        .with_columns(
            pl.mean_horizontal(components).alias("quality_index"),
            breakthrough_expr(rules).alias("breakthrough"),
            pl.col("_generality_out").alias("generality"),
            pl.lit(model.version).alias("model_version"),
        )
        .sort(KEY)
    )
    cohorts = (
        scored.group_by("cohort")
        .agg(
            pl.col("cohort_size").first(),
            pl.len().alias("patents"),
            *(pl.col(cap).first().alias(name) for cap, name in _CAPS.items()),
            pl.col("_breakthrough_cut").first().alias("breakthrough_cut"),
        )
        .with_columns(pl.lit(model.version).alias("model_version"))
        .select([pl.col(name).cast(dtype) for name, dtype in COHORT_SCHEMA.items()])
        .sort("cohort")
    )
    return QualityAndCohorts(
        scored.select([pl.col(n).cast(dtype) for n, dtype in SCHEMA.items()]),
        cohorts,
        kept_measures(pats, inputs, measures),
        remeasured,
    )
