"""scoring/validation: the scoring model validated as of each day (capscore.validation).

Reads the stages' outputs of D, of the previous built date and of the dates a
year and two years back (whatever was built), and the generator's truth when
the data root has one. A run-status warning (asset check) fires when the score
distribution moved by a PSI above 0.25.
"""

# No `from __future__ import annotations`: Dagster inspects the context annotation at
# definition time.
from datetime import date

import dagster as dg
import polars as pl

from assets.common import AsOfWriter, as_of_asset, asset_key, by_day_result, markdown_table
from assets.partitions import partition_dates
from assets.resources import CapscoreResource
from capscore.scoring.scores import field_columns, raw_value_columns
from capscore.storage import tables
from capscore.storage.lake import column_names, partitions, read_as_of
from capscore.storage.paths import DataRoot
from capscore.validation.outcomes import State
from capscore.validation.report import (
    HORIZON_DAYS,
    POOL_COLUMNS,
    PROFILE_COLUMNS,
    Scored,
    Validation,
    reference_date,
    score_columns,
    summary_lines,
    validate,
)
from capscore.validation.stability import ACT_PSI
from scoring_models.config import SCORING_V2, ScoringModel, load_scoring_model
from scoring_models.policy_config import GRADES, PoolPolicy, load_pool_policy

GROUP = "validation"
CAPABILITY_FILE = "enterprise_capability.parquet"
STABILITY_CHECK = "score_stability"
# The baselines need these raw values on the backtest dates (the truth needs them all).
BASELINE_INDICATORS = ("rd_intensity", "rd_staff_share", "ip_class_points")


def wide_values(root: DataRoot, day: date, names: tuple[str, ...] | None = None) -> pl.DataFrame:
    """credit_code + one raw-value column per indicator (only `names`, if given)."""
    # Only the raw values (21 of 173 columns; at 1M 0.4-0.85 -> 0.25-0.4 s a date).
    columns = field_columns(column_names(root, tables.INDICATOR_VALUE), ("raw_value",), names)
    return raw_value_columns(read_as_of(root, tables.INDICATOR_VALUE, day, columns), names)


def scored_on(
    root: DataRoot, day: date, names: tuple[str, ...] | None, model: ScoringModel
) -> Scored:
    return Scored(
        as_of=day,
        score=read_as_of(root, tables.ENTERPRISE_SCORE, day, score_columns(model)),
        pool=read_as_of(root, tables.CULTIVATION_POOL, day, POOL_COLUMNS),
        profile=read_as_of(root, tables.ENTERPRISE_PROFILE, day, PROFILE_COLUMNS),
        wide=wide_values(root, day, names),
        state=State(
            day,
            read_as_of(
                root,
                tables.ENTERPRISE,
                day,
                ["credit_code", "status", "hnte_valid_until", "srdi_level", "established_date"],
            ),
            read_as_of(root, tables.RD_FILING, day, ["credit_code", "fiscal_year", "revenue"]),
        ),
    )


def read_capability(root: DataRoot) -> pl.DataFrame | None:
    path = root.truth / CAPABILITY_FILE
    return pl.read_parquet(path, columns=["credit_code", "capability"]) if path.exists() else None


def validation_as_of(
    root: DataRoot, day: date, model: ScoringModel, policy: PoolPolicy
) -> Validation:
    """The validation of D from what the lake holds for D and the dates it compares with."""
    built = [
        date.fromisoformat(d)
        for d in partitions(root, tables.CULTIVATION_POOL)
        if d <= day.isoformat()
    ]
    capability = read_capability(root)
    earlier_built = [d for d in built if d < day]
    previous = max(earlier_built) if earlier_built else None
    reference = reference_date(built, day)
    before_reference = reference_date(built, reference, HORIZON_DAYS) if reference else None
    baseline = BASELINE_INDICATORS

    def at(when: date | None) -> Scored | None:
        return None if when is None else scored_on(root, when, baseline, model)

    return validate(
        now=scored_on(root, day, None if capability is not None else baseline, model),
        model=model,
        table_model=load_scoring_model(SCORING_V2),
        grades=GRADES,
        active_statuses=policy.active_statuses,
        previous=at(previous),
        reference=at(reference),
        earlier=at(before_reference),
        capability=capability,
        reference_shares=policy.reference_shares,
        fitted_on=policy.fitted_on,
    )


@as_of_asset(
    tables.VALIDATION,
    GROUP,
    "The scoring model validated as of D: out-of-time backtest (scores a year back against "
    "certifications, revenue growth and deregistrations since, AUC / Gini / KS beside simple "
    "baselines and a monotone challenger), outcome rate by grade, stability (PSI, grade "
    "migration) and, on generated data, agreement with the true capability.",
    deps=[tables.ENTERPRISE_SCORE, tables.CULTIVATION_POOL, tables.RD_FILING],
    check_specs=[
        dg.AssetCheckSpec(
            STABILITY_CHECK,
            asset=asset_key(tables.VALIDATION),
            description=f"The composite and dimension distributions moved by a PSI of at most "
            f"{ACT_PSI} against the previous date and the model's reference; a warning.",
        )
    ],
)
def validation(
    context: dg.AssetExecutionContext, capscore: CapscoreResource
) -> dg.MaterializeResult:
    root = capscore.root
    model, policy = load_scoring_model(), load_pool_policy()
    summary = []
    write = AsOfWriter(root)
    result: Validation | None = None
    for day in partition_dates(context):
        result = validation_as_of(root, day, model, policy)
        metrics = result.metrics()
        write(tables.VALIDATION, metrics, day)
        summary.append(
            {
                "as_of_date": day,
                "figures": metrics.height,
                "reference_date": result.reference_date,
                "stability": result.psi_status,
            }
        )
    assert result is not None
    # None: no PSI was read (no earlier date, or too few firms to tell a shift from chance).
    largest = None if result.psi is None else result.psi["psi"].max()
    worst = float(largest) if isinstance(largest, float) else 0.0
    return by_day_result(
        summary,
        "figures",
        headline=dg.MetadataValue.md("\n".join(f"    {line}" for line in summary_lines(result))),
        discrimination=markdown_table(_or_empty(result.discrimination)),
        outcome_rate_by_grade=markdown_table(_or_empty(result.grade_rates)),
        truth=markdown_table(_or_empty(result.truth)),
        stability=markdown_table(_or_empty(result.psi)),
        grade_migration=markdown_table(_or_empty(result.migration)),
        weights_expert_vs_challenger=markdown_table(_or_empty(result.challenger_weights)),
        check_results=[
            dg.AssetCheckResult(
                check_name=STABILITY_CHECK,
                passed=result.psi_status != "act",
                severity=dg.AssetCheckSeverity.WARN,
                metadata={"max_psi": worst, "status": result.psi_status},
            )
        ],
    )


def _or_empty(frame: pl.DataFrame | None) -> pl.DataFrame:
    return pl.DataFrame() if frame is None else frame


validation_assets = [validation]
