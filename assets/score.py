"""scoring stage: OECD patent quality, enterprise indicators and profile, dimension scores, as of D."""

# No `from __future__ import annotations`: Dagster inspects the context annotation at
# definition time.

from collections.abc import Iterator
from datetime import date
from typing import Any

import dagster as dg
import polars as pl

from assets.common import (
    AsOfWriter,
    as_of_asset,
    as_of_multi_asset,
    as_of_spec,
    asset_key,
    by_day_result,
    markdown_table,
    read_input,
)
from assets.partitions import full_run, partition_dates
from assets.resources import CapscoreResource
from capscore.indicators import enterprise as enterprise_indicators
from capscore.indicators import patent_quality as oecd
from capscore.indicators.citation_cache import read_kept_citations, write_kept_citations
from capscore.indicators.inputs import (
    APPLICANT_LINK,
    ENTERPRISE,
    PATENT,
    PATENT_QUALITY,
    RD_FILING,
)
from capscore.indicators.patent_facts import patent_view
from capscore.scoring.scores import (
    enterprise_scores,
    indicator_columns,
    require_model_version,
    score_input_columns,
)
from capscore.scoring.summary import indicator_summary, score_distribution, stage_counts
from capscore.scoring.weights import weight_comparison
from capscore.storage import tables
from capscore.storage.lake import column_names, read_as_of
from capscore.storage.tables import PIVOT_SEPARATOR
from scoring_models.config import ScoringModel, load_scoring_model

GROUP = "scoring"


def mean_of(series: pl.Series, digits: int) -> float:
    value = series.cast(pl.Float64).mean()
    return round(float(value), digits) if isinstance(value, float) else 0.0


def _model(context: dg.AssetExecutionContext) -> ScoringModel:
    model = load_scoring_model()
    context.log.info(
        f"scoring model {model.version} ({model.path.name}, sha256 {model.sha256[:12]})"
    )
    return model


PATENT_QUALITY_KEY = asset_key(tables.PATENT_QUALITY)
INDICATOR_VALUE_KEY = asset_key(tables.INDICATOR_VALUE)


def _quality_summary(
    day: date, quality: pl.DataFrame, cohorts: pl.DataFrame, remeasured: int
) -> dict[str, Any]:
    return {
        "as_of_date": day,
        "patents": quality.height,
        "citations_remeasured": remeasured,
        "breakthrough": int(quality["breakthrough"].sum()),
        "mean_quality_index": mean_of(quality["quality_index"], 4),
        "cohorts": cohorts.height,
        # Year x section-class keys look like 2021-B60; anything else is a fallback.
        "cohort_fallback_share": mean_of(~quality["cohort"].str.contains(r"^\d{4}-[A-Z]\d\d$"), 3),
        "forward_citations_5y": int(quality["forward_citations_5y"].sum()),
    }


def _indicator_summary(day: date, stored: pl.DataFrame, profile: pl.DataFrame) -> dict[str, Any]:
    raw = stored.select(pl.col(f"^.*{PIVOT_SEPARATOR}raw_value$"))
    rows = raw.height * raw.width
    return {
        "as_of_date": day,
        "enterprises": profile.height,
        "active": int(profile["active"].sum()),
        "indicator_rows": rows,
        "missing_share": round(sum(raw.null_count().row(0)) / max(rows, 1), 3),
    }


@as_of_multi_asset(
    "patent_quality_and_indicators",
    [
        as_of_spec(
            tables.PATENT_QUALITY,
            GROUP,
            "OECD patent quality indicators per patent visible on D (scope, claims, family, "
            "grant lag, citations, generality, originality, radicalness, quality index, "
            "breakthrough); also writes scoring/patent_cohort (each cohort's size and "
            "normalization caps).",
            deps=[tables.PATENT, tables.APPLICANT_LINKS],
        ),
        as_of_spec(
            tables.INDICATOR_VALUE,
            GROUP,
            "Enterprise indicators (raw value, peer-group percentile score) as of D; also "
            "writes scoring/enterprise_profile (life stage and the facts pool and credit "
            "rules need).",
            deps=[
                tables.PATENT_QUALITY,
                tables.ENTERPRISE,
                tables.PATENT,
                tables.RD_FILING,
                tables.APPLICANT_LINKS,
            ],
        ),
    ],
)
def patent_quality_and_indicators(
    context: dg.AssetExecutionContext, capscore: CapscoreResource
) -> Iterator[dg.MaterializeResult]:
    """Both tables in one step: they start from the same visible patents, resolved
    owners and citations (patent_facts.PatentView), built once per as-of date. Either
    can be materialized on its own (the indicators then read patent quality from the
    lake).

    Patent quality updates the citation measures the last run kept
    (capscore.indicators.citations): the same rows as measuring every patent again,
    which the run tag `capscore/full=true` does."""
    root, model = capscore.root, _model(context)
    wanted = context.selected_asset_keys
    write = AsOfWriter(root)
    full = full_run(context)
    # Read on the first day once its patents are released, not held beside them.
    kept = None
    quality_days, indicator_days = [], []
    days = partition_dates(context)
    for day in days:
        patents = read_input(root, tables.PATENT, day, PATENT)
        links = read_input(root, tables.APPLICANT_LINKS, day, APPLICANT_LINK)
        view = patent_view(patents, links, day, model.patents)
        del patents
        if PATENT_QUALITY_KEY in wanted:
            if day == days[0] and not full:
                kept = read_kept_citations(root, model)
            quality, cohorts, kept, remeasured = oecd.quality_of(view, model, kept)
            # Kept for the next run once the last day has them, and not held while the
            # day's rows are written or through the indicators (the citation measures of
            # every patent).
            if day == days[-1]:
                write_kept_citations(root, model, kept)
                kept = None
            write(tables.PATENT_QUALITY, quality, day)
            write(tables.PATENT_COHORT, cohorts, day)
            quality_days.append(_quality_summary(day, quality, cohorts, remeasured))
            del cohorts
        else:
            quality = read_input(root, tables.PATENT_QUALITY, day, PATENT_QUALITY)
        if INDICATOR_VALUE_KEY in wanted:
            wide, profile = enterprise_indicators.indicators_of(
                read_input(root, tables.ENTERPRISE, day, ENTERPRISE),
                view,
                links,
                read_input(root, tables.RD_FILING, day, RD_FILING),
                quality,
                day,
                model,
            )
            # The patents are not needed for the scores and writes below.
            del view, links, quality
            stored = indicator_columns(wide, profile, model)
            write(tables.INDICATOR_VALUE, stored, day)
            write(tables.ENTERPRISE_PROFILE, profile, day)
            indicator_days.append(_indicator_summary(day, stored, profile))
        else:
            del view, links, quality
    if PATENT_QUALITY_KEY in wanted:
        yield by_day_result(
            quality_days, "patents", asset_key=PATENT_QUALITY_KEY, model_version=model.version
        )
    if INDICATOR_VALUE_KEY in wanted:
        stages = profile.group_by("life_stage").len("enterprises").sort("life_stage")
        yield by_day_result(
            indicator_days,
            "indicator_rows",
            asset_key=INDICATOR_VALUE_KEY,
            model_version=model.version,
            life_stages=markdown_table(stages),
            indicators=markdown_table(indicator_summary(stored, model)),
            weights_configured_vs_data_driven=markdown_table(weight_comparison(wide, model)),
        )


@as_of_asset(
    tables.ENTERPRISE_SCORE,
    GROUP,
    "Innovation, competitiveness, evolution and influence scores, the stage-weighted "
    "composite, coverage and top reasons per enterprise, as of D; the reasons are "
    "stored as scoring/score_reasons (the warehouse view joins them in).",
    deps=[tables.INDICATOR_VALUE],
)
def enterprise_score(
    context: dg.AssetExecutionContext, capscore: CapscoreResource
) -> dg.MaterializeResult:
    root, model = capscore.root, _model(context)
    summary = []
    write = AsOfWriter(root)
    columns = score_input_columns(column_names(root, tables.INDICATOR_VALUE))
    for day in partition_dates(context):
        values = read_as_of(root, tables.INDICATOR_VALUE, day, columns)
        require_model_version(values, model)
        profile = read_as_of(root, tables.ENTERPRISE_PROFILE, day)
        scores = enterprise_scores(values, profile, model)
        write(tables.ENTERPRISE_SCORE, scores.drop("top_reasons"), day)
        write(tables.SCORE_REASONS, scores.select("credit_code", "top_reasons"), day)
        summary.append(
            {
                "as_of_date": day,
                "enterprises": scores.height,
                "mean_composite": mean_of(scores["composite"], 2),
                "mean_coverage": mean_of(scores["coverage"], 3),
            }
        )
    return by_day_result(
        summary,
        "enterprises",
        model_version=model.version,
        by_life_stage=markdown_table(stage_counts(scores, model)),
        score_distribution_by_stage_and_dimension=markdown_table(score_distribution(scores, model)),
    )


score_assets = [patent_quality_and_indicators, enterprise_score]
