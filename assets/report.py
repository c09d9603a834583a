"""The pool report per as-of date, rendered from the published warehouse's analyst views.

A date with nothing to score is an empty, explained report, not a failure:
before the first registry snapshot is visible there is no enterprise to score,
however many patents have landed, so the report says so and why. A date with a
visible registry but no scores is still a failure: that date was not built.

No `from __future__ import annotations` here: Dagster inspects the context
annotation at definition time.
"""

from datetime import date
from html import escape
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl

from assets.partitions import daily_partitions, partition_dates, single_run_backfill
from assets.resources import CapscoreResource
from assets.warehouse import WAREHOUSE_KEY
from capscore.reports.inputs import load_inputs, region_names
from capscore.reports.pool_report import PoolReportInputs, render_pool_report, summarize
from capscore.storage.files import atomic_write_text
from capscore.storage.paths import DataRoot
from capscore.warehouse.publish import latest_snapshot


def report_path(root: DataRoot, day: date) -> Path:
    return root.reports / f"pool_report_{day.isoformat()}.html"


def _rows_landed(quality: pl.DataFrame, source: str) -> int:
    return int(quality.filter(pl.col("source") == source)["rows_loaded"].sum())


def nothing_to_report(inputs: PoolReportInputs) -> str | None:
    """Why a date has nothing to report yet, None if it has scores or should have had them."""
    if inputs.scorecard.height > 0 or _rows_landed(inputs.quality, "registry") > 0:
        return None
    waiting = [
        f"{n:,} {what}"
        for n, what in (
            (_rows_landed(inputs.quality, "patents"), "patent record(s)"),
            (_rows_landed(inputs.quality, "rd_records"), "R&D filing(s)"),
        )
        if n
    ]
    why = (
        f"no registry snapshot is visible as of {inputs.as_of.isoformat()} (no registry rows "
        "had landed by then), so there is no enterprise to score"
    )
    if waiting:
        why += f"; the {' and '.join(waiting)} landed by then wait for the registry"
    return why


def with_notice(page: str, day: date, why: str) -> str:
    notice = (
        f'<div class="card"><h2>Nothing to report yet as of {day.isoformat()}</h2>'
        f'<p class="empty">{escape(why)}.</p></div>'
    )
    return page.replace("<main>", f"<main>{notice}", 1)


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
    published = latest_snapshot(root)
    if published is None:
        raise dg.Failure(f"no published warehouse under {root.published}")
    names = region_names()
    written: list[tuple[date, Path]] = []
    # Only the last date's inputs: a backfill holding every date's would grow by a
    # scorecard of the whole registry per date.
    last: PoolReportInputs | None = None
    empty: dict[date, str] = {}
    # Read-only, and by the run's own snapshot file: the report never holds a write
    # lock, and never reads an older warehouse another session of this process holds.
    con = duckdb.connect(str(published), read_only=True)
    try:
        for day in partition_dates(context):
            inputs = load_inputs(con, day, names)
            page = render_pool_report(inputs)
            if inputs.scorecard.height == 0:
                why = nothing_to_report(inputs)
                if why is None:
                    raise dg.Failure(
                        f"the warehouse has no scores as of {day} although registry rows had "
                        "landed by then: was that date built?"
                    )
                context.log.info(f"nothing to report yet as of {day}: {why}")
                page, empty[day] = with_notice(page, day, why), why
            path = atomic_write_text(report_path(root, day), page)
            written.append((day, path))
            last = inputs
    finally:
        con.close()
    assert last is not None, "a run materializes at least one date"
    day, path = written[-1]
    summary = summarize(last)
    listing = "\n".join(
        f"- {d.isoformat()}: `{p}`" + (" (nothing to report yet)" if d in empty else "")
        for d, p in written
    )
    headline = f"**Pool report {day.isoformat()}**" + (
        f"\n\nNothing to report yet: {empty[day]}." if day in empty else ""
    )
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(path)),
            "reports": dg.MetadataValue.md(listing),
            "as_of_date": day.isoformat(),
            "dates_with_nothing_to_report": [d.isoformat() for d in empty],
            "preview": dg.MetadataValue.md(f"{headline}\n\n{summary.markdown()}"),
            "enterprises_scored": summary.scored,
            "in_pool": summary.in_pool,
            "credit_exposure_wan": summary.total_limit_wan,
            "size_bytes": path.stat().st_size,
        }
    )


report_assets = [pool_report]
