"""The pool report per as-of date, rendered from the published warehouse's analyst views.

No `from __future__ import annotations` here: Dagster inspects the context
annotation at definition time.
"""

from datetime import date
from pathlib import Path

import dagster as dg
import duckdb

from assets.partitions import daily_partitions, partition_dates, single_run_backfill
from assets.resources import CapscoreResource
from assets.warehouse import WAREHOUSE_KEY
from capscore.reports.inputs import load_inputs, region_names
from capscore.reports.pool_report import PoolReportInputs, render_pool_report, summarize
from capscore.storage.files import atomic_write_text
from capscore.storage.paths import DataRoot


def report_path(root: DataRoot, day: date) -> Path:
    return root.reports / f"pool_report_{day.isoformat()}.html"


@dg.asset(
    key=["reports", "pool_report"],
    group_name="warehouse",
    partitions_def=daily_partitions,
    backfill_policy=single_run_backfill,
    deps=[WAREHOUSE_KEY],
    description="Self-contained HTML pool report per as-of date (tiers by stage, score "
    "distributions, biggest movers, credit by product and region, data quality), written to "
    "`<data root>/reports/pool_report_<date>.html`.",
)
def pool_report(
    context: dg.AssetExecutionContext, capscore: CapscoreResource
) -> dg.MaterializeResult:
    root = capscore.root
    if not root.warehouse.exists():
        raise dg.Failure(f"no published warehouse at {root.warehouse}")
    names = region_names()
    written: list[tuple[date, Path, PoolReportInputs]] = []
    # Read-only: the report never holds a write lock on the analysts' warehouse.
    con = duckdb.connect(str(root.warehouse), read_only=True)
    try:
        for day in partition_dates(context):
            inputs = load_inputs(con, day, names)
            if inputs.scorecard.height == 0:
                raise dg.Failure(f"the warehouse has no scores as of {day}: nothing to report")
            path = atomic_write_text(report_path(root, day), render_pool_report(inputs))
            written.append((day, path, inputs))
    finally:
        con.close()
    day, path, last = written[-1]
    summary = summarize(last)
    listing = "\n".join(f"- {d.isoformat()}: `{p}`" for d, p, _ in written)
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(path)),
            "reports": dg.MetadataValue.md(listing),
            "as_of_date": day.isoformat(),
            "preview": dg.MetadataValue.md(
                f"**Pool report {day.isoformat()}**\n\n{summary.markdown()}"
            ),
            "enterprises_scored": summary.scored,
            "in_pool": summary.in_pool,
            "credit_exposure_wan": summary.total_limit_wan,
            "size_bytes": path.stat().st_size,
        }
    )


report_assets = [pool_report]
