"""Quarantine rows: one per rejected source row (or per rejected file), with the
row as read and every reason, first failing rule first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import polars as pl

from data_contracts.rules import REASON, RULE_COLUMNS, RULES
from data_contracts.schemas import FILE, QUARANTINE_SCHEMA, ROW_NUMBER

RAW_RECORD = "raw_record"


def raw_records(rows: pl.DataFrame, numbers: pl.Series) -> pl.DataFrame:
    """`_row_number`, `raw_record` (JSON of the row as read) for the given row numbers."""
    columns = [c for c in rows.columns if c != ROW_NUMBER]
    picked = rows.filter(pl.col(ROW_NUMBER).is_in(numbers.implode()))
    record = pl.struct(columns).struct.json_encode() if columns else pl.lit("{}")
    return picked.select(ROW_NUMBER, record.alias(RAW_RECORD))


def _finish(frame: pl.DataFrame, source: str, partition_date: date, file: str) -> pl.DataFrame:
    return frame.with_columns(
        pl.lit(source).alias("source"),
        pl.lit(partition_date).alias("partition_date"),
        pl.lit(file).alias("file"),
    ).select(list(QUARANTINE_SCHEMA))


def file_problem(
    source: str,
    partition_date: date | None,
    file: str,
    rule: str,
    reason: str,
    column: str | None = None,
) -> pl.DataFrame:
    """The single quarantine row of a file rejected whole (row_number null; partition_date
    null for an entry that is no landing date)."""
    row = {
        "source": source,
        "partition_date": partition_date,
        "file": file,
        "row_number": None,
        "column": column,
        "rule": rule,
        "rules": [rule],
        "reason": reason,
        "raw_record": None,
    }
    return pl.DataFrame([row], schema=QUARANTINE_SCHEMA)


def rows_of_rejected_file(
    rows: pl.DataFrame,
    source: str,
    partition_date: date,
    file: str,
    rule: str,
    reason: str,
    column: str | None,
) -> pl.DataFrame:
    """Every row of a file rejected whole, as read, so that none of them is lost."""
    frame = raw_records(rows, rows[ROW_NUMBER]).select(
        pl.col(ROW_NUMBER).alias("row_number"),
        pl.lit(column, pl.String).alias("column"),
        pl.lit(rule).alias("rule"),
        pl.concat_list(pl.lit(rule)).alias("rules"),
        pl.lit(reason).alias("reason"),
        pl.col(RAW_RECORD),
    )
    return _finish(frame, source, partition_date, file)


def failed_rows(
    failed: pl.DataFrame, rows: pl.DataFrame, source: str, partition_date: date, file: str
) -> pl.DataFrame:
    """`check_rows(...).failed` as quarantine rows, with the raw record from `rows`."""
    raw = raw_records(rows, failed[ROW_NUMBER])
    frame = failed.select(
        pl.col(ROW_NUMBER).alias("row_number"),
        pl.col(RULE_COLUMNS).list.first().alias("column"),
        pl.col(RULES).list.first().alias("rule"),
        pl.col(RULES).alias("rules"),
        pl.col(REASON).alias("reason"),
    ).join(
        raw.rename({ROW_NUMBER: "row_number"}), on="row_number", how="left", maintain_order="left"
    )
    return _finish(frame, source, partition_date, file)


def malformed_rows(
    malformed: pl.DataFrame, source: str, partition_date: date, file: str
) -> pl.DataFrame:
    """Rows a reader could not split into columns (malformed_row) or decode (encoding)."""
    frame = malformed.select(
        pl.col(ROW_NUMBER).alias("row_number"),
        pl.lit(None, pl.String).alias("column"),
        pl.col("rule"),
        pl.concat_list(pl.col("rule")).alias("rules"),
        pl.col("reason"),
        pl.col(RAW_RECORD),
    )
    return _finish(frame, source, partition_date, file)


def split_duplicates(
    accepted: pl.DataFrame, key: Sequence[str], forms: Mapping[str, pl.Expr] | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(first occurrence of every key, the later ones with the reason) in row order.

    `accepted` must be in file-name then row order: the first row of a key wins. `forms`:
    per key column, the form two values are compared in (an application number with
    and without its `CN` prefix is one key).
    """
    compared = [f"__key_{i}" for i in range(len(key))]
    keyed = accepted.with_columns(
        (forms or {}).get(k, pl.col(k)).alias(name) for k, name in zip(key, compared, strict=True)
    )
    first = keyed.select(pl.struct(compared).is_first_distinct()).to_series()
    if first.all():
        return accepted, accepted.clear().with_columns(pl.lit(None, pl.String).alias(REASON))
    kept = keyed.filter(first)
    described = pl.format(
        "duplicate key " + ", ".join(f"{k}={{}}" for k in key) + ": first loaded from {} row {}",
        *(pl.col(k).cast(pl.String).fill_null("null") for k in key),
        pl.col("__first_file"),
        pl.col("__first_row"),
    )
    later = (
        keyed.filter(~first)
        .join(
            kept.select(
                *compared,
                pl.col(FILE).alias("__first_file"),
                pl.col(ROW_NUMBER).alias("__first_row"),
            ),
            on=compared,
            how="left",
            nulls_equal=True,
            maintain_order="left",
        )
        .with_columns(described.alias(REASON))
        .drop("__first_file", "__first_row", *compared)
    )
    return kept.drop(compared), later


def duplicate_rows(
    duplicates: pl.DataFrame,
    rows: pl.DataFrame,
    key: Sequence[str],
    source: str,
    partition_date: date,
    file: str,
) -> pl.DataFrame:
    """Quarantine rows of one file's duplicates (from `split_duplicates`)."""
    raw = raw_records(rows, duplicates[ROW_NUMBER])
    frame = duplicates.select(
        pl.col(ROW_NUMBER).alias("row_number"),
        pl.lit(key[0]).alias("column"),
        pl.lit("duplicate_key").alias("rule"),
        pl.concat_list(pl.lit("duplicate_key")).alias("rules"),
        pl.col(REASON).alias("reason"),
    ).join(
        raw.rename({ROW_NUMBER: "row_number"}), on="row_number", how="left", maintain_order="left"
    )
    return _finish(frame, source, partition_date, file)
