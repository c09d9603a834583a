"""credit stage: credit limits per enterprise and product, with a manifest per partition."""

# No `from __future__ import annotations`: Dagster inspects the context annotation at
# definition time.
import dagster as dg
import polars as pl

from assets.common import AsOfWriter, as_of_asset, by_day_result, markdown_table, read_input
from assets.partitions import partition_dates
from assets.resources import CapscoreResource
from capscore.credit.ip_value import enterprise_ip_values, patent_values
from capscore.credit.limits import credit_limits
from capscore.indicators.inputs import APPLICANT_LINK, PATENT
from capscore.storage import tables
from capscore.storage.lake import export_partition, read_as_of
from capscore.storage.manifest import MANIFEST_NAME, verify_partition, write_manifest
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


@as_of_asset(
    tables.CREDIT_LIMIT,
    GROUP,
    "Credit limits (tech_credit, ip_pledge, warrant_linked) per enterprise as of D, "
    "written as Parquet for the credit system with a verified _manifest.json.",
    deps=[
        tables.CULTIVATION_POOL,
        tables.ENTERPRISE_SCORE,
        # scoring/indicator_value writes scoring/enterprise_profile (status, revenue, debt)
        tables.INDICATOR_VALUE,
        tables.PATENT_QUALITY,
        tables.PATENT,
        tables.APPLICANT_LINKS,
    ],
)
def credit_limit(
    context: dg.AssetExecutionContext, capscore: CapscoreResource
) -> dg.MaterializeResult:
    root = capscore.root
    policy = load_credit_policy()
    summary = []
    write = AsOfWriter(root)
    for day in partition_dates(context):
        values = patent_values(
            read_input(root, tables.PATENT, day, PATENT),
            read_input(root, tables.APPLICANT_LINKS, day, APPLICANT_LINK),
            read_as_of(root, tables.PATENT_QUALITY, day, ["application_number", "quality_index"]),
            policy,
            day,
        )
        limits = credit_limits(
            read_as_of(root, tables.CULTIVATION_POOL, day),
            read_as_of(root, tables.ENTERPRISE_SCORE, day),
            read_as_of(root, tables.ENTERPRISE_PROFILE, day),
            enterprise_ip_values(values),
            policy,
            day,
        )
        write(tables.CREDIT_LIMIT, limits, day)
        path = export_partition(root, tables.CREDIT_LIMIT, tables.CREDIT_EXPORT, day)
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
    binding = (
        limits.group_by("product", "binding_constraint")
        .len()
        .sort("product", "len", descending=[False, True])
    )
    return by_day_result(
        summary,
        "rows",
        policy_version=policy.version,
        enterprises_with_limit=summary[-1]["with_limit"],
        total_limit_wan=float(limits["limit_wan"].sum()),
        totals_by_product=markdown_table(totals_by_product(limits)),
        binding_constraints=markdown_table(binding),
        manifest=dg.MetadataValue.path(str(path.parent / MANIFEST_NAME)),
    )


credit_assets = [credit_limit]
