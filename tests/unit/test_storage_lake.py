"""Lake writes are atomic and idempotent; scans see every partition."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from capscore.storage.lake import list_partitions, read_partition, scan_table, write_table
from capscore.storage.paths import DataRoot, resolve_data_root


@pytest.fixture
def root(tmp_path: Path) -> DataRoot:
    return DataRoot.resolve(tmp_path)


def test_rewriting_a_partition_replaces_it(root: DataRoot) -> None:
    part = {"as_of_date": "2026-11-20"}
    write_table(pl.DataFrame({"x": [1, 2, 3]}), root, "s", "t", part)
    write_table(pl.DataFrame({"x": [9]}), root, "s", "t", part)
    again = read_partition(root, "s", "t", part)
    assert again is not None and again["x"].to_list() == [9]


def test_partition_column_lives_in_the_folder_not_the_file(root: DataRoot) -> None:
    frame = pl.DataFrame({"as_of_date": [date(2026, 11, 20)], "x": [1]})
    write_table(frame, root, "s", "t", {"as_of_date": "2026-11-20"})
    stored = read_partition(root, "s", "t", {"as_of_date": "2026-11-20"})
    assert stored is not None and stored.columns == ["x"]
    scanned = scan_table(root, "s", "t").collect()
    assert scanned["as_of_date"].to_list() == [date(2026, 11, 20)]


def test_a_failed_write_leaves_the_old_partition_and_no_temp_files(
    root: DataRoot, monkeypatch: pytest.MonkeyPatch
) -> None:
    part = {"as_of_date": "2026-11-20"}
    write_table(pl.DataFrame({"x": [1]}), root, "s", "t", part)

    def crash(self: pl.DataFrame, path: Path, **_: object) -> None:
        Path(path).write_bytes(b"half a parquet file")
        raise KeyboardInterrupt("killed mid-write")

    monkeypatch.setattr(pl.DataFrame, "write_parquet", crash)
    with pytest.raises(KeyboardInterrupt):
        write_table(pl.DataFrame({"x": [2]}), root, "s", "t", part)
    monkeypatch.undo()
    kept = read_partition(root, "s", "t", part)
    assert kept is not None and kept["x"].to_list() == [1]
    folder = root.table_dir("s", "t") / "as_of_date=2026-11-20"
    assert sorted(p.name for p in folder.iterdir()) == ["part-0.parquet"]


def test_scan_of_a_table_never_written_is_empty_with_the_hinted_schema(root: DataRoot) -> None:
    frame = scan_table(root, "s", "missing", {"x": pl.Int64}).collect()
    assert frame.is_empty() and frame.schema == pl.Schema({"x": pl.Int64})


def test_list_partitions_sees_nested_partitions(root: DataRoot) -> None:
    write_table(pl.DataFrame({"x": [1]}), root, "q", "t", {"source": "a", "partition_date": "d"})
    assert list_partitions(root, "q", "t", "source") == ["a"]
    assert list_partitions(root, "q", "t", "partition_date") == []


def test_data_root_resolution_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAPSCORE_DATA_ROOT", str(tmp_path / "env"))
    assert resolve_data_root(tmp_path / "cli") == tmp_path / "cli"
    assert resolve_data_root() == tmp_path / "env"
    monkeypatch.delenv("CAPSCORE_DATA_ROOT")
    monkeypatch.chdir(tmp_path)
    assert resolve_data_root() == tmp_path / "data"
