"""The cultivation pool as of D: eligibility, life stage, grade with hysteresis, tier."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date

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
    "cutoff_grade",
    "previous_grade",
    "grade_basis",
    "model_version",
    "score_model_version",
]
# Why a grade is what it is: the previous as-of date's grade held within the
# hysteresis band, or the plain cut-off grade because there was nothing to hold.
BASIS_HYSTERESIS = "hysteresis"
BASIS_NO_PREVIOUS_PARTITION = "cutoff_no_previous_partition"
BASIS_NO_PREVIOUS_GRADE = "cutoff_no_previous_grade"
BASIS_NOT_SCORED = "not_scored"


def with_composite(pool: pl.DataFrame, score: pl.DataFrame) -> pl.DataFrame:
    """`pool` rows with the composite their grade was taken from. The pool does not copy
    it (scoring/enterprise_score holds it): most composites move a little every day, so a
    copy would make every pool row change daily, where grades and tiers rarely do."""
    return pool.join(score.select("credit_code", "composite"), on="credit_code", how="left")


def cultivation_pool(
    score: pl.DataFrame,
    profile: pl.DataFrame,
    previous: pl.DataFrame | None,
    policy: PoolPolicy,
    as_of: date,
) -> pl.DataFrame:
    """pool/cultivation_pool rows for every enterprise of scoring/enterprise_profile as of D.

    `score` is scoring/enterprise_score (credit_code, composite, life_stage,
    model_version); `previous` is this table's partition of the latest as-of date
    before D that was built, or None when none was (then grades are plain cut-off
    grades, see grade_basis).
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
    # The as-of date compared with (hysteresis, transitions); None on the first.
    previous_as_of: date | None


def pool_days(
    days: Sequence[date],
    built_before: Callable[[date], date | None],
    stored_pool: Callable[[date], pl.DataFrame | None],
    scores_of: Callable[[date], tuple[pl.DataFrame, pl.DataFrame]],
    policy: PoolPolicy,
) -> Iterator[PoolDay]:
    """The pool of each day in `days` (ascending) with its transitions.

    Each day is compared with the latest earlier as-of date whose pool exists
    (grade hysteresis and transitions): drops do not land every day, and a day
    never built says nothing about the pool. That is the pool this loop just
    built, unless a later one is stored (`built_before(day)`: the latest stored
    date before the day, read with `stored_pool`). `scores_of(day)` gives
    (scoring/enterprise_score, scoring/enterprise_profile) as of the day.
    """
    previous: tuple[date, pl.DataFrame] | None = None
    for day in days:
        stored = built_before(day)
        if stored is not None and (previous is None or stored > previous[0]):
            frame = stored_pool(stored)
            previous = (stored, frame) if frame is not None else previous
        before = previous[1] if previous is not None else None
        score, profile = scores_of(day)
        pool = cultivation_pool(score, profile, before, policy, day)
        compared_with = previous[0] if previous is not None else None
        yield PoolDay(
            day, pool, tier_transitions(before, pool, score, day, compared_with), compared_with
        )
        previous = (day, pool)
