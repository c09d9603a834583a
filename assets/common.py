"""What every stage's assets share: table keys, the per-day summary, UI tables."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

import dagster as dg
import polars as pl

from assets.freshness import as_of_fingerprint
from assets.partitions import daily_partitions, single_run_backfill
from capscore.indicators.inputs import conform
from capscore.storage.changes import Update
from capscore.storage.lake import (
    column_names,
    read_as_of,
    write_partition,
    write_partition_update,
)
from capscore.storage.paths import DataRoot
from capscore.storage.tables import Table

# Small tables in the UI: escaped cells, at most this many rows.
MAX_TABLE_ROWS = 50


# Metadata an asset sets to say how many of its rows it kept from an earlier as-of date
# instead of computing them again (the CLI's progress lines show it: a night was incremental).
KEPT_ROWS = "capscore/kept_rows"


def asset_key(table: Table) -> dg.AssetKey:
    return dg.AssetKey(list(table.key))


def asset_keys(tables: Sequence[Table]) -> list[dg.AssetKey]:
    return [asset_key(t) for t in tables]


def markdown_table(frame: pl.DataFrame, max_rows: int = MAX_TABLE_ROWS) -> dg.MetadataValue:
    """A small frame as a markdown table for the Dagster UI (first `max_rows` rows)."""
    if frame.is_empty():
        return dg.MetadataValue.md("_none_")
    shown = frame.head(max_rows)

    def cell(value: object) -> str:
        text = "" if value is None else str(value)
        return text.replace("|", "\\|").replace("\n", " ")

    lines = [
        "| " + " | ".join(shown.columns) + " |",
        "|" + "---|" * shown.width,
        *("| " + " | ".join(cell(v) for v in row) + " |" for row in shown.iter_rows()),
    ]
    if frame.height > max_rows:
        lines.append(f"\n_{frame.height - max_rows:,} more rows not shown_")
    return dg.MetadataValue.md("\n".join(lines))


def by_day_result(
    summary: Sequence[Mapping[str, Any]],
    row_count: str,
    check_results: Sequence[dg.AssetCheckResult] = (),
    asset_key: dg.AssetKey | None = None,
    **metadata: Any,
) -> dg.MaterializeResult:
    """The result of an asset that looped over days: the last day's `row_count` column is
    `dagster/row_count`, every day's figures are a table, the latest day first (a long
    backfill shows its last days), plus `metadata` (`asset_key`: which asset of a
    multi-asset)."""
    # Every row decides a column's type: a long backfill's first hundred days may all
    # lack a figure (no backtest date yet) that later days have.
    table = pl.DataFrame(list(summary), infer_schema_length=None)
    return dg.MaterializeResult(
        asset_key=asset_key,
        metadata={
            "dagster/row_count": int(table[row_count][-1]),
            "by_as_of_date": markdown_table(table.reverse()),
            **metadata,
        },
        check_results=list(check_results),
    )


def as_of_asset(
    table: Table,
    group: str,
    description: str,
    deps: Sequence[Table | dg.AssetDep],
    check_specs: Sequence[dg.AssetCheckSpec] = (),
) -> Callable[[Callable[..., Any]], dg.AssetsDefinition]:
    """The decorator of an asset that writes `table` per as-of date: daily partitions, a
    single-run backfill (a range is one run that loads inputs once and loops over the days)."""
    return dg.asset(
        key=asset_key(table),
        deps=_keys(deps),
        partitions_def=daily_partitions,
        backfill_policy=single_run_backfill,
        group_name=group,
        description=description,
        check_specs=list(check_specs) or None,
    )


def _keys(deps: Sequence[Table | dg.AssetDep | dg.AssetKey]) -> list[dg.AssetDep | dg.AssetKey]:
    return [asset_key(d) if isinstance(d, Table) else d for d in deps]


def as_of_spec(
    table: Table, group: str, description: str, deps: Sequence[Table | dg.AssetKey]
) -> dg.AssetSpec:
    """One of the tables an as_of_multi_asset writes, declared as as_of_asset declares one."""
    return dg.AssetSpec(
        asset_key(table), deps=_keys(deps), group_name=group, description=description
    )


def as_of_multi_asset(
    name: str, specs: Sequence[dg.AssetSpec]
) -> Callable[[Callable[..., Any]], dg.AssetsDefinition]:
    """as_of_asset for one step that writes several tables (each an `as_of_spec`),
    sharing what they all read; any of them can be materialized on its own."""
    return dg.multi_asset(
        name=name,
        specs=list(specs),
        partitions_def=daily_partitions,
        backfill_policy=single_run_backfill,
        can_subset=True,
    )


def read_input(
    root: DataRoot, table: Table, day: date, schema: Mapping[str, pl.DataType]
) -> pl.DataFrame:
    """An as-of input in the shape the scoring functions take (`conform` to `schema`),
    reading only the columns of `schema` the table has: core/patent's applicant,
    inventor and title columns are most of its bytes (at 1M, 2.1 s -> 0.3 s)."""
    present = set(column_names(root, table))
    return conform(read_as_of(root, table, day, [c for c in schema if c in present]), schema)


class AsOfWriter:
    """Writes as-of partitions stamped with the fingerprint of the day's inputs
    (assets.freshness), computed once per day."""

    def __init__(self, root: DataRoot) -> None:
        self.root = root
        self._fingerprints: dict[date, str] = {}

    def _fingerprint(self, day: date) -> str:
        if day not in self._fingerprints:
            self._fingerprints[day] = as_of_fingerprint(self.root, day)
        return self._fingerprints[day]

    def __call__(self, table: Table, frame: pl.DataFrame, day: date) -> int:
        return write_partition(self.root, table, frame, day, fingerprint=self._fingerprint(day))

    def update(self, table: Table, update: Update, day: date, since: date | None) -> int:
        """The partition of `day` from `update`: its rows, or `since`'s rows it keeps plus
        those it made (lake.write_partition_update)."""
        if update.keep is None:
            return self(table, update.made, day)
        if since is None:
            raise ValueError(f"{table} as of {day}: rows kept of no earlier date")
        return write_partition_update(
            self.root,
            table,
            since,
            update.keep,
            update.made,
            day,
            fingerprint=self._fingerprint(day),
        )
