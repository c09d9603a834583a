"""credit stage: credit limits per enterprise and product, with a manifest per partition."""

# No `from __future__ import annotations`: Dagster inspects the context annotation at
# definition time.
import dagster as dg
import polars as pl

from assets.common import as_of_partition, markdown_table, required_partition
from assets.partitions import daily_partitions, partition_dates, single_run_backfill
from assets.resources import CapscoreResource
from capscore.credit.ip_value import enterprise_ip_values, patent_values
from capscore.credit.limits import credit_limits
from capscore.credit.manifest import MANIFEST_NAME, verify_partition, write_manifest
from capscore.storage.lake import write_table
from scoring_models.policy_config import PRODUCTS, load_credit_policy

GROUP = "credit"


def totals_by_product(limits: pl.DataFrame) -> pl.DataFrame:
    return pl.DataFrame({"product": list(PRODUCTS)}).join(
        limits.group_by("product").agg(
            (pl.col("limit_wan") > 0).sum().alias("with_limit"),
            pl.col("limit_wan").sum().alias("total_wan"),
            pl.col("limit_wan").filter(pl.col("limit_wan") > 0).mean().round(1).alias("mean_wan"),
            pl.col("limit_wan").max().alias("max_wan"),
        ),
        on="product",
        how="left",
    )


@dg.asset(
    key=["credit", "credit_limit"],
    deps=[
        dg.AssetKey(["pool", "cultivation_pool"]),
        dg.AssetKey(["scoring", "enterprise_score"]),
        # writes scoring/enterprise_profile (status, revenue, debt ratio)
        dg.AssetKey(["scoring", "indicator_value"]),
        dg.AssetKey(["scoring", "patent_quality"]),
        dg.AssetKey(["core", "patent"]),
        dg.AssetKey(["er", "applicant_links"]),
    ],
    partitions_def=daily_partitions,
    backfill_policy=single_run_backfill,
    group_name=GROUP,
    description="Credit limits (tech_credit, ip_pledge, warrant_linked) per enterprise as of D, "
    "written as Parquet for the credit system with a verified _manifest.json.",
)
def credit_credit_limit(
    context: dg.AssetExecutionContext, capscore: CapscoreResource
) -> dg.MaterializeResult:
    root = capscore.root
    policy = load_credit_policy()
    summary = []
    for day in partition_dates(context):
        values = patent_values(
            required_partition(root, "core", "patent", day),
            required_partition(root, "er", "applicant_links", day),
            required_partition(root, "scoring", "patent_quality", day),
            policy,
            day,
        )
        limits = credit_limits(
            required_partition(root, "pool", "cultivation_pool", day),
            required_partition(root, "scoring", "enterprise_score", day),
            required_partition(root, "scoring", "enterprise_profile", day),
            enterprise_ip_values(values),
            policy,
            day,
        )
        path = write_table(limits, root, "credit", "credit_limit", as_of_partition(day))
        write_manifest(path, policy.version, day)
        verify_partition(path.parent)
        summary.append(
            {
                "as_of_date": day,
                "rows": limits.height,
                "with_limit": limits.filter(pl.col("limit_wan") > 0)["credit_code"].n_unique(),
                "total_wan": limits["limit_wan"].sum(),
            }
        )
    table = pl.DataFrame(summary)
    binding = (
        limits.group_by("product", "binding_constraint")
        .len()
        .sort("product", "len", descending=[False, True])
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": int(table["rows"][-1]),
            "policy_version": policy.version,
            "enterprises_with_limit": int(table["with_limit"][-1]),
            "total_limit_wan": float(table["total_wan"][-1]),
            "totals_by_product": markdown_table(totals_by_product(limits)),
            "binding_constraints": markdown_table(binding),
            "manifest": dg.MetadataValue.path(str(path.parent / MANIFEST_NAME)),
            "by_as_of_date": markdown_table(table),
        }
    )


credit_assets = [credit_credit_limit]
