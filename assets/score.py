"""scoring stage: OECD patent quality, enterprise indicators and profile, dimension scores, as of D."""

# No `from __future__ import annotations`: Dagster inspects the context annotation at
# definition time.

from collections.abc import Mapping
from datetime import date

import dagster as dg
import polars as pl

from assets.common import as_of_partition, markdown_table, required_partition
from assets.partitions import daily_partitions, partition_dates, single_run_backfill
from assets.resources import CapscoreResource
from capscore.indicators.enterprise import enterprise_indicators
from capscore.indicators.inputs import APPLICANT_LINK, ENTERPRISE, PATENT, RD_FILING, conform
from capscore.indicators.patent_quality import patent_quality
from capscore.scoring.scores import enterprise_scores, score_indicators
from capscore.scoring.summary import indicator_summary, score_distribution, stage_counts
from capscore.scoring.weights import weight_comparison
from capscore.storage.lake import write_table
from capscore.storage.paths import DataRoot
from scoring_models.config import ScoringModel, load_scoring_model

GROUP = "scoring"
CORE_PATENT = dg.AssetKey(["core", "patent"])
CORE_ENTERPRISE = dg.AssetKey(["core", "enterprise"])
CORE_RD_FILING = dg.AssetKey(["core", "rd_filing"])
APPLICANT_LINKS = dg.AssetKey(["er", "applicant_links"])
PATENT_QUALITY = dg.AssetKey(["scoring", "patent_quality"])
INDICATOR_VALUE = dg.AssetKey(["scoring", "indicator_value"])


def required(
    root: DataRoot,
    schema: str,
    table: str,
    day: date,
    columns: Mapping[str, pl.DataType] | None = None,
) -> pl.DataFrame:
    """The table's partition for `day` (conformed to `columns`); fails if it was never written."""
    frame = required_partition(root, schema, table, day)
    return frame if columns is None else conform(frame, columns)


def mean_of(series: pl.Series, digits: int) -> float:
    value = series.cast(pl.Float64).mean()
    return round(float(value), digits) if isinstance(value, float) else 0.0


def _model(context: dg.AssetExecutionContext) -> ScoringModel:
    model = load_scoring_model()
    context.log.info(
        f"scoring model {model.version} ({model.path.name}, sha256 {model.sha256[:12]})"
    )
    return model


@dg.asset(
    key=["scoring", "patent_quality"],
    deps=[CORE_PATENT, APPLICANT_LINKS],
    partitions_def=daily_partitions,
    backfill_policy=single_run_backfill,
    group_name=GROUP,
    description="OECD patent quality indicators per patent visible on D (scope, claims, family, "
    "grant lag, citations, generality, originality, radicalness, quality index, breakthrough).",
)
def scoring_patent_quality(
    context: dg.AssetExecutionContext, capscore: CapscoreResource
) -> dg.MaterializeResult:
    root, model = capscore.root, _model(context)
    summary = []
    for day in partition_dates(context):
        quality = patent_quality(
            required(root, "core", "patent", day, PATENT),
            required(root, "er", "applicant_links", day, APPLICANT_LINK),
            day,
            model,
        )
        write_table(quality, root, "scoring", "patent_quality", as_of_partition(day))
        summary.append(
            {
                "as_of_date": day,
                "patents": quality.height,
                "breakthrough": int(quality["breakthrough"].sum()),
                "mean_quality_index": mean_of(quality["quality_index"], 4),
                "cohorts": quality["cohort"].n_unique(),
                # Year x section-class keys look like 2021-B60; anything else is a fallback.
                "cohort_fallback_share": mean_of(
                    ~quality["cohort"].str.contains(r"^\d{4}-[A-Z]\d\d$"), 3
                ),
                "forward_citations_5y": int(quality["forward_citations_5y"].sum()),
            }
        )
    table = pl.DataFrame(summary)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": int(table["patents"][-1]),
            "model_version": model.version,
            "by_as_of_date": markdown_table(table),
        }
    )


@dg.asset(
    key=["scoring", "indicator_value"],
    deps=[PATENT_QUALITY, CORE_ENTERPRISE, CORE_PATENT, CORE_RD_FILING, APPLICANT_LINKS],
    partitions_def=daily_partitions,
    backfill_policy=single_run_backfill,
    group_name=GROUP,
    description="Enterprise indicators (raw value, peer-group percentile score) as of D; also "
    "writes scoring/enterprise_profile (life stage and the facts pool and credit rules need).",
)
def scoring_indicator_value(
    context: dg.AssetExecutionContext, capscore: CapscoreResource
) -> dg.MaterializeResult:
    root, model = capscore.root, _model(context)
    summary = []
    for day in partition_dates(context):
        wide, profile = enterprise_indicators(
            required(root, "core", "enterprise", day, ENTERPRISE),
            required(root, "core", "patent", day, PATENT),
            required(root, "er", "applicant_links", day, APPLICANT_LINK),
            required(root, "core", "rd_filing", day, RD_FILING),
            required(root, "scoring", "patent_quality", day),
            day,
            model,
        )
        values = score_indicators(wide, profile, model)
        write_table(values, root, "scoring", "indicator_value", as_of_partition(day))
        write_table(profile, root, "scoring", "enterprise_profile", as_of_partition(day))
        summary.append(
            {
                "as_of_date": day,
                "enterprises": profile.height,
                "active": int(profile["active"].sum()),
                "indicator_rows": values.height,
                "missing_share": round(values["raw_value"].null_count() / max(values.height, 1), 3),
            }
        )
    table = pl.DataFrame(summary)
    stages = profile.group_by("life_stage").len("enterprises").sort("life_stage")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": int(table["indicator_rows"][-1]),
            "model_version": model.version,
            "by_as_of_date": markdown_table(table),
            "life_stages": markdown_table(stages),
            "indicators": markdown_table(indicator_summary(values, model)),
            "weights_configured_vs_data_driven": markdown_table(weight_comparison(wide, model)),
        }
    )


@dg.asset(
    key=["scoring", "enterprise_score"],
    deps=[INDICATOR_VALUE],
    partitions_def=daily_partitions,
    backfill_policy=single_run_backfill,
    group_name=GROUP,
    description="Innovation, competitiveness, evolution and influence scores, the stage-weighted "
    "composite, coverage and top reasons per enterprise, as of D.",
)
def scoring_enterprise_score(
    context: dg.AssetExecutionContext, capscore: CapscoreResource
) -> dg.MaterializeResult:
    root, model = capscore.root, _model(context)
    summary = []
    for day in partition_dates(context):
        values = required(root, "scoring", "indicator_value", day)
        profile = required(root, "scoring", "enterprise_profile", day)
        stale = set(values["model_version"].unique().to_list()) - {model.version}
        if stale:
            raise dg.Failure(
                f"scoring/indicator_value as of {day} was made by {sorted(stale)}, not "
                f"{model.version}: rematerialize it first"
            )
        scores = enterprise_scores(values, profile, model)
        write_table(scores, root, "scoring", "enterprise_score", as_of_partition(day))
        summary.append(
            {
                "as_of_date": day,
                "enterprises": scores.height,
                "mean_composite": mean_of(scores["composite"], 2),
                "mean_coverage": mean_of(scores["coverage"], 3),
            }
        )
    table = pl.DataFrame(summary)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": int(table["enterprises"][-1]),
            "model_version": model.version,
            "by_as_of_date": markdown_table(table),
            "by_life_stage": markdown_table(stage_counts(scores, model)),
            "score_distribution_by_stage_and_dimension": markdown_table(
                score_distribution(scores, model)
            ),
        }
    )


score_assets = [scoring_patent_quality, scoring_indicator_value, scoring_enterprise_score]
