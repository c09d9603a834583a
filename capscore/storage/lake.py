"""Parquet lake I/O: atomic partition writes and point-in-time friendly scans.

Layout: `<root>/lake/<schema>/<table>/[<key>=<value>/]part-0.parquet`. Every
partition is exactly one file written atomically (`storage.files`), so a reader
(an analyst's DuckDB view, the credit system) sees either the old partition or
the new one, never a half-written file, and a rerun replaces the partition
entirely (idempotent). Tables are named by `storage.tables.Table`; partitions
by their values in the order of the table's partition keys.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from capscore.storage.files import atomic_write
from capscore.storage.paths import DataRoot
from capscore.storage.tables import LANDING_DATE, RAW, Table

PART_FILE = "part-0.parquet"

PartitionValue = str | date


class MissingPartition(RuntimeError):
    """An upstream partition a stage cannot do without was never written."""


def partition_of(table: Table, values: Sequence[PartitionValue]) -> dict[str, str]:
    """{partition key: value as text} for `values` given in the table's key order."""
    if len(values) != len(table.partition_keys):
        raise ValueError(f"{table} is partitioned by {table.partition_keys}, got {values!r}")
    return {
        key: value.isoformat() if isinstance(value, date) else str(value)
        for key, value in zip(table.partition_keys, values, strict=True)
    }


def table_dir(root: DataRoot, table: Table) -> Path:
    return root.lake / table.schema / table.name


def partition_dir(root: DataRoot, table: Table, values: Sequence[PartitionValue]) -> Path:
    path = table_dir(root, table)
    for key, value in partition_of(table, values).items():
        path = path / f"{key}={value}"
    return path


def partition_file(root: DataRoot, table: Table, values: Sequence[PartitionValue]) -> Path:
    return partition_dir(root, table, values) / PART_FILE


def atomic_write_parquet(df: pl.DataFrame, path: Path) -> Path:
    return atomic_write(
        path, lambda tmp: df.write_parquet(tmp, compression="zstd", statistics=True)
    )


def write_partition(
    root: DataRoot, table: Table, df: pl.DataFrame, *values: PartitionValue
) -> Path:
    """Replace one partition (or the whole unpartitioned table) with `df`.

    Partition columns live in the folder names, not in the file: they are
    dropped from `df` if present.
    """
    folder = partition_dir(root, table, values)
    drop = [c for c in table.partition_keys if c in df.columns]
    target = atomic_write_parquet(df.drop(drop), folder / PART_FILE)
    for stale in folder.glob("*.parquet"):
        if stale.name != PART_FILE:
            stale.unlink()
    return target


def read_partition(
    root: DataRoot,
    table: Table,
    *values: PartitionValue,
    columns: Sequence[str] | None = None,
) -> pl.DataFrame | None:
    """One partition's rows (without the partition columns), or None if it was never written."""
    target = partition_file(root, table, values)
    if not target.exists():
        return None
    return pl.read_parquet(target, columns=list(columns) if columns is not None else None)


def scan_as_of(root: DataRoot, table: Table, day: date) -> pl.LazyFrame:
    """An upstream as-of partition a stage cannot do without, lazily."""
    target = partition_file(root, table, [day])
    if not target.exists():
        raise MissingPartition(f"{table} as of {day} is missing: materialize it first")
    return pl.scan_parquet(target)


def read_as_of(
    root: DataRoot, table: Table, day: date, columns: Sequence[str] | None = None
) -> pl.DataFrame:
    """An upstream as-of partition a stage cannot do without (only `columns`, if given)."""
    frame = scan_as_of(root, table, day)
    return (frame if columns is None else frame.select(columns)).collect()


def table_glob(root: DataRoot, table: Table) -> str:
    """Glob over every partition file of a table."""
    depth = len(table.partition_keys)
    return str(table_dir(root, table).joinpath(*(["*"] * depth), "*.parquet"))


def has_data(root: DataRoot, table: Table) -> bool:
    return any(table_dir(root, table).rglob("*.parquet"))


def scan(
    root: DataRoot, table: Table, schema_hint: Mapping[str, Any] | None = None
) -> pl.LazyFrame:
    """Lazily scan all partitions of a table (hive columns included).

    With no files yet, returns an empty frame with `schema_hint` (or no columns),
    so that "nothing landed yet" is an empty input, not an error.
    """
    if not has_data(root, table):
        return pl.LazyFrame(schema=dict(schema_hint or {}))
    return pl.scan_parquet(
        str(table_dir(root, table) / "**" / "*.parquet"),
        hive_partitioning=True,
        try_parse_hive_dates=True,
        missing_columns="insert",
        extra_columns="ignore",
    )


def partitions(root: DataRoot, table: Table) -> list[str]:
    """Values of the first partition key under which some partition was written, sorted."""
    folder = table_dir(root, table)
    if not folder.exists():
        return []
    prefix = f"{table.partition_keys[0]}="
    return sorted(
        p.name[len(prefix) :]
        for p in folder.iterdir()
        if p.is_dir() and p.name.startswith(prefix) and any(p.rglob(PART_FILE))
    )


def scan_landed_by(
    root: DataRoot, source: str, last: date, schema_hint: Mapping[str, Any] | None = None
) -> pl.LazyFrame:
    """Raw rows of `source` whose drop landed on or before `last` (point-in-time, first half:
    each stage still filters on the record's own date per as-of day)."""
    return scan(root, RAW[source], schema_hint).filter(pl.col(LANDING_DATE) <= pl.lit(last))
