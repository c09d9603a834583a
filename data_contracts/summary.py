"""What a person wants to see about a load, as markdown for the Dagster UI."""

from __future__ import annotations

import polars as pl

from data_contracts.gx_suite import GxSummary

MAX_TABLE_ROWS = 50


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(frame: pl.DataFrame, limit: int = MAX_TABLE_ROWS) -> str:
    """A markdown table of the first `limit` rows (and how many were left out)."""
    if frame.is_empty():
        return "_none_"
    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * frame.width]
    lines += [
        "| " + " | ".join(_cell(v) for v in row) + " |" for row in frame.head(limit).iter_rows()
    ]
    if frame.height > limit:
        lines.append(f"\n_{frame.height - limit} more rows not shown_")
    return "\n".join(lines)


def files_table(audit: pl.DataFrame) -> str:
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


def top_reasons(quarantine: pl.DataFrame, limit: int = 10) -> str:
    """The most frequent first-failing rules, with the column and one example reason."""
    counted = (
        quarantine.group_by("rule", "column")
        .agg(pl.len().alias("rows"), pl.col("reason").first().alias("example"))
        .sort(["rows", "rule"], descending=[True, False])
    )
    return markdown_table(counted.select("rule", "column", "rows", "example"), limit)


def gx_table(summary: GxSummary) -> str:
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
    return markdown_table(pl.DataFrame(rows)) if rows else "_every expectation met_"
