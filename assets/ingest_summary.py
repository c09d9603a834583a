"""What a person wants to see about a load, as markdown tables for the Dagster UI."""

from __future__ import annotations

import dagster as dg
import polars as pl

from assets.common import markdown_table
from data_contracts.gx_suite import GxSummary


def files_table(audit: pl.DataFrame) -> dg.MetadataValue:
    """Rows read / loaded / quarantined per file."""
    return markdown_table(
        audit.select(
            pl.col("partition_date").cast(pl.String).alias("landing date"),
            "file",
            "format",
            "encoding",
            pl.col("rows_read").alias("read"),
            pl.col("rows_loaded").alias("loaded"),
            pl.col("rows_quarantined").alias("quarantined"),
            "status",
            "error",
        )
    )


def top_reasons(quarantine: pl.DataFrame, limit: int = 10) -> dg.MetadataValue:
    """The most frequent first-failing rules, with the column and one example reason."""
    counted = (
        quarantine.group_by("rule", "column")
        .agg(pl.len().alias("rows"), pl.col("reason").first().alias("example"))
        .sort(["rows", "rule"], descending=[True, False])
    )
    return markdown_table(counted.select("rule", "column", "rows", "example"), limit)


def gx_table(summary: GxSummary) -> dg.MetadataValue:
    """The expectations that found something (or could not run), with unexpected counts."""
    rows = [
        {
            "expectation": o.expectation,
            "target": o.target,
            "rule": o.rule,
            "unexpected": o.unexpected_count,
            "error": o.error,
        }
        for o in summary.failed
    ]
    if not rows:
        return dg.MetadataValue.md("_every expectation met_")
    return markdown_table(pl.DataFrame(rows, infer_schema_length=None))
