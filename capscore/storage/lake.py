"""The lake: one Delta Lake table (delta-rs) per `storage.tables.Table`.

Layout: `<root>/lake/<schema>/<table>/` holds a Delta table partitioned by the
table's partition keys (hive folders `key=value/`) with its `_delta_log/`.
`write_partition` replaces one partition in one atomic commit (an overwrite
restricted to that partition; polars writes the file unless the schema changes,
see `_commit_file`), so a rerun replaces it entirely (idempotent) and
a reader of a version sees exactly that version's files: the files an older
version named stay on disk until `vacuum`, which is what lets the published
warehouse pin one completed run.

After its data commit, every write records the partition in the lake's build
register (`lake/_meta/builds`, a Delta table too): which partitions exist
(written, possibly empty), their rows, the Delta version and the fingerprint of
the inputs they were built from. A write killed between the two commits leaves
the partition unregistered, so it counts as not built and is built again.

The credit system's export (`credit/credit_limit`, plain Parquet, one file per
as-of date and a manifest) is not a Delta table: `export_partition` replaces its
file atomically with a hard link to the Delta table's file for that date (the
same bytes, stored once; Delta never rewrites a file in place).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
from deltalake import DeltaTable, Schema, WriterProperties, write_deltalake
from deltalake.transaction import AddAction
from polars.datatypes import DataTypeClass

from capscore.storage import changes
from capscore.storage.files import atomic_link, atomic_write
from capscore.storage.parquet_files import write_parquet
from capscore.storage.paths import DataRoot
from capscore.storage.tables import BASE_ID, LANDING_DATE, RAW, Table

EXPORT_FILE = "part-0.parquet"
DELTA_LOG = "_delta_log"
BUILDS = Table("_meta", "builds", (), "Every partition written: rows, version, fingerprint.")
BUILD_SCHEMA: dict[str, pl.DataType] = {
    "table": pl.String(),
    "partition": pl.String(),
    "rows": pl.Int64(),
    "version": pl.Int64(),
    "fingerprint": pl.String(),
    "deleted": pl.Boolean(),
    "written_at": pl.Datetime("us", "UTC"),
}
# zstd level 7 instead of the default 3: a whole-state partition of scores, indicators or
# credit at 1M firms is 7-20% smaller for about a second more per write (measured at 1M,
# 2026-12-06: enterprise_score 50 -> 40 MB, indicator_value 47 -> 43, credit 36 -> 34).
ZSTD_LEVEL = 7
_WRITER = WriterProperties(compression="ZSTD", compression_level=ZSTD_LEVEL)
# Rows handed to the Delta writer at a time: a 19M-row partition streamed in
# slices peaks at a fraction of the memory of one batch (measured at 1M firms).
_WRITE_SLICE = 500_000
# Partition values a hive folder holds verbatim (delta-rs percent-encodes others).
_PLAIN_VALUE = re.compile(r"[A-Za-z0-9_.-]+")
_PLAIN_DTYPES = (
    pl.String,
    pl.Int64,
    pl.Int32,
    pl.Int16,
    pl.Int8,
    pl.Float64,
    pl.Float32,
    pl.Boolean,
    pl.Date,
)

# None: a null partition value (e.g. a landing entry that is no date at all).
PartitionValue = str | date | None
NULL_PARTITION = "null"


class MissingPartition(RuntimeError):
    """An upstream partition a stage cannot do without was never written."""


class LegacyLakeError(RuntimeError):
    """A lake table in the plain-Parquet layout of capscore before Delta Lake."""


def partition_of(table: Table, values: Sequence[PartitionValue]) -> dict[str, str]:
    """{partition key: value as text} for `values` given in the table's key order."""
    if len(values) != len(table.partition_keys):
        raise ValueError(f"{table} is partitioned by {table.partition_keys}, got {values!r}")
    return {
        key: NULL_PARTITION
        if value is None
        else value.isoformat()
        if isinstance(value, date)
        else str(value)
        for key, value in zip(table.partition_keys, values, strict=True)
    }


def partition_name(table: Table, values: Sequence[PartitionValue]) -> str:
    return "/".join(partition_of(table, values).values())


def table_dir(root: DataRoot, table: Table) -> Path:
    return root.lake / table.schema / table.folder


def is_delta(path: Path) -> bool:
    return (path / DELTA_LOG).is_dir()


_OPEN: dict[str, DeltaTable] = {}
# Every this many register appends, its small files are folded and checkpointed.
COMPACT_EVERY = 50


def _delta(path: Path) -> DeltaTable:
    """The table at `path` at its latest version (opened once per process, then updated:
    replaying a long log on every read costs more than the read)."""
    key = str(path)
    if key in _OPEN:
        _OPEN[key].update_incremental()
    else:
        _OPEN[key] = DeltaTable(key)
    return _OPEN[key]


def _open(root: DataRoot, table: Table) -> DeltaTable | None:
    path = table_dir(root, table)
    if is_delta(path):
        return _delta(path)
    if path.is_dir() and any(path.rglob("*.parquet")):
        raise LegacyLakeError(
            f"{path} holds plain Parquet from a capscore before the Delta lake: remove "
            f"{root.lake} and rebuild it (`capscore backfill`); landing/ is the source"
        )
    return None


def _typed_value(key: str, value: PartitionValue) -> pl.Expr:
    # Date keys are named *_date (tables.py): typed as dates whether given as a date,
    # its ISO text or null, so that every writer of a table agrees on the type.
    if key.endswith("_date"):
        day = date.fromisoformat(value) if isinstance(value, str) else value
        return pl.lit(day, dtype=pl.Date)
    return pl.lit(value, dtype=pl.String)


def _predicate(table: Table, values: Sequence[PartitionValue]) -> str:
    return " AND ".join(
        f"{key} IS NULL" if value is None else f"{key} = '{text}'"
        for (key, text), value in zip(partition_of(table, values).items(), values, strict=True)
    )


def write_partition(
    root: DataRoot,
    table: Table,
    df: pl.DataFrame,
    *values: PartitionValue,
    fingerprint: str | None = None,
) -> int:
    """Replace one partition with `df` in one commit; return the table's new version.

    The partition columns are set from `values` (a column of the same name in
    `df` is replaced). New columns are merged into the table's schema.
    """
    partition_of(table, values)
    data = _rows_of(table, df)
    # The order is the file's compression, not the rows' meaning: by what it has of it.
    order = [c for c in table.sort_by if c in data.columns]
    if order:
        data = data.sort(order, maintain_order=True)
    if table.keys:
        data = _as_changes(root, table, data, values)
    return _committed(root, table, data, values, df.height, fingerprint)


def write_partition_update(
    root: DataRoot,
    table: Table,
    since: PartitionValue,
    kept: pl.DataFrame,
    rows: pl.DataFrame,
    *values: PartitionValue,
    fingerprint: str | None = None,
) -> int:
    """write_partition of the state "the rows of the `since` partition whose keys are in
    `kept` (a frame of a keyed table's keys), plus `rows`", without reading or holding
    the rows kept: when `since` is the built date nearest to `values` and stored against
    a base, its changes and the base's fingerprints give the new date's changes (the
    same ones write_partition stores; a night that keeps most of a large state writes in
    proportion to what it did not keep). Otherwise the state is made and written whole."""
    partition_of(table, values)
    data = _rows_of(table, rows)
    day, earlier = date.fromisoformat(str(values[0])), date.fromisoformat(str(since))
    stored = _read_stored(root, table, [since])
    # As write_partition would: against the base of the built date nearest to the new one.
    if _nearest_date(root, table, day) == earlier and stored is not None and not _whole(stored):
        base_id = changes.base_of(stored)
        base = _scan_base(root, table, base_id, fingerprint=True)
        order = [c for c in table.sort_by if c in data.columns]
        found = changes.changes_since(base, stored, kept, data, table.keys, order)
        days = abs((day - changes.base_date(base_id)).days) if base_id else 1
        if found is not None and changes.worth_keeping(found[0].height, found[1], days):
            delta, height = found
            return _committed(
                root, table, changes.stored(delta, base_id), values, height, fingerprint
            )
    state = _scan_keyed(root, table, [since])
    if state is None:
        raise MissingPartition(f"{table} as of {since} is missing: it cannot be updated")
    keys = list(table.keys)
    stand = state.join(kept.lazy(), on=keys, how="semi", nulls_equal=True)
    # In key order, as the stages hand their whole states to write_partition.
    whole = pl.concat([stand.select(data.columns).cast(data.schema), data.lazy()]).sort(
        keys, maintain_order=True
    )
    return write_partition(root, table, whole.collect(), *values, fingerprint=fingerprint)


def _rows_of(table: Table, df: pl.DataFrame) -> pl.DataFrame:
    """`df` as a partition's file holds it: no partition columns, text as text."""
    # Delta stores text as text: categoricals (an in-memory saving) are written as strings.
    text = [c for c, d in df.schema.items() if isinstance(d, pl.Categorical | pl.Enum)]
    data = df.with_columns(pl.col(text).cast(pl.String)) if text else df
    return data.drop([k for k in table.partition_keys if k in data.columns])


def _committed(
    root: DataRoot,
    table: Table,
    data: pl.DataFrame,
    values: Sequence[PartitionValue],
    rows: int,
    fingerprint: str | None,
) -> int:
    """Commit a partition's file content, register its build (`rows`: the state's); the
    table's new version."""
    _commit(root, table, data, values)
    version = _delta(table_dir(root, table)).version()
    _register(root, table, partition_name(table, values), rows, version, fingerprint, False)
    return version


def _commit(
    root: DataRoot, table: Table, data: pl.DataFrame, values: Sequence[PartitionValue]
) -> None:
    """Replace one partition with `data` (without its partition columns) in one commit."""
    data = data.with_columns(
        _typed_value(k, v).alias(k) for k, v in zip(table.partition_keys, values, strict=True)
    )
    path = table_dir(root, table)
    delta = _open(root, table)  # refuses a legacy layout before writing next to it
    if _plain(data, values):
        schema = Schema.from_arrow(data.head(0).to_arrow().schema)
        if delta is None:
            delta = DeltaTable.create(str(path), schema, partition_by=list(table.partition_keys))
        if _delta_types(schema) == _delta_types(delta.schema()):
            _commit_file(delta, path, table, data, values)
            return
    write_deltalake(
        str(path),
        _stream(data),
        mode="overwrite",
        partition_by=list(table.partition_keys),
        predicate=_predicate(table, values),
        schema_mode="merge",
        writer_properties=_WRITER,
    )


def _as_changes(
    root: DataRoot, table: Table, state: pl.DataFrame, values: Sequence[PartitionValue]
) -> pl.DataFrame:
    """What a keyed table's partition stores for `state`: its changes against the base of
    the nearest built date, or, when those are not worth keeping, a new base of its own."""
    day = date.fromisoformat(str(values[0]))
    nearest = _nearest_built(root, table, day)
    if nearest is not None:
        base_id = changes.base_of(nearest)
        base = _scan_base(root, table, base_id, fingerprint=True)
        delta = changes.changes(base, state, table.keys)
        days = abs((day - changes.base_date(base_id)).days) if base_id else 1
        if delta is not None and changes.worth_keeping(delta.height, state.height, days):
            return changes.stored(delta, base_id)
    new_id = None
    if state.height:
        # Bases are not in the build register: a date's partition names the one it needs.
        new_id = changes.new_base_id(day)
        _commit(root, table.bases, changes.with_fingerprint(state), [new_id])
    return changes.stored(state.head(0), new_id)


def _nearest_date(root: DataRoot, table: Table, target: date) -> date | None:
    """The built date nearest to `target` (itself if built; the earlier on a tie)."""
    built = [date.fromisoformat(p) for p in _stored_partitions(root, table)]
    if not built:
        return None
    return min(built, key=lambda d: (abs((d - target).days), d > target))


def _nearest_built(root: DataRoot, table: Table, target: date) -> pl.DataFrame | None:
    """The base row of the built date nearest to `target`; None before any, or when that
    date holds a whole state."""
    nearest = _nearest_date(root, table, target)
    return None if nearest is None else _base_row(root, table, nearest)


def _base_row(root: DataRoot, table: Table, value: PartitionValue) -> pl.DataFrame | None:
    """The base row of a keyed table's stored partition (its bookkeeping columns), read
    without its changes; None if it was never written or holds a whole state."""
    delta = _open(root, table)
    files = [] if delta is None else _files(delta, table, [value])
    if not files or changes.OP not in pl.read_parquet_schema(files[0]):
        return None
    row = (
        pl.scan_parquet(files, hive_partitioning=False, missing_columns="insert")
        .select(changes.BOOKKEEPING)
        .filter(pl.col(changes.OP) == changes.HEADER)
        .collect()
    )
    return None if row.is_empty() else row


def _scan_base(
    root: DataRoot,
    table: Table,
    base_id: str | None,
    columns: Sequence[str] | None = None,
    fingerprint: bool = False,
) -> pl.LazyFrame:
    """A base's rows (`columns` of them), with their stored fingerprints if asked for."""
    if base_id is None:
        frame = _empty(_delta(table_dir(root, table)), table).drop(changes.BOOKKEEPING).lazy()
    else:
        found = _open(root, table.bases)
        files = [] if found is None else _files(found, table.bases, [base_id])
        if not files:
            raise MissingPartition(
                f"{table}: its base snapshot {base_id} is missing from "
                f"{table_dir(root, table.bases)}; rebuild the lake's as-of dates with "
                "`capscore run --full`"
            )
        frame = pl.scan_parquet(files, hive_partitioning=False, missing_columns="insert")
        frame = frame if fingerprint else changes.without_fingerprint(frame)
    return frame if columns is None else frame.select(columns)


def _plain_dtype(dtype: pl.DataType | DataTypeClass) -> bool:
    if isinstance(dtype, pl.List):
        return _plain_dtype(dtype.inner)
    if isinstance(dtype, pl.Struct):
        return all(_plain_dtype(field.dtype) for field in dtype.fields)
    if isinstance(dtype, pl.Datetime):
        return dtype.time_unit == "us" and dtype.time_zone == "UTC"
    return isinstance(dtype, _PLAIN_DTYPES)


def _delta_types(schema: Schema) -> dict[str, str]:
    return {field.name: str(field.type) for field in schema.fields}


def _plain(data: pl.DataFrame, values: Sequence[PartitionValue]) -> bool:
    """Whether polars can write the partition's file itself: rows of types whose Parquet
    form polars and delta-rs agree on, and partition values a folder name holds verbatim.
    (The table's schema must also be unchanged: new columns are delta-rs' schema merge.)"""
    return (
        data.height > 0
        and all(_plain_dtype(dtype) for dtype in data.schema.values())
        and all(
            isinstance(v, date) or (isinstance(v, str) and _PLAIN_VALUE.fullmatch(v))
            for v in values
        )
    )


def _commit_file(
    delta: DeltaTable,
    path: Path,
    table: Table,
    data: pl.DataFrame,
    values: Sequence[PartitionValue],
) -> None:
    """Replace one partition with one file polars writes (in parallel, where delta-rs
    writes single-threaded: half the time for a 3M-row partition at 1M firms), committed
    as an overwrite of that partition. Killed before the commit, the file is named by no
    version: readers never see it and vacuum removes it."""
    keys = partition_of(table, values)
    folder = Path(*(f"{key}={text}" for key, text in keys.items()))
    relative = folder / f"part-{uuid.uuid4().hex}.zstd.parquet"
    target = path / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    write_parquet(data.drop(list(keys)), target, compression="zstd", compression_level=ZSTD_LEVEL)
    add = AddAction(
        path=relative.as_posix(),
        size=target.stat().st_size,
        partition_values=keys,
        modification_time=int(time.time() * 1000),
        data_change=True,
        stats=json.dumps({"numRecords": data.height}),
    )
    delta.create_write_transaction(
        [add],
        mode="overwrite",
        schema=delta.schema(),
        partition_by=list(keys),
        partition_filters=[(key, "=", text) for key, text in keys.items()],
    )


def _stream(data: pl.DataFrame) -> pa.RecordBatchReader:
    """`data` as Arrow batches of at most _WRITE_SLICE rows, converted as they are read."""
    schema = data.head(0).to_arrow().schema
    batches = (
        batch for part in data.iter_slices(_WRITE_SLICE) for batch in part.to_arrow().to_batches()
    )
    return pa.RecordBatchReader.from_batches(schema, batches)


def _register(
    root: DataRoot,
    table: Table,
    partition: str,
    rows: int,
    version: int,
    fingerprint: str | None,
    deleted: bool,
) -> None:
    row = pl.DataFrame(
        [
            {
                "table": str(table),
                "partition": partition,
                "rows": rows,
                "version": version,
                "fingerprint": fingerprint,
                "deleted": deleted,
                "written_at": datetime.now(UTC),
            }
        ],
        schema=BUILD_SCHEMA,
    )
    path = table_dir(root, BUILDS)
    # Appended through the open table: a write to its path opens it again and replays
    # its log (52 against 21 ms an append; a small as-of date makes dozens). The write
    # moves the open table to its new version: asking for updates again costs 13 ms.
    data = row.to_arrow()
    if is_delta(path):
        register = _delta(path)
        write_deltalake(register, data, mode="append", writer_properties=_WRITER)
    else:
        write_deltalake(str(path), data, mode="append", writer_properties=_WRITER)
        register = _delta(path)
    if register.version() % COMPACT_EVERY == 0:
        register.optimize.compact(writer_properties=_WRITER)
        register.update_incremental()
        register.create_checkpoint()


_BUILDS_CACHE: dict[tuple[str, int], pl.DataFrame] = {}


def builds(root: DataRoot, table: Table | None = None) -> pl.DataFrame:
    """The latest build record of every partition (of `table`, if given) that exists now."""
    path = table_dir(root, BUILDS)
    if not is_delta(path):
        return pl.DataFrame(schema=BUILD_SCHEMA)
    register = _delta(path)
    key = (str(path), register.version())
    if key not in _BUILDS_CACHE:
        _BUILDS_CACHE.clear()
        records = pl.from_arrow(register.to_pyarrow_table())
        assert isinstance(records, pl.DataFrame)
        _BUILDS_CACHE[key] = (
            records.sort("written_at", "version")
            .group_by("table", "partition")
            .agg(pl.all().last())
            .filter(~pl.col("deleted"))
            .select(list(BUILD_SCHEMA))
            .sort("table", "partition")
        )
    latest = _BUILDS_CACHE[key]
    return latest if table is None else latest.filter(pl.col("table") == str(table))


def is_built(root: DataRoot, table: Table, *values: PartitionValue) -> bool:
    name = partition_name(table, values)
    return not builds(root, table).filter(pl.col("partition") == name).is_empty()


def _files(delta: DeltaTable, table: Table, values: Sequence[PartitionValue]) -> list[str]:
    return delta.file_uris(file_pruning_predicate=_predicate(table, values))


def partition_bytes(root: DataRoot, table: Table, *values: PartitionValue) -> int:
    """Bytes of the files the table's latest version holds for one partition (files
    an earlier version replaced stay on disk until vacuum and are not counted)."""
    delta = _open(root, table)
    if delta is None:
        return 0
    return sum(
        Path(uri.removeprefix("file://")).stat().st_size for uri in _files(delta, table, values)
    )


def _schema(delta: DeltaTable) -> pl.Schema:
    frame = pl.from_arrow(pa.schema(delta.schema().to_arrow()).empty_table())
    assert isinstance(frame, pl.DataFrame)
    return frame.schema


def column_names(root: DataRoot, table: Table) -> list[str]:
    """The columns of a table's rows (neither partition nor bookkeeping columns); none
    before it is written."""
    delta = _open(root, table)
    hidden = {*table.partition_keys, *changes.BOOKKEEPING}
    return [] if delta is None else [c for c in _schema(delta).names() if c not in hidden]


def _empty(delta: DeltaTable, table: Table) -> pl.DataFrame:
    frame = pl.DataFrame(schema=_schema(delta))
    return frame.drop([k for k in table.partition_keys if k in frame.columns])


def read_partition(
    root: DataRoot,
    table: Table,
    *values: PartitionValue,
    columns: Sequence[str] | None = None,
) -> pl.DataFrame | None:
    """One partition's rows (without the partition columns), or None if it was never written."""
    if not table.keys:
        return _read_stored(root, table, values, columns)
    state = _scan_keyed(root, table, values, columns)
    if state is None:
        return None
    return (state if columns is None else state.select(columns)).collect()


def _scan_keyed(
    root: DataRoot,
    table: Table,
    values: Sequence[PartitionValue],
    columns: Sequence[str] | None = None,
) -> pl.LazyFrame | None:
    """A keyed table's partition state, lazily (the base is scanned: a query reads only
    what it needs of it), or None if it was never written."""
    stored = _read_stored(root, table, values)
    if stored is None:
        return None
    if _whole(stored):
        return stored.drop(changes.BOOKKEEPING, strict=False).lazy()
    wanted = None if columns is None else list(dict.fromkeys([*table.keys, *columns]))
    base = _scan_base(root, table, changes.base_of(stored), wanted)
    return changes.scan_applied(base, stored, table.keys)


def _whole(stored: pl.DataFrame) -> bool:
    """Whether a keyed table's partition holds its state itself: written by a capscore
    before keyed storage (no base row, and so no bookkeeping or no rows at all)."""
    return changes.OP not in stored.columns or stored.is_empty()


def _read_stored(
    root: DataRoot,
    table: Table,
    values: Sequence[PartitionValue],
    columns: Sequence[str] | None = None,
) -> pl.DataFrame | None:
    """The rows a partition's files hold, or None if it was never written."""
    delta = _open(root, table)
    if delta is None:
        return None
    # A committed partition is whole; only an empty one needs the register to tell
    # "written empty" from "never written".
    files = _files(delta, table, values)
    if files:
        frame = pl.read_parquet(files, hive_partitioning=False, missing_columns="insert")
    elif is_built(root, table, *values):
        frame = _empty(delta, table)
    else:
        return None
    return frame if columns is None else frame.select(columns)


def scan_as_of(root: DataRoot, table: Table, day: date) -> pl.LazyFrame:
    """An upstream as-of partition a stage cannot do without, lazily: a keyed table's
    base is scanned, so a query reads only the columns and rows it needs of it."""
    state = _scan_keyed(root, table, [day]) if table.keys else None
    return read_as_of(root, table, day).lazy() if state is None else state


def read_as_of(
    root: DataRoot, table: Table, day: date, columns: Sequence[str] | None = None
) -> pl.DataFrame:
    """An upstream as-of partition a stage cannot do without (only `columns`, if given:
    a keyed table then reads only those of its base)."""
    frame = read_partition(root, table, day, columns=columns)
    if frame is None:
        raise MissingPartition(f"{table} as of {day} is missing: materialize it first")
    return frame


def has_data(root: DataRoot, table: Table) -> bool:
    return _open(root, table) is not None


def scan(
    root: DataRoot, table: Table, schema_hint: Mapping[str, Any] | None = None
) -> pl.LazyFrame:
    """Lazily scan the current version of a table, partition columns included.

    A table never written is an empty frame with `schema_hint` (or no columns),
    so that "nothing landed yet" is an empty input, not an error.
    """
    if _open(root, table) is None:
        return pl.LazyFrame(schema=dict(schema_hint or {}))
    if table.keys:
        # The states the dates store as changes, one after the other (in memory: for
        # tests and audits, not for the stages, which read one date at a time).
        key, states = table.partition_keys[0], []
        for value in partitions(root, table):
            state = read_partition(root, table, value)
            assert state is not None
            states.append(state.with_columns(_typed_value(key, value).alias(key)))
        return pl.concat(states, how="diagonal_relaxed").lazy()
    return pl.scan_delta(str(table_dir(root, table)))


def partitions(root: DataRoot, table: Table) -> list[str]:
    """Values of the first partition key under which some partition was built, sorted."""
    built = builds(root, table)["partition"].str.split("/").list.first()
    return sorted(set(built.to_list()))


def snapshot(root: DataRoot, table: Table) -> tuple[int, list[str], pl.Schema] | None:
    """(version, data files, schema) of the table's current version; None if never written."""
    delta = _open(root, table)
    if delta is None:
        return None
    return delta.version(), delta.file_uris(), _schema(delta)


def delete_partitions(root: DataRoot, table: Table, keep: Sequence[str]) -> list[str]:
    """Delete every built partition whose first key value is not in `keep`; the deleted."""
    delta = _open(root, table)
    if delta is None:
        return []
    doomed = [p for p in partitions(root, table) if p not in set(keep)]
    if not doomed:
        return []
    key = table.partition_keys[0]
    listed = ", ".join(f"'{p}'" for p in doomed)
    delta.delete(f"{key} IN ({listed})")
    version = _delta(table_dir(root, table)).version()
    for record in builds(root, table).iter_rows(named=True):
        if record["partition"].split("/")[0] in doomed:
            _register(root, table, record["partition"], 0, version, None, True)
    return doomed


def _stored_partitions(root: DataRoot, table: Table) -> list[str]:
    """Values of the first partition key that the table's current version has files for."""
    delta = _open(root, table)
    if delta is None:
        return []
    key = table.partition_keys[0]
    return sorted({p[key] for p in delta.partitions()})


def base_ids(root: DataRoot, table: Table) -> list[str]:
    """The base snapshots a keyed table holds."""
    return _stored_partitions(root, table.bases)


def drop_unused_bases(root: DataRoot, table: Table) -> list[str]:
    """Delete the base snapshots of a keyed table that no built date stores against."""
    used = set()
    for value in _stored_partitions(root, table):
        row = _base_row(root, table, value)
        if row is not None:
            used.add(changes.base_of(row))
    unused = [b for b in base_ids(root, table) if b not in used]
    bases = _open(root, table.bases)
    if unused and bases is not None:
        bases.delete(f"{BASE_ID} IN ({', '.join(repr(b) for b in unused)})")
    return unused


def vacuum(
    root: DataRoot, table: Table, retention_hours: int, keep_versions: Sequence[int]
) -> list[str]:
    """Remove the files no version younger than `retention_hours` (nor `keep_versions`) names,
    and the files of writes killed before their commit (no version ever named them) once
    they are that old: `full` mode, as the default only removes files a commit replaced."""
    delta = _open(root, table)
    if delta is None:
        return []
    return delta.vacuum(
        retention_hours=retention_hours,
        dry_run=False,
        enforce_retention_duration=False,
        full=True,
        keep_versions=list(keep_versions) or None,
    )


def atomic_write_parquet(df: pl.DataFrame, path: Path) -> Path:
    return atomic_write(
        path,
        lambda tmp: write_parquet(
            df, tmp, compression="zstd", compression_level=ZSTD_LEVEL, statistics=True
        ),
    )


def export_dir(root: DataRoot, table: Table, day: date) -> Path:
    return root.lake / table.schema / table.folder / f"{table.partition_keys[0]}={day.isoformat()}"


def write_export(root: DataRoot, table: Table, df: pl.DataFrame, day: date) -> Path:
    """Replace the plain-Parquet export of `day` with `df` (partition column in the folder)."""
    folder = export_dir(root, table, day)
    target = atomic_write_parquet(
        df.drop([k for k in table.partition_keys if k in df.columns]), folder / EXPORT_FILE
    )
    _drop_stale(folder)
    return target


def export_partition(root: DataRoot, source: Table, export: Table, day: date) -> Path:
    """Replace the plain-Parquet export of `day` with `source`'s partition of that day.

    The export is a hard link to the partition's one Parquet file: the credit system
    and the warehouse read the same bytes, stored once. A partition delta-rs wrote
    in several files, or a file system without hard links, gets a copy written
    from the rows instead.
    """
    delta = _open(root, source)
    files = [] if delta is None else _files(delta, source, [day])
    if len(files) != 1:
        return write_export(root, export, read_as_of(root, source, day), day)
    folder = export_dir(root, export, day)
    file = Path(files[0].removeprefix("file://"))
    # One inode behind two names: read-only, so that a writer of the export cannot
    # change the lake's rows under Delta (or the reverse).
    file.chmod(0o444)
    try:
        target = atomic_link(file, folder / EXPORT_FILE)
    except OSError:
        return write_export(root, export, read_as_of(root, source, day), day)
    _drop_stale(folder)
    return target


def _drop_stale(folder: Path) -> None:
    for stale in folder.glob("*.parquet"):
        if stale.name != EXPORT_FILE:
            stale.unlink()


def scan_landed_by(
    root: DataRoot, source: str, last: date, schema_hint: Mapping[str, Any] | None = None
) -> pl.LazyFrame:
    """Raw rows of `source` whose drop landed on or before `last` (point-in-time, first half:
    each stage still filters on the record's own date per as-of day)."""
    return scan(root, RAW[source], schema_hint).filter(pl.col(LANDING_DATE) <= pl.lit(last))
