"""Parquet lake I/O: atomic partition writes and point-in-time friendly scans.

Layout: `<root>/lake/<schema>/<table>/[<key>=<value>/]part-0.parquet`. Every
partition is exactly one file written to a temporary name and renamed into
place, so a reader (an analyst's DuckDB view, the credit system) sees either the
old partition or the new one, never a half-written file, and a rerun replaces
the partition entirely (idempotent).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from capscore.storage.paths import DataRoot

PART_FILE = "part-0.parquet"


def partition_dir(
    root: DataRoot, schema: str, table: str, partition: Mapping[str, str] | None = None
) -> Path:
    path = root.table_dir(schema, table)
    for key, value in (partition or {}).items():
        path = path / f"{key}={value}"
    return path


def atomic_write_parquet(df: pl.DataFrame, path: Path) -> Path:
    """Write `df` to `path` via a temp file in the same folder and `os.replace`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # The temp name must not end in .parquet: readers glob `*.parquet`.
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        df.write_parquet(tmp, compression="zstd", statistics=True)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def write_table(
    df: pl.DataFrame,
    root: DataRoot,
    schema: str,
    table: str,
    partition: Mapping[str, str] | None = None,
) -> Path:
    """Replace one partition (or the whole unpartitioned table) with `df`.

    Partition columns live in the folder names, not in the file: they are
    dropped from `df` if present.
    """
    folder = partition_dir(root, schema, table, partition)
    drop = [c for c in (partition or {}) if c in df.columns]
    target = atomic_write_parquet(df.drop(drop), folder / PART_FILE)
    for stale in folder.glob("*.parquet"):
        if stale.name != PART_FILE:
            stale.unlink()
    return target


def delete_partition(root: DataRoot, schema: str, table: str, partition: Mapping[str, str]) -> None:
    target = partition_dir(root, schema, table, partition) / PART_FILE
    if target.exists():
        target.unlink()


def table_glob(root: DataRoot, schema: str, table: str, depth: int) -> str:
    """Glob over every partition file of a table with `depth` hive levels."""
    return str(root.table_dir(schema, table).joinpath(*(["*"] * depth), "*.parquet"))


def has_data(root: DataRoot, schema: str, table: str) -> bool:
    return any(root.table_dir(schema, table).rglob("*.parquet"))


def scan_table(
    root: DataRoot, schema: str, table: str, schema_hint: Mapping[str, Any] | None = None
) -> pl.LazyFrame:
    """Lazily scan all partitions of a table (hive columns included).

    With no files yet, returns an empty frame with `schema_hint` (or no columns),
    so that "nothing landed yet" is an empty input, not an error.
    """
    folder = root.table_dir(schema, table)
    if not has_data(root, schema, table):
        return pl.LazyFrame(schema=dict(schema_hint or {}))
    return pl.scan_parquet(
        str(folder / "**" / "*.parquet"),
        hive_partitioning=True,
        try_parse_hive_dates=True,
        missing_columns="insert",
        extra_columns="ignore",
    )


def read_partition(
    root: DataRoot, schema: str, table: str, partition: Mapping[str, str] | None = None
) -> pl.DataFrame | None:
    """One partition's rows (without the partition columns), or None if it was never written."""
    target = partition_dir(root, schema, table, partition) / PART_FILE
    if not target.exists():
        return None
    return pl.read_parquet(target)


def list_partitions(root: DataRoot, schema: str, table: str, key: str) -> list[str]:
    """Values of the first-level hive key under which some partition was written, sorted."""
    folder = root.table_dir(schema, table)
    if not folder.exists():
        return []
    prefix = f"{key}="
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
    return scan_table(root, "raw", source, schema_hint).filter(
        pl.col("landing_date") <= pl.lit(last)
    )
