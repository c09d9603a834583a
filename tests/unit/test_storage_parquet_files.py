"""Writing frames with list columns in slices: the file holds the same rows, in order."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest
from polars.testing import assert_frame_equal

from capscore.storage import parquet_files
from capscore.storage.parquet_files import write_parquet


@pytest.mark.parametrize("rows", [0, 1, 6, 7, 20])
def test_a_list_frame_reads_back_row_for_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: int
) -> None:
    monkeypatch.setattr(parquet_files, "SLICE_ROWS", 3)
    frame = pl.DataFrame(
        {
            "key": [f"k{i:03d}" for i in range(rows)],
            "reasons": [[f"reason {j}" for j in range(i % 4)] or None for i in range(rows)],
        },
        schema={"key": pl.String, "reasons": pl.List(pl.String)},
    ).sort("key", descending=True)
    path = tmp_path / "frame.parquet"
    write_parquet(frame, path, compression="zstd")
    assert_frame_equal(pl.read_parquet(path), frame)


def test_options_reach_the_writer(tmp_path: Path) -> None:
    path = tmp_path / "frame.parquet"
    write_parquet(pl.DataFrame({"a": [1, 2]}), path, compression="uncompressed")

    assert pq.ParquetFile(path).metadata.row_group(0).column(0).compression == "UNCOMPRESSED"
