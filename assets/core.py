"""core stage: point-in-time enterprise, patent and R&D filing state as of each day."""

# No `from __future__ import annotations`: Dagster inspects the context annotation at
# definition time.

import dagster as dg
import polars as pl

from assets.common import as_of_partition, markdown_table, required_partition
from assets.partitions import daily_partitions, partition_dates, single_run_backfill
from assets.resources import CapscoreResource
from capscore.core.enterprise import enterprise_state
from capscore.core.patent import patent_state
from capscore.core.raw_schemas import RAW_PATENTS, RAW_RD_RECORDS, RAW_REGISTRY, RD_LINKS
from capscore.core.rd_filing import rd_filing_state
from capscore.storage.lake import scan_landed_by, write_table

GROUP = "core"


@dg.asset(
    key=["core", "enterprise"],
    deps=[dg.AssetKey(["raw", "registry"])],
    partitions_def=daily_partitions,
    backfill_policy=single_run_backfill,
    group_name=GROUP,
    description="Latest visible registry snapshot per enterprise (former names rebuilt from "
    "earlier snapshots) and its SCD2 history (core/enterprise_history), as of D.",
)
def core_enterprise(
    context: dg.AssetExecutionContext, capscore: CapscoreResource
) -> dg.MaterializeResult:
    root = capscore.root
    days = partition_dates(context)
    raw = scan_landed_by(root, "registry", max(days), RAW_REGISTRY).collect()
    summary = []
    for day in days:
        enterprise, history = enterprise_state(raw, day)
        write_table(enterprise, root, "core", "enterprise", as_of_partition(day))
        write_table(history, root, "core", "enterprise_history", as_of_partition(day))
        summary.append(
            {
                "as_of_date": day,
                "enterprises": enterprise.height,
                "active": enterprise.filter(
                    pl.col("status").is_in(["存续", "在业", "迁入"])
                ).height,
                "with_former_names": enterprise.filter(
                    pl.col("former_names").list.len() > 0
                ).height,
                "history_versions": history.height,
            }
        )
    table = pl.DataFrame(summary)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": int(table["enterprises"][-1]),
            "history_versions": int(table["history_versions"][-1]),
            "by_as_of_date": markdown_table(table),
        }
    )


@dg.asset(
    key=["core", "patent"],
    deps=[dg.AssetKey(["raw", "patents"])],
    partitions_def=daily_partitions,
    backfill_policy=single_run_backfill,
    group_name=GROUP,
    description="Latest visible version per patent application with forward citations, as of D.",
)
def core_patent(
    context: dg.AssetExecutionContext, capscore: CapscoreResource
) -> dg.MaterializeResult:
    root = capscore.root
    days = partition_dates(context)
    raw = scan_landed_by(root, "patents", max(days), RAW_PATENTS).collect()
    summary = []
    for day in days:
        patent = patent_state(raw, day)
        write_table(patent, root, "core", "patent", as_of_partition(day))
        summary.append(
            {
                "as_of_date": day,
                "patents": patent.height,
                "granted": patent.filter(pl.col("legal_status") == "granted").height,
                "forward_citations": int(patent["forward_citations"].sum()),
            }
        )
    table = pl.DataFrame(summary)
    by_type = (
        patent.group_by("patent_type", "legal_status").len().sort("patent_type", "legal_status")
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": int(table["patents"][-1]),
            "by_as_of_date": markdown_table(table),
            "by_type_and_status": markdown_table(by_type),
        }
    )


@dg.asset(
    key=["core", "rd_filing"],
    deps=[dg.AssetKey(["raw", "rd_records"]), dg.AssetKey(["er", "rd_links"])],
    partitions_def=daily_partitions,
    backfill_policy=single_run_backfill,
    group_name=GROUP,
    description="R&D filings resolved to enterprises (matched links only), latest refiling per "
    "enterprise and fiscal year, as of D.",
)
def core_rd_filing(
    context: dg.AssetExecutionContext, capscore: CapscoreResource
) -> dg.MaterializeResult:
    root = capscore.root
    days = partition_dates(context)
    raw = scan_landed_by(root, "rd_records", max(days), RAW_RD_RECORDS).collect()
    summary = []
    for day in days:
        links = required_partition(root, "er", "rd_links", day)
        filing = rd_filing_state(raw, links.select(list(RD_LINKS)).cast(pl.Schema(RD_LINKS)), day)
        write_table(filing, root, "core", "rd_filing", as_of_partition(day))
        summary.append(
            {
                "as_of_date": day,
                "filings": filing.height,
                "enterprises": filing["credit_code"].n_unique(),
                "visible_rows": raw.filter(
                    (pl.col("landing_date") <= day) & (pl.col("reported_date") <= day)
                ).height,
            }
        )
    table = pl.DataFrame(summary)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": int(table["filings"][-1]),
            "by_as_of_date": markdown_table(table),
        }
    )


core_assets = [core_enterprise, core_patent, core_rd_filing]
