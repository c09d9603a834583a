"""The cultivation pool as of D: eligibility, life stage, grade with hysteresis, tier."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from capscore.pool.eligibility import active_expr, eligibility_reason_expr
from capscore.pool.grading import cutoff_rank, grade_rank, hysteresis_rank, rank_grade
from capscore.pool.transitions import tier_transitions
from scoring_models.policy_config import PoolPolicy

POOL_COLUMNS = [
    "credit_code",
    "as_of_date",
    "in_pool",
    "eligibility_reason",
    "exclusion_reason",
    "life_stage",
    "grade",
    "tier",
    "composite",
    "cutoff_grade",
    "previous_grade",
    "grade_basis",
    "model_version",
    "score_model_version",
]
# Why a grade is what it is: yesterday's grade held within the hysteresis band,
# or the plain cut-off grade because there was nothing to hold.
BASIS_HYSTERESIS = "hysteresis"
BASIS_NO_PREVIOUS_PARTITION = "cutoff_no_previous_partition"
BASIS_NO_PREVIOUS_GRADE = "cutoff_no_previous_grade"
BASIS_NOT_SCORED = "not_scored"


def cultivation_pool(
    score: pl.DataFrame,
    profile: pl.DataFrame,
    previous: pl.DataFrame | None,
    policy: PoolPolicy,
    as_of: date,
) -> pl.DataFrame:
    """pool/cultivation_pool rows for every enterprise of scoring/enterprise_profile as of D.

    `score` is scoring/enterprise_score (credit_code, composite, life_stage,
    model_version); `previous` is this table's partition for D-1, or None when
    it was never built (then grades are plain cut-off grades, see grade_basis).
    """
    scores = score.select(
        "credit_code",
        "composite",
        pl.col("life_stage").alias("_score_stage"),
        pl.col("model_version").alias("score_model_version"),
    )
    if previous is None:
        yesterday = pl.DataFrame(schema={"credit_code": pl.String, "previous_grade": pl.String})
    else:
        yesterday = previous.select("credit_code", pl.col("grade").alias("previous_grade"))
    frame = (
        profile.drop("composite", "score_model_version", strict=False)
        .join(scores, on="credit_code", how="left")
        .join(yesterday, on="credit_code", how="left")
        .with_columns(
            # The score's stage is the one its composite was weighted for.
            pl.coalesce("_score_stage", pl.col("life_stage")).alias("life_stage"),
            active_expr(policy.active_statuses).alias("_active"),
            eligibility_reason_expr(policy).alias("_rule"),
        )
    )
    scored = pl.col("composite").is_not_null() & pl.col("life_stage").is_not_null()
    in_pool = pl.col("_active") & pl.col("_rule").is_not_null() & scored
    composite = pl.col("composite")
    rank = hysteresis_rank(composite, grade_rank(pl.col("previous_grade"), policy), policy)
    if previous is None:
        no_previous = pl.lit(BASIS_NO_PREVIOUS_PARTITION)
    else:
        no_previous = pl.lit(BASIS_NO_PREVIOUS_GRADE)
    return (
        frame.with_columns(
            in_pool.alias("in_pool"),
            pl.when(in_pool).then(pl.col("_rule")).alias("eligibility_reason"),
            pl.when(~pl.col("_active"))
            .then(pl.lit("inactive"))
            .when(pl.col("_rule").is_null())
            .then(pl.lit("no_rule_held"))
            .when(~scored)
            .then(pl.lit("not_scored"))
            .alias("exclusion_reason"),
            rank_grade(rank, policy).alias("grade"),
            rank_grade(cutoff_rank(composite, policy), policy).alias("cutoff_grade"),
            pl.when(composite.is_null())
            .then(pl.lit(BASIS_NOT_SCORED))
            .when(pl.col("previous_grade").is_not_null())
            .then(pl.lit(BASIS_HYSTERESIS))
            .otherwise(no_previous)
            .alias("grade_basis"),
            pl.lit(as_of).alias("as_of_date"),
            pl.lit(policy.version).alias("model_version"),
        )
        .with_columns(
            pl.when("in_pool")
            .then(pl.format("{}-{}", pl.col("life_stage"), pl.col("grade")))
            .alias("tier")
        )
        .select(POOL_COLUMNS)
        .sort("credit_code")
    )


@dataclass(frozen=True)
class PoolDay:
    as_of: date
    pool: pl.DataFrame
    transitions: pl.DataFrame
    previous_built: bool


def pool_days(
    days: Sequence[date],
    stored_pool: Callable[[date], pl.DataFrame | None],
    scores_of: Callable[[date], tuple[pl.DataFrame, pl.DataFrame]],
    policy: PoolPolicy,
) -> Iterator[PoolDay]:
    """The pool of each day in `days` (ascending) with its transitions against D-1.

    Grade hysteresis compares with D-1's grades: the pool this loop just built
    when D-1 is in the run (a backfill walks its days in order), otherwise D-1
    as stored (`stored_pool`, None when never built). `scores_of(day)` gives
    (scoring/enterprise_score, scoring/enterprise_profile) as of the day.
    """
    built_day: date | None = None
    previous: pl.DataFrame | None = None
    for day in days:
        yesterday = day - timedelta(days=1)
        if built_day != yesterday:
            previous = stored_pool(yesterday)
        score, profile = scores_of(day)
        pool = cultivation_pool(score, profile, previous, policy, day)
        yield PoolDay(day, pool, tier_transitions(previous, pool, day), previous is not None)
        built_day, previous = day, pool
