"""Publish the analysts' warehouse after every run (views over the lake)."""

from __future__ import annotations

import dagster as dg

from assets.partitions import daily_partitions, single_run_backfill
from assets.resources import CapscoreResource
from capscore.warehouse.publish import publish_warehouse

UPSTREAM = [
    dg.AssetKey(key)
    for key in (
        ["raw", "registry"],
        ["raw", "patents"],
        ["raw", "rd_records"],
        ["core", "enterprise"],
        ["core", "patent"],
        ["core", "rd_filing"],
        ["er", "applicant_links"],
        ["er", "rd_links"],
        ["er", "review_queue"],
        ["scoring", "patent_quality"],
        ["scoring", "indicator_value"],
        ["scoring", "enterprise_score"],
        ["pool", "cultivation_pool"],
        ["credit", "credit_limit"],
    )
]


@dg.asset(
    key=["warehouse", "duckdb"],
    group_name="warehouse",
    partitions_def=daily_partitions,
    backfill_policy=single_run_backfill,
    deps=UPSTREAM,
    description="Builds warehouse.duckdb anew (views over the lake + sql/ library) and swaps it "
    "into place atomically, so open analyst sessions are never disturbed.",
)
def warehouse_duckdb(capscore: CapscoreResource) -> dg.MaterializeResult:
    summary = publish_warehouse(capscore.root)
    if summary.failed and not summary.missing:
        # Every lake table exists, so a view that does not build is a bug in sql/.
        raise dg.Failure(
            "warehouse views failed: " + "; ".join(f"{k}: {v}" for k, v in summary.failed.items())
        )
    missing = ", ".join(summary.missing) or "none"
    failed = "\n".join(f"| {k} | {v} |" for k, v in summary.failed.items())
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(summary.path)),
            "views": len(summary.views),
            "not_yet_in_lake": missing,
            "failed_views": dg.MetadataValue.md(
                "| view | error |\n|---|---|\n" + failed if failed else "none"
            ),
        }
    )
