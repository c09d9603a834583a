"""The prepared registry kept for the next run: read back whole, for the same rows only."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal, assert_series_equal

from capscore.entity_resolution.candidates import Blocks
from capscore.entity_resolution.registry import PreparedRegistry, prepare_registry
from capscore.entity_resolution.registry_cache import (
    PARTS,
    read_prepared,
    registry_digest,
    write_prepared,
)
from tests.unit.test_er_determinism import ENTERPRISES, HISTORY


def _assert_same(read: PreparedRegistry, prepared: PreparedRegistry) -> None:
    assert_frame_equal(read.enterprises, prepared.enterprises)
    assert_frame_equal(read.names, prepared.names)
    for field in fields(prepared.index):
        kept, made = getattr(read.index, field.name), getattr(prepared.index, field.name)
        if isinstance(made, Blocks):
            assert_frame_equal(kept.all, made.all)
            assert_frame_equal(kept.local, made.local)
        elif isinstance(made, pl.Series):
            assert_series_equal(kept, made)
        else:
            assert_frame_equal(kept, made)


def test_a_kept_registry_reads_back_as_prepared(tmp_path: Path) -> None:
    prepared = prepare_registry(ENTERPRISES, HISTORY)
    digest = registry_digest(ENTERPRISES, HISTORY)
    write_prepared(tmp_path, digest, prepared)
    read = read_prepared(tmp_path, digest)
    assert read is not None
    _assert_same(read, prepared)


def test_the_digest_is_the_rows_not_their_order() -> None:
    digest = registry_digest(ENTERPRISES, HISTORY)
    shuffled = ENTERPRISES.sample(fraction=1.0, shuffle=True, seed=3)
    assert registry_digest(shuffled, HISTORY.reverse()) == digest
    renamed = ENTERPRISES.with_columns(
        pl.when(pl.int_range(pl.len()) == 5).then(pl.lit("嘉兴新名科技有限公司")).otherwise("name")
    )
    assert registry_digest(renamed, HISTORY) != digest
    assert registry_digest(ENTERPRISES, HISTORY.head(HISTORY.height - 1)) != digest
    # A row repeated is another registry than the row once.
    doubled = pl.concat([ENTERPRISES, ENTERPRISES.head(1)])
    assert registry_digest(doubled, HISTORY) != digest
    assert registry_digest(ENTERPRISES.drop("established_date"), HISTORY) != digest


def test_other_rows_or_a_half_written_set_are_a_miss(tmp_path: Path) -> None:
    prepared = prepare_registry(ENTERPRISES, HISTORY)
    digest = registry_digest(ENTERPRISES, HISTORY)
    write_prepared(tmp_path, digest, prepared)
    assert read_prepared(tmp_path, registry_digest(ENTERPRISES.head(10), HISTORY)) is None
    (tmp_path / f"{digest}-{PARTS[-1]}.parquet").unlink()
    assert read_prepared(tmp_path, digest) is None


def test_keeping_another_registry_removes_the_earlier(tmp_path: Path) -> None:
    write_prepared(tmp_path, "a" * 16, prepare_registry(ENTERPRISES, HISTORY))
    fewer = ENTERPRISES.head(20)
    digest = registry_digest(fewer, HISTORY)
    write_prepared(tmp_path, digest, prepare_registry(fewer, HISTORY))
    assert read_prepared(tmp_path, "a" * 16) is None
    assert {p.name.split("-")[0] for p in tmp_path.iterdir()} == {digest}
