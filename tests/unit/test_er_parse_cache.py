"""The registry parses a run keeps for the next: read back only when made by this code."""

from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

from capscore.entity_resolution.normalize import PARSED_SCHEMA, parse_names
from capscore.entity_resolution.parse_cache import (
    PREFIX,
    cache_file,
    read_parsed,
    write_parsed,
)

NAMES = pl.Series(
    ["嘉兴市华达科技有限公司", "浙江新材料股份有限公司", "Jiaxing Huada Technology Co., Ltd."]
)


def test_a_written_cache_reads_back_as_parsed(tmp_path: Path) -> None:
    parsed = parse_names(NAMES)
    assert read_parsed(tmp_path) is None
    write_parsed(tmp_path, parsed)
    assert_frame_equal(read_parsed(tmp_path), parsed)  # type: ignore[arg-type]


def test_a_cache_of_other_code_is_never_read_and_is_removed(tmp_path: Path) -> None:
    other = tmp_path / f"{PREFIX}0000000000000000-polars0.0.parquet"
    parse_names(NAMES).write_parquet(other)
    assert read_parsed(tmp_path) is None
    write_parsed(tmp_path, parse_names(NAMES))
    assert sorted(p.name for p in tmp_path.iterdir()) == [cache_file(tmp_path).name]


def test_an_unreadable_or_foreign_cache_is_a_miss(tmp_path: Path) -> None:
    path = cache_file(tmp_path)
    path.write_bytes(b"not parquet")
    assert read_parsed(tmp_path) is None
    pl.DataFrame({"name": ["x"]}).write_parquet(path)
    assert read_parsed(tmp_path) is None
    pl.DataFrame(schema=PARSED_SCHEMA).write_parquet(path)
    read = read_parsed(tmp_path)
    assert read is not None and read.is_empty()
