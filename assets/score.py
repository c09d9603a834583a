"""scoring stage: OECD patent quality, enterprise indicators and profile, dimension scores, as of D."""

# No `from __future__ import annotations`: Dagster inspects the context annotation at
# definition time.

import dagster as dg
import polars as pl

from assets.common import AsOfWriter, as_of_asset, by_day_result, markdown_table, read_input
from assets.partitions import FULL_TAG, partition_dates
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
from capscore.scoring.scores import (
    enterprise_scores,
    indicator_columns,
    require_model_version,
)
from capscore.scoring.summary import indicator_summary, score_distribution, stage_counts
from capscore.scoring.weights import weight_comparison
from capscore.storage import tables
from capscore.storage.lake import read_as_of
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


@as_of_asset(
    tables.PATENT_QUALITY,
    GROUP,
    "OECD patent quality indicators per patent visible on D (scope, claims, family, "
    "grant lag, citations, generality, originality, radicalness, quality index, breakthrough); "
    "also writes scoring/patent_cohort (each cohort's size and normalization caps).",
    deps=[tables.PATENT, tables.APPLICANT_LINKS],
)
def patent_quality(
    context: dg.AssetExecutionContext, capscore: CapscoreResource
) -> dg.MaterializeResult:
    root, model = capscore.root, _model(context)
    summary = []
    write = AsOfWriter(root)
    full = context.run.tags.get(FULL_TAG) == "true"
    kept = None if full else read_kept_citations(root, model)
    for day in partition_dates(context):
        quality, cohorts, kept, remeasured = oecd.quality_and_cohorts(
            read_input(root, tables.PATENT, day, PATENT),
            read_input(root, tables.APPLICANT_LINKS, day, APPLICANT_LINK),
            day,
            model,
            kept,
        )
        write(tables.PATENT_QUALITY, quality, day)
        write(tables.PATENT_COHORT, cohorts, day)
        summary.append(
            {
                "as_of_date": day,
                "patents": quality.height,
                "citations_remeasured": remeasured,
                "breakthrough": int(quality["breakthrough"].sum()),
                "mean_quality_index": mean_of(quality["quality_index"], 4),
                "cohorts": cohorts.height,
                # Year x section-class keys look like 2021-B60; anything else is a fallback.
                "cohort_fallback_share": mean_of(
                    ~quality["cohort"].str.contains(r"^\d{4}-[A-Z]\d\d$"), 3
                ),
                "forward_citations_5y": int(quality["forward_citations_5y"].sum()),
            }
        )
    if kept is not None:
        write_kept_citations(root, model, kept)
    return by_day_result(summary, "patents", model_version=model.version)


@as_of_asset(
    tables.INDICATOR_VALUE,
    GROUP,
    "Enterprise indicators (raw value, peer-group percentile score) as of D; also "
    "writes scoring/enterprise_profile (life stage and the facts pool and credit rules need).",
    deps=[
        tables.PATENT_QUALITY,
        tables.ENTERPRISE,
        tables.PATENT,
        tables.RD_FILING,
        tables.APPLICANT_LINKS,
    ],
)
def indicator_value(
    context: dg.AssetExecutionContext, capscore: CapscoreResource
) -> dg.MaterializeResult:
    root, model = capscore.root, _model(context)
    summary = []
    write = AsOfWriter(root)
    for day in partition_dates(context):
        wide, profile = enterprise_indicators.enterprise_indicators(
            read_input(root, tables.ENTERPRISE, day, ENTERPRISE),
            read_input(root, tables.PATENT, day, PATENT),
            read_input(root, tables.APPLICANT_LINKS, day, APPLICANT_LINK),
            read_input(root, tables.RD_FILING, day, RD_FILING),
            read_input(root, tables.PATENT_QUALITY, day, PATENT_QUALITY),
            day,
            model,
        )
        stored = indicator_columns(wide, profile, model)
        write(tables.INDICATOR_VALUE, stored, day)
        write(tables.ENTERPRISE_PROFILE, profile, day)
        raw = stored.select(pl.col(f"^.*{PIVOT_SEPARATOR}raw_value$"))
        rows = raw.height * raw.width
        summary.append(
            {
                "as_of_date": day,
                "enterprises": profile.height,
                "active": int(profile["active"].sum()),
                "indicator_rows": rows,
                "missing_share": round(sum(raw.null_count().row(0)) / max(rows, 1), 3),
            }
        )
    stages = profile.group_by("life_stage").len("enterprises").sort("life_stage")
    return by_day_result(
        summary,
        "indicator_rows",
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
    for day in partition_dates(context):
        values = read_as_of(root, tables.INDICATOR_VALUE, day)
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


score_assets = [patent_quality, indicator_value, enterprise_score]
