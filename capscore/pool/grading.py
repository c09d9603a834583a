"""Grades from composites: plain cut-offs and the hysteresis band around them.

Each life stage has its ladder of cut-offs (v1: one ladder for all; v2:
fitted per stage to the grade share targets). Grades are handled as ranks (D=0 … A=3 with the v1 grades) so that "better" is
a comparison and hysteresis is a clamp: with yesterday's rank p, today's rank is
p clamped into [rank at cut-offs + margin, rank at cut-offs − margin]. Both
bounds rise with the composite, so for a fixed yesterday the grade never falls
when the composite rises.
"""

from __future__ import annotations

import polars as pl

from scoring_models.policy_config import PoolPolicy


def grade_rank(grade: pl.Expr, policy: PoolPolicy) -> pl.Expr:
    """Rank of a grade letter (higher is better); null stays null."""
    ranks = {g: len(policy.grade_cutoffs) - 1 - i for i, (g, _) in enumerate(policy.grade_cutoffs)}
    return grade.replace_strict(ranks, default=None, return_dtype=pl.Int8)


def rank_grade(rank: pl.Expr, policy: PoolPolicy) -> pl.Expr:
    letters = {
        len(policy.grade_cutoffs) - 1 - i: g for i, (g, _) in enumerate(policy.grade_cutoffs)
    }
    return rank.replace_strict(letters, default=None, return_dtype=pl.String)


def cutoff_rank(
    composite: pl.Expr,
    policy: PoolPolicy,
    shift: float = 0.0,
    stage: pl.Expr | None = None,
) -> pl.Expr:
    """Number of cut-offs of the stage's ladder (each raised by `shift`) the composite
    reaches; the floor grade has none. A stage without a ladder takes the default one."""
    stage = pl.col("life_stage") if stage is None else stage
    one_ladder = all(ladder == policy.grade_cutoffs for ladder in policy.stage_cutoffs.values())
    reached = []
    for i, (_, default) in enumerate(policy.grade_cutoffs[:-1]):
        minimum = (
            pl.lit(default)
            if one_ladder
            else stage.replace_strict(
                {s: ladder[i][1] for s, ladder in policy.stage_cutoffs.items()},
                default=default,
                return_dtype=pl.Float64,
            )
        )
        reached.append((composite >= minimum + shift).cast(pl.Int8))
    return pl.when(composite.is_not_null()).then(pl.sum_horizontal(reached).cast(pl.Int8))


def hysteresis_rank(composite: pl.Expr, previous_rank: pl.Expr, policy: PoolPolicy) -> pl.Expr:
    """Yesterday's rank kept unless the composite left its band by more than the margin."""
    margin = policy.hysteresis_margin
    lowest = cutoff_rank(composite, policy, +margin)
    highest = cutoff_rank(composite, policy, -margin)
    return (
        pl.when(composite.is_null())
        .then(None)
        .when(previous_rank.is_null())
        .then(cutoff_rank(composite, policy))
        .otherwise(pl.min_horizontal(pl.max_horizontal(previous_rank, lowest), highest))
    )
