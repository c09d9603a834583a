"""The pool report per as-of date, rendered from the published warehouse's analyst views.

No `from __future__ import annotations` here: Dagster inspects the context
annotation at definition time.
"""

import os
import uuid
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl

from assets.partitions import daily_partitions, partition_dates, single_run_backfill
from assets.resources import CapscoreResource
from capscore import reference_data
from capscore.reports.pool_report import PoolReportInputs, render_pool_report, summarize
from capscore.storage.paths import DataRoot

# Movers compare with the latest as-of date at least this far back (else the earliest one).
MOVERS_LOOKBACK_DAYS = 30


def report_path(root: DataRoot, day: date) -> Path:
    return root.reports / f"pool_report_{day.isoformat()}.html"


def write_text_atomically(path: Path, text: str) -> Path:
    """A reader (a browser, a mail job) sees the old report or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def region_names() -> dict[str, str]:
    frame = pl.read_csv(
        reference_data.GBT2260_CSV, infer_schema=False, columns=["region_code", "name"]
    )
    return dict(zip(frame["region_code"].to_list(), frame["name"].to_list(), strict=True))


def comparison_date(con: duckdb.DuckDBPyConnection, day: date) -> date | None:
    rows = con.sql(
        "SELECT coalesce("
        "  (SELECT max(as_of_date) FROM scoring.enterprise_score WHERE as_of_date <= ?),"
        "  (SELECT min(as_of_date) FROM scoring.enterprise_score WHERE as_of_date < ?))",
        params=[day - timedelta(days=MOVERS_LOOKBACK_DAYS), day],
    ).fetchall()
    return rows[0][0] if rows else None


def load_inputs(
    con: duckdb.DuckDBPyConnection, day: date, names: dict[str, str]
) -> PoolReportInputs:
    def frame(sql: str, on: date) -> pl.DataFrame:
        result = pl.from_arrow(con.sql(sql, params=[on]).to_arrow_table())
        assert isinstance(result, pl.DataFrame)
        return result

    previous_day = comparison_date(con, day)
    scorecard = "SELECT * FROM mart.enterprise_scorecard WHERE as_of_date = ?"
    return PoolReportInputs(
        as_of=day,
        scorecard=frame(scorecard, day),
        previous=frame(scorecard, previous_day) if previous_day else None,
        previous_as_of=previous_day,
        credit=frame("SELECT * FROM mart.credit_exposure WHERE as_of_date = ?", day),
        quality=frame(
            "SELECT * EXCLUDE (rule_counts) FROM mart.data_quality WHERE partition_date <= ?", day
        ),
        rules=frame("SELECT * FROM mart.quarantine_reasons WHERE partition_date <= ?", day),
        region_names=names,
    )


@dg.asset(
    key=["reports", "pool_report"],
    group_name="warehouse",
    partitions_def=daily_partitions,
    backfill_policy=single_run_backfill,
    deps=[dg.AssetKey(["warehouse", "duckdb"])],
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
            path = write_text_atomically(report_path(root, day), render_pool_report(inputs))
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
