"""pool stage: the cultivation pool and its tier transitions, as of each day."""

# No `from __future__ import annotations`: Dagster inspects the context annotation at
# definition time.
from datetime import date

import dagster as dg
import polars as pl

from assets.common import AsOfWriter, as_of_asset, asset_key, by_day_result, markdown_table
from assets.partitions import partition_dates
from assets.resources import CapscoreResource
from capscore.pool.cultivation import pool_days
from capscore.pool.transitions import CHANGES
from capscore.storage import tables
from capscore.storage.lake import partitions, read_as_of, read_partition
from scoring_models.policy_config import GRADES, STAGES, load_pool_policy

GROUP = "pool"
POOL_KEY = asset_key(tables.CULTIVATION_POOL)


def tier_distribution(pool: pl.DataFrame) -> pl.DataFrame:
    """Members per life stage (rows) and grade (columns), every stage and grade shown."""
    cells = pl.DataFrame({"life_stage": list(STAGES)}).join(
        pl.DataFrame({"grade": list(GRADES)}), how="cross"
    )
    counts = pool.filter("in_pool").group_by("life_stage", "grade").len()
    return (
        cells.join(counts, on=["life_stage", "grade"], how="left")
        .with_columns(pl.col("len").fill_null(0))
        .pivot(on="grade", index="life_stage", values="len", maintain_order=True)
    )


@as_of_asset(
    tables.CULTIVATION_POOL,
    GROUP,
    "Cultivation pool (eligibility, life stage, grade with hysteresis against the "
    "previous built as-of date, tier) and pool/tier_transitions against it, as of D.",
    deps=[
        # scoring/indicator_value writes scoring/enterprise_profile (eligibility facts)
        tables.ENTERPRISE_SCORE,
        tables.INDICATOR_VALUE,
        # Grade hysteresis reads the previous as-of date's grades (D-1 when built).
        dg.AssetDep(
            POOL_KEY,
            partition_mapping=dg.TimeWindowPartitionMapping(start_offset=-1, end_offset=-1),
        ),
    ],
)
def cultivation_pool(
    context: dg.AssetExecutionContext, capscore: CapscoreResource
) -> dg.MaterializeResult:
    root = capscore.root
    policy = load_pool_policy()

    def stored_pool(day: date) -> pl.DataFrame | None:
        return read_partition(root, tables.CULTIVATION_POOL, day)

    stored_days = [date.fromisoformat(d) for d in partitions(root, tables.CULTIVATION_POOL)]

    def built_before(day: date) -> date | None:
        return max((d for d in stored_days if d < day), default=None)

    def scores_of(day: date) -> tuple[pl.DataFrame, pl.DataFrame]:
        return (
            read_as_of(root, tables.ENTERPRISE_SCORE, day),
            read_as_of(root, tables.ENTERPRISE_PROFILE, day),
        )

    summary = []
    write = AsOfWriter(root)
    for built in pool_days(partition_dates(context), built_before, stored_pool, scores_of, policy):
        pool = built.pool
        write(tables.CULTIVATION_POOL, pool, built.as_of)
        write(tables.TIER_TRANSITIONS, built.transitions, built.as_of)
        counts = built.transitions["change"].value_counts()
        by_change = dict(zip(counts["change"].to_list(), counts["count"].to_list(), strict=True))
        summary.append(
            {
                "as_of_date": built.as_of,
                "enterprises": pool.height,
                "in_pool": pool["in_pool"].sum(),
                "compared_with": str(built.previous_as_of or "none"),
                **{change: by_change.get(change, 0) for change in CHANGES},
            }
        )
    last = summary[-1]
    exclusions = (
        pool.filter(~pl.col("in_pool"))
        .group_by("exclusion_reason")
        .len()
        .sort("len", descending=True)
    )
    reasons = (
        pool.filter("in_pool").group_by("eligibility_reason").len().sort("len", descending=True)
    )
    return by_day_result(
        summary,
        "enterprises",
        in_pool=int(last["in_pool"]),
        model_version=policy.version,
        tier_distribution=markdown_table(tier_distribution(pool)),
        transitions_by_change=markdown_table(
            pl.DataFrame({"change": list(CHANGES), "count": [last[c] for c in CHANGES]})
        ),
        eligibility_reasons=markdown_table(reasons),
        exclusion_reasons=markdown_table(exclusions),
        grade_basis=markdown_table(pool.group_by("grade_basis").len().sort("grade_basis")),
    )


pool_assets = [cultivation_pool]
