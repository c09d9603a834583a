"""pool stage: the cultivation pool and its tier transitions, as of each day."""

# No `from __future__ import annotations`: Dagster inspects the context annotation at
# definition time.
from datetime import timedelta

import dagster as dg
import polars as pl

from assets.common import as_of_partition, markdown_table, required_partition
from assets.partitions import daily_partitions, partition_dates, single_run_backfill
from assets.resources import CapscoreResource
from capscore.pool.cultivation import cultivation_pool
from capscore.pool.transitions import CHANGES, tier_transitions
from capscore.storage.lake import read_partition, write_table
from scoring_models.policy_config import GRADES, STAGES, load_pool_policy

GROUP = "pool"
POOL_KEY = dg.AssetKey(["pool", "cultivation_pool"])


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


@dg.asset(
    key=POOL_KEY,
    deps=[
        dg.AssetKey(["scoring", "enterprise_score"]),
        # writes scoring/enterprise_profile (eligibility facts)
        dg.AssetKey(["scoring", "indicator_value"]),
        # Grade hysteresis reads yesterday's grades.
        dg.AssetDep(
            POOL_KEY,
            partition_mapping=dg.TimeWindowPartitionMapping(start_offset=-1, end_offset=-1),
        ),
    ],
    partitions_def=daily_partitions,
    backfill_policy=single_run_backfill,
    group_name=GROUP,
    description="Cultivation pool (eligibility, life stage, grade with hysteresis against D-1, "
    "tier) and pool/tier_transitions against D-1, as of D.",
)
def pool_cultivation_pool(
    context: dg.AssetExecutionContext, capscore: CapscoreResource
) -> dg.MaterializeResult:
    root = capscore.root
    policy = load_pool_policy()
    days = partition_dates(context)
    previous = read_partition(
        root, "pool", "cultivation_pool", as_of_partition(days[0] - timedelta(days=1))
    )
    summary = []
    for index, day in enumerate(days):
        if index > 0 and days[index - 1] != day - timedelta(days=1):
            previous = read_partition(
                root, "pool", "cultivation_pool", as_of_partition(day - timedelta(days=1))
            )
        score = required_partition(root, "scoring", "enterprise_score", day)
        profile = required_partition(root, "scoring", "enterprise_profile", day)
        pool = cultivation_pool(score, profile, previous, policy, day)
        transitions = tier_transitions(previous, pool, policy, day)
        write_table(pool, root, "pool", "cultivation_pool", as_of_partition(day))
        write_table(transitions, root, "pool", "tier_transitions", as_of_partition(day))
        counts = transitions["change"].value_counts()
        by_change = dict(zip(counts["change"].to_list(), counts["count"].to_list(), strict=True))
        summary.append(
            {
                "as_of_date": day,
                "enterprises": pool.height,
                "in_pool": pool["in_pool"].sum(),
                "previous_day_built": previous is not None,
                **{change: by_change.get(change, 0) for change in CHANGES},
            }
        )
        previous = pool
    table = pl.DataFrame(summary)
    last = table.row(-1, named=True)
    exclusions = (
        pool.filter(~pl.col("in_pool"))
        .group_by("exclusion_reason")
        .len()
        .sort("len", descending=True)
    )
    reasons = (
        pool.filter("in_pool").group_by("eligibility_reason").len().sort("len", descending=True)
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": int(last["enterprises"]),
            "in_pool": int(last["in_pool"]),
            "model_version": policy.version,
            "tier_distribution": markdown_table(tier_distribution(pool)),
            "transitions_by_change": markdown_table(
                pl.DataFrame({"change": list(CHANGES), "count": [last[c] for c in CHANGES]})
            ),
            "eligibility_reasons": markdown_table(reasons),
            "exclusion_reasons": markdown_table(exclusions),
            "grade_basis": markdown_table(pool.group_by("grade_basis").len().sort("grade_basis")),
            "by_as_of_date": markdown_table(table),
        }
    )


pool_assets = [pool_cultivation_pool]
