"""Reconciliation of a loaded drop: every file's rows are accounted for.

Computed from what was written to the lake (audit, quarantine, raw), so the
asset check verifies the stored result, not the loader's own counters.
"""

from __future__ import annotations

import polars as pl

from data_contracts.schemas import FILE


def reconcile(
    audit: pl.DataFrame, quarantine: pl.DataFrame, accepted: pl.DataFrame
) -> pl.DataFrame:
    """One row per audited file with the stored counts and `problem` (null when it reconciles).

    A file reconciles when rows_read = rows_loaded + rows_quarantined, its raw rows
    number rows_loaded, its row-level quarantine rows number rows_quarantined, and
    a rejected file has exactly one whole-file quarantine row (row_number null).
    """
    raw_rows = accepted.group_by(FILE).agg(pl.len().alias("raw_rows")).rename({FILE: "file"})
    quarantined = quarantine.group_by("file").agg(
        pl.col("row_number").is_not_null().sum().alias("quarantine_rows"),
        pl.col("row_number").is_null().sum().alias("file_level_rows"),
    )
    counts = (
        audit.select("file", "status", "rows_read", "rows_loaded", "rows_quarantined")
        .join(raw_rows, on="file", how="left")
        .join(quarantined, on="file", how="left")
        .with_columns(pl.col("raw_rows", "quarantine_rows", "file_level_rows").fill_null(0))
    )
    read, loaded, held = pl.col("rows_read"), pl.col("rows_loaded"), pl.col("rows_quarantined")
    rejected = pl.col("status") == "rejected"
    problem = (
        pl.when(read != loaded + held)
        .then(pl.format("rows_read {} != rows_loaded {} + rows_quarantined {}", read, loaded, held))
        .when(pl.col("raw_rows") != loaded)
        .then(pl.format("{} raw rows stored, audit says {} loaded", pl.col("raw_rows"), loaded))
        .when(rejected & (pl.col("file_level_rows") != 1))
        .then(
            pl.format(
                "rejected file has {} whole-file quarantine rows, expected 1",
                pl.col("file_level_rows"),
            )
        )
        .when(pl.col("quarantine_rows") != held)
        .then(
            pl.format("{} quarantine rows stored, audit says {}", pl.col("quarantine_rows"), held)
        )
    )
    orphans = (
        pl.concat([raw_rows.select("file"), quarantined.select("file")])
        .unique()
        .join(audit.select("file"), on="file", how="anti")
        .with_columns(pl.lit("rows stored for a file the audit does not list").alias("problem"))
    )
    return pl.concat(
        [counts.with_columns(problem.alias("problem")), orphans], how="diagonal_relaxed"
    )
