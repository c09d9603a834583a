"""The reach test's keys a run keeps for the next: read back only when made by this code."""

from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

from capscore.entity_resolution.parse_cache import (
    REACH_PREFIX,
    cache_file,
    read_reach_keys,
    write_reach_keys,
)
from capscore.entity_resolution.reach_keys import KEYS_SCHEMA

KEYS = pl.DataFrame({column: [None] for column in KEYS_SCHEMA}, schema=KEYS_SCHEMA).with_columns(
    mention_name=pl.lit("嘉兴市华达科技有限公司"), keys=pl.lit(["华达科技"])
)


def test_kept_keys_read_back_as_written(tmp_path: Path) -> None:
    assert read_reach_keys(tmp_path) is None
    write_reach_keys(tmp_path, KEYS)
    assert_frame_equal(read_reach_keys(tmp_path), KEYS)  # type: ignore[arg-type]


def test_keys_of_other_code_are_never_read_and_are_removed(tmp_path: Path) -> None:
    other = tmp_path / f"{REACH_PREFIX}0000000000000000-polars0.0.parquet"
    KEYS.write_parquet(other)
    assert read_reach_keys(tmp_path) is None
    write_reach_keys(tmp_path, KEYS)
    assert sorted(p.name for p in tmp_path.iterdir()) == [cache_file(tmp_path).name]


def test_unreadable_or_foreign_keys_are_a_miss(tmp_path: Path) -> None:
    path = cache_file(tmp_path)
    path.write_bytes(b"not parquet")
    assert read_reach_keys(tmp_path) is None
    pl.DataFrame({"name": ["x"]}).write_parquet(path)
    assert read_reach_keys(tmp_path) is None
    KEYS.clear().write_parquet(path)
    read = read_reach_keys(tmp_path)
    assert read is not None and read.is_empty()
