"""What every stage's assets share: as-of partitions, upstream reads, UI tables."""

from __future__ import annotations

from datetime import date

import dagster as dg
import polars as pl

from capscore.storage.lake import read_partition
from capscore.storage.paths import DataRoot


def markdown_table(frame: pl.DataFrame) -> dg.MetadataValue:
    """A small frame as a markdown table for the Dagster UI."""
    with pl.Config(
        tbl_formatting="MARKDOWN",
        tbl_hide_column_data_types=True,
        tbl_hide_dataframe_shape=True,
        tbl_rows=-1,
        tbl_cols=-1,
        fmt_str_lengths=200,
        tbl_width_chars=10_000,
    ):
        return dg.MetadataValue.md(str(frame))


def as_of_partition(day: date) -> dict[str, str]:
    return {"as_of_date": day.isoformat()}


def required_partition(root: DataRoot, schema: str, table: str, day: date) -> pl.DataFrame:
    """An upstream as-of partition this asset cannot do without."""
    frame = read_partition(root, schema, table, as_of_partition(day))
    if frame is None:
        raise dg.Failure(f"{schema}/{table} as of {day} is missing: materialize it first")
    return frame
