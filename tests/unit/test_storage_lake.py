"""Lake writes are atomic and idempotent; scans see every partition."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest

from capscore.storage import lake
from capscore.storage.lake import (
    MissingPartition,
    delete_partitions,
    partitions,
    read_as_of,
    read_partition,
    scan,
    snapshot,
    table_dir,
    vacuum,
    write_partition,
)
from capscore.storage.paths import DataRoot, resolve_data_root
from capscore.storage.tables import LAKE_TABLES, Table, table_named

DAILY = Table("s", "t", ("as_of_date",), "a daily test table")
NESTED = Table("q", "t", ("source", "partition_date"), "a two-level test table")
DAY = date(2026, 11, 20)


@pytest.fixture
def root(tmp_path: Path) -> DataRoot:
    return DataRoot.resolve(tmp_path)


def test_rewriting_a_partition_replaces_it(root: DataRoot) -> None:
    write_partition(root, DAILY, pl.DataFrame({"x": [1, 2, 3]}), DAY)
    write_partition(root, DAILY, pl.DataFrame({"x": [9]}), DAY)
    again = read_partition(root, DAILY, DAY)
    assert again is not None and again["x"].to_list() == [9]


def test_partition_column_lives_in_the_folder_not_the_file(root: DataRoot) -> None:
    write_partition(root, DAILY, pl.DataFrame({"as_of_date": [DAY], "x": [1]}), DAY)
    stored = read_partition(root, DAILY, DAY)
    assert stored is not None and stored.columns == ["x"]
    assert scan(root, DAILY).collect()["as_of_date"].to_list() == [DAY]


def test_partition_bytes_counts_the_live_files_only(root: DataRoot) -> None:
    assert lake.partition_bytes(root, DAILY, DAY) == 0
    write_partition(root, DAILY, pl.DataFrame({"x": list(range(1000))}), DAY)
    first = lake.partition_bytes(root, DAILY, DAY)
    write_partition(root, DAILY, pl.DataFrame({"x": list(range(1000, 3000))}), DAY)
    folder = table_dir(root, DAILY) / "as_of_date=2026-11-20"
    on_disk = sum(p.stat().st_size for p in folder.glob("*.parquet"))
    assert 0 < first < on_disk
    assert lake.partition_bytes(root, DAILY, DAY) == on_disk - first


@pytest.mark.parametrize(
    ("writer", "frame"),
    [
        # A new column: delta-rs writes and merges the schema.
        ("write_deltalake", pl.DataFrame({"x": [2], "y": ["new"]})),
        # The same schema: polars writes the file, the commit is an add action.
        ("commit", pl.DataFrame({"x": [2]})),
    ],
)
def test_a_write_killed_before_its_commit_leaves_the_old_partition(
    root: DataRoot, monkeypatch: pytest.MonkeyPatch, writer: str, frame: pl.DataFrame
) -> None:
    write_partition(root, DAILY, pl.DataFrame({"x": [1]}), DAY)
    folder = table_dir(root, DAILY) / "as_of_date=2026-11-20"

    def crash(*_: object, **__: object) -> None:
        (folder / "part-killed.parquet").write_bytes(b"half a parquet file")
        raise KeyboardInterrupt("killed mid-write")

    if writer == "commit":
        monkeypatch.setattr(lake.DeltaTable, "create_write_transaction", crash)
    else:
        monkeypatch.setattr(lake, "write_deltalake", crash)
    with pytest.raises(KeyboardInterrupt):
        write_partition(root, DAILY, frame, DAY)
    monkeypatch.undo()
    kept = read_partition(root, DAILY, DAY)
    assert kept is not None and kept.to_dicts() == [{"x": 1}]  # no commit names the new files
    stray = 1 if writer == "write_deltalake" else 2  # part-killed, and polars' own file
    assert len(list(folder.glob("*.parquet"))) == 1 + stray
    vacuum(root, DAILY, retention_hours=0, keep_versions=[])
    assert len(list(folder.glob("*.parquet"))) == 1  # the strays were never committed


def test_every_reader_sees_a_partition_written_by_either_writer(
    root: DataRoot, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = pl.DataFrame(
        {
            "code": ["a", None],
            "n": [1, 2],
            "f": [0.5, None],
            "on": [DAY, None],
            "at": [datetime(2026, 11, 20, 8, tzinfo=UTC), None],
            "tags": [["x", "y"], []],
            # Ranked candidates, as the link tables hold them.
            "picks": [[{"code": "a", "p": 0.5}, {"code": None, "p": None}], None],
        }
    )
    write_partition(root, DAILY, rows.drop("tags", "picks"), DAY)  # a new table: polars' file
    write_partition(root, DAILY, rows, date(2026, 11, 21))  # a new column: delta-rs merges

    delta_rs = lake.write_deltalake

    def unused(target: Any, *args: Any, **kwargs: Any) -> None:
        if target == str(lake.table_dir(root, DAILY)):
            raise AssertionError("a write of the table's own schema is polars' file")
        delta_rs(target, *args, **kwargs)  # the build register's appends

    monkeypatch.setattr(lake, "write_deltalake", unused)
    write_partition(root, DAILY, rows.reverse(), DAY)
    write_partition(root, DAILY, rows, DAY)  # and replaced again
    folder = table_dir(root, DAILY) / "as_of_date=2026-11-20"
    newest = max(folder.glob("*.parquet"), key=lambda p: p.stat().st_mtime_ns)
    assert lake.partition_bytes(root, DAILY, DAY) == newest.stat().st_size
    for day in (DAY, date(2026, 11, 21)):
        assert read_partition(root, DAILY, day).equals(rows)  # type: ignore[union-attr]
    by_delta = pl.read_delta(str(table_dir(root, DAILY))).sort("as_of_date", "n")
    assert by_delta.drop("as_of_date").equals(pl.concat([rows, rows]))
    _, files, _ = snapshot(root, DAILY) or (0, [], None)
    with duckdb.connect() as con:
        listed = ", ".join(f"'{f}'" for f in files)
        days = con.sql(
            f"SELECT as_of_date, count(*) FROM read_parquet([{listed}], hive_partitioning = true) "
            "GROUP BY ALL ORDER BY 1"
        ).fetchall()
    assert days == [(DAY, 2), (date(2026, 11, 21), 2)]


def test_a_pinned_version_keeps_its_files_while_later_writes_replace_the_partition(
    root: DataRoot,
) -> None:
    write_partition(root, DAILY, pl.DataFrame({"x": [1, 2]}), DAY)
    found = snapshot(root, DAILY)
    assert found is not None
    version, files, _ = found
    write_partition(root, DAILY, pl.DataFrame({"x": [9]}), DAY)
    assert pl.read_parquet(files)["x"].to_list() == [1, 2]  # what a pinned reader sees
    now = snapshot(root, DAILY)
    assert now is not None and now[0] > version and now[1] != files
    assert vacuum(root, DAILY, retention_hours=0, keep_versions=[version]) == []
    vacuum(root, DAILY, retention_hours=0, keep_versions=[])
    assert not any(Path(f).exists() for f in files)


def test_an_empty_partition_is_built_and_a_missing_one_is_not(root: DataRoot) -> None:
    write_partition(root, DAILY, pl.DataFrame({"x": [1]}), DAY)
    write_partition(root, DAILY, pl.DataFrame(schema={"x": pl.Int64}), date(2026, 11, 21))
    empty = read_partition(root, DAILY, date(2026, 11, 21))
    assert empty is not None and empty.is_empty() and empty.columns == ["x"]
    assert read_partition(root, DAILY, date(2026, 11, 22)) is None
    assert partitions(root, DAILY) == ["2026-11-20", "2026-11-21"]


def test_deleted_partitions_are_no_longer_built(root: DataRoot) -> None:
    for day in (DAY, date(2026, 11, 21)):
        write_partition(root, DAILY, pl.DataFrame({"x": [1]}), day)
    assert delete_partitions(root, DAILY, keep=["2026-11-21"]) == ["2026-11-20"]
    assert partitions(root, DAILY) == ["2026-11-21"]
    assert read_partition(root, DAILY, DAY) is None
    assert scan(root, DAILY).collect()["as_of_date"].to_list() == [date(2026, 11, 21)]


def test_a_null_partition_value_is_a_partition_of_its_own(root: DataRoot) -> None:
    write_partition(root, NESTED, pl.DataFrame({"x": [1]}), "a", None)
    write_partition(root, NESTED, pl.DataFrame({"x": [2]}), "a", "2026-11-20")
    stored = read_partition(root, NESTED, "a", None)
    assert stored is not None and stored["x"].to_list() == [1]


def test_scan_of_a_table_never_written_is_empty_with_the_hinted_schema(root: DataRoot) -> None:
    frame = scan(root, DAILY, {"x": pl.Int64}).collect()
    assert frame.is_empty() and frame.schema == pl.Schema({"x": pl.Int64})


def test_a_missing_upstream_partition_names_the_table_and_the_day(root: DataRoot) -> None:
    with pytest.raises(MissingPartition, match=r"s/t as of 2026-11-20 is missing"):
        read_as_of(root, DAILY, DAY)
    write_partition(root, DAILY, pl.DataFrame({"x": [1], "y": [2]}), DAY)
    assert read_as_of(root, DAILY, DAY, ["y"]).columns == ["y"]


def test_partitions_lists_the_first_key_of_nested_partitions(root: DataRoot) -> None:
    write_partition(root, NESTED, pl.DataFrame({"x": [1]}), "a", "2026-11-20")
    assert partitions(root, NESTED) == ["a"]


def test_a_partition_needs_one_value_per_key(root: DataRoot) -> None:
    with pytest.raises(ValueError, match="partitioned by"):
        write_partition(root, NESTED, pl.DataFrame({"x": [1]}), "a")


def test_every_lake_table_is_found_by_its_relation() -> None:
    for table in LAKE_TABLES:
        assert table_named(table.relation) is table
    with pytest.raises(KeyError, match="no lake table"):
        table_named("core.nothing")


def test_data_root_resolution_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAPSCORE_DATA_ROOT", str(tmp_path / "env"))
    assert resolve_data_root(tmp_path / "cli") == tmp_path / "cli"
    assert resolve_data_root() == tmp_path / "env"
    monkeypatch.delenv("CAPSCORE_DATA_ROOT")
    monkeypatch.chdir(tmp_path)
    assert resolve_data_root() == tmp_path / "data"
