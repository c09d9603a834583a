"""Grade cut-offs fitted once per model version (pool_v2.yaml `grades`).

Scorecards fix their grade boundaries when a model version is approved and
keep them until the next version, so that a grade means the same on every
day: the cut-offs are the composite quantiles that split the pool's members
of each life stage into the target shares (default A 10% / B 30% / C 40% /
D 20%), measured once on a reference data set and stored in the YAML.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

# Fewer members than this in a stage: that stage takes the ladder of all stages together.
MIN_MEMBERS = 30
DIGITS = 2


def fit_ladder(
    composites: pl.Series, grades: Sequence[str], targets: Mapping[str, float]
) -> list[float]:
    """Cut-offs (best grade first, the last grade's is 0) putting `targets` shares of
    `composites` in each grade: the best grade starts at the (1 - t_best) quantile."""
    cuts: list[float] = []
    above = 0.0
    for grade in grades[:-1]:
        above += targets[grade]
        value = composites.quantile(1.0 - above, "linear")
        cuts.append(round(float(value if value is not None else 0.0), DIGITS))
    # Strictly decreasing: a tie in the data must not leave a grade without a range.
    for i in range(1, len(cuts)):
        cuts[i] = min(cuts[i], cuts[i - 1] - 10**-DIGITS)
    return [*cuts, 0.0]


def fit_stage_ladders(
    pool: pl.DataFrame,
    stages: Sequence[str],
    grades: Sequence[str],
    targets: Mapping[str, float],
) -> dict[str, dict[str, object]]:
    """Per stage: the ladder fitted on that stage's members (in_pool) and their count.

    `pool` has in_pool, life_stage and composite (pool/cultivation_pool as of the
    reference date)."""
    members = pool.filter(pl.col("in_pool") & pl.col("composite").is_not_null())
    everyone = fit_ladder(members["composite"], grades, targets)
    fitted: dict[str, dict[str, object]] = {}
    for stage in stages:
        own = members.filter(pl.col("life_stage") == stage)["composite"]
        ladder = fit_ladder(own, grades, targets) if own.len() >= MIN_MEMBERS else everyone
        fitted[stage] = {
            "members": own.len(),
            "ladder": dict(zip(grades, ladder, strict=True)),
            "pooled": own.len() < MIN_MEMBERS,
        }
    return fitted


def grade_shares(pool: pl.DataFrame) -> pl.DataFrame:
    """Share of each stage's pool members per grade (what the targets are checked against)."""
    members = pool.filter("in_pool")
    return (
        members.group_by("life_stage", "grade")
        .len()
        .with_columns((pl.col("len") / pl.col("len").sum().over("life_stage")).alias("share"))
        .sort("life_stage", "grade")
    )
