"""Lake writes are atomic and idempotent; scans see every partition."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from capscore.storage.lake import (
    MissingPartition,
    partitions,
    read_as_of,
    read_partition,
    scan,
    table_dir,
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


def test_a_failed_write_leaves_the_old_partition_and_no_temp_files(
    root: DataRoot, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_partition(root, DAILY, pl.DataFrame({"x": [1]}), DAY)

    def crash(self: pl.DataFrame, path: Path, **_: object) -> None:
        Path(path).write_bytes(b"half a parquet file")
        raise KeyboardInterrupt("killed mid-write")

    monkeypatch.setattr(pl.DataFrame, "write_parquet", crash)
    with pytest.raises(KeyboardInterrupt):
        write_partition(root, DAILY, pl.DataFrame({"x": [2]}), DAY)
    monkeypatch.undo()
    kept = read_partition(root, DAILY, DAY)
    assert kept is not None and kept["x"].to_list() == [1]
    folder = table_dir(root, DAILY) / "as_of_date=2026-11-20"
    assert sorted(p.name for p in folder.iterdir()) == ["part-0.parquet"]


def test_scan_of_a_table_never_written_is_empty_with_the_hinted_schema(root: DataRoot) -> None:
    frame = scan(root, DAILY, {"x": pl.Int64}).collect()
    assert frame.is_empty() and frame.schema == pl.Schema({"x": pl.Int64})


def test_a_missing_upstream_partition_names_the_table_and_the_day(root: DataRoot) -> None:
    with pytest.raises(MissingPartition, match=r"s/t as of 2026-11-20 is missing"):
        read_as_of(root, DAILY, DAY)
    write_partition(root, DAILY, pl.DataFrame({"x": [1], "y": [2]}), DAY)
    assert read_as_of(root, DAILY, DAY, ["y"]).columns == ["y"]


def test_partitions_lists_the_first_key_of_nested_partitions(root: DataRoot) -> None:
    write_partition(root, NESTED, pl.DataFrame({"x": [1]}), "a", "d")
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
