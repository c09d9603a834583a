"""Publish the analysts' warehouse after every run (views over the lake)."""

from __future__ import annotations

import dagster as dg

from assets.common import asset_keys
from assets.partitions import daily_partitions, single_run_backfill
from assets.resources import CapscoreResource
from capscore.storage import tables
from capscore.warehouse.publish import publish_warehouse
from capscore.warehouse.retention import RetentionPolicy, apply_retention

# Every asset that writes a lake table (the others are written alongside these).
UPSTREAM = asset_keys(
    [
        tables.RAW_REGISTRY,
        tables.RAW_PATENTS,
        tables.RAW_RD_RECORDS,
        tables.ENTERPRISE,
        tables.PATENT,
        tables.RD_FILING,
        tables.APPLICANT_LINKS,
        tables.RD_LINKS,
        tables.REVIEW_QUEUE,
        tables.PATENT_QUALITY,
        tables.INDICATOR_VALUE,
        tables.ENTERPRISE_SCORE,
        tables.CULTIVATION_POOL,
        tables.VALIDATION,
        tables.CREDIT_LIMIT,
    ]
)
WAREHOUSE_KEY = dg.AssetKey(["warehouse", "duckdb"])


@dg.asset(
    key=WAREHOUSE_KEY,
    group_name="warehouse",
    partitions_def=daily_partitions,
    backfill_policy=single_run_backfill,
    deps=UPSTREAM,
    description="Applies retention (every as-of date for 90 days, month-ends before; "
    "published warehouses 30 days; vacuums what no kept version names), then builds "
    "warehouse.duckdb anew (views pinned to the files of each lake table's version + the "
    "sql/ library), keeps it under published/ and swaps it into place atomically, so open "
    "analyst sessions are never disturbed.",
)
def warehouse(capscore: CapscoreResource) -> dg.MaterializeResult:
    # Before publishing, so that analysts stop seeing the dates it deletes; vacuum never
    # removes a file of a table's latest version, which is what the publish pins.
    retention = apply_retention(capscore.root, RetentionPolicy.from_env())
    summary = publish_warehouse(capscore.root)
    if summary.failed and not summary.missing:
        # Every lake table exists, so a view that does not build is a bug in sql/.
        raise dg.Failure(
            "warehouse views failed: " + "; ".join(f"{k}: {v}" for k, v in summary.failed.items())
        )
    missing = ", ".join(summary.missing) or "none"
    failed = "\n".join(f"| {k} | {v} |" for k, v in summary.failed.items())
    deleted = sorted({d for dates in retention.deleted_dates.values() for d in dates})
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(summary.path)),
            "snapshot": dg.MetadataValue.path(str(summary.snapshot)),
            "retention_deleted_as_of_dates": ", ".join(deleted) or "none",
            "retention_removed_files": retention.removed_files,
            "retention_removed_warehouses": len(retention.removed_warehouses),
            "views": len(summary.views),
            "not_yet_in_lake": missing,
            "failed_views": dg.MetadataValue.md(
                "| view | error |\n|---|---|\n" + failed if failed else "none"
            ),
        }
    )
