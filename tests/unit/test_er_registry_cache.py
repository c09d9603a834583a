"""The prepared registry kept for the next run: read back whole for the same rows, the
base of the next for other rows, and either way what preparing from scratch gives."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal, assert_series_equal

from capscore.entity_resolution.candidates import Blocks
from capscore.entity_resolution.registry import (
    PreparedRegistry,
    changed_firms,
    firm_rows,
    prepare_registry,
)
from capscore.entity_resolution.registry_cache import (
    PARTS,
    prepared_registry,
    read_prepared,
    registry_digest,
)
from tests.unit.test_er_determinism import ENTERPRISES, HISTORY
from tests.unit.test_er_incremental import (
    MOVED_LATER,
    RECODED_LATER,
    RENAMED_LATER,
    _later_registry,
)


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


def test_a_registry_made_once_reads_back_as_made(tmp_path: Path) -> None:
    made = prepared_registry(tmp_path, ENTERPRISES, HISTORY, full=False)
    kept = list(tmp_path.iterdir())
    mtimes = {p: p.stat().st_mtime_ns for p in kept}
    read = prepared_registry(tmp_path, ENTERPRISES, HISTORY, full=False)
    _assert_same(read, made)
    _assert_same(read, prepare_registry(ENTERPRISES, HISTORY))
    assert {p: p.stat().st_mtime_ns for p in tmp_path.iterdir()} == mtimes  # read, not made
    # A full run makes it again.
    prepared_registry(tmp_path, ENTERPRISES, HISTORY, full=True)
    assert all(p.stat().st_mtime_ns > mtimes[p] for p in kept)


def test_a_registry_made_from_the_one_kept_for_other_rows_is_the_whole(tmp_path: Path) -> None:
    # Both ways: the later date has firms, names and places the earlier lacks, and the
    # other way round.
    earlier = (ENTERPRISES, HISTORY)
    later = _later_registry(recoded=True)
    for done, wanted in ((earlier, later), (later, earlier)):
        folder = tmp_path / str(len(list(tmp_path.iterdir())))
        prepared_registry(folder, *done, full=False)
        made = prepared_registry(folder, *wanted, full=False)
        _assert_same(made, prepare_registry(*wanted))


def test_changed_firms_are_the_ones_with_a_row_on_one_side_only() -> None:
    ent, hist = _later_registry(recoded=True)
    changed = set()
    for before, after in ((ENTERPRISES, ent), (HISTORY, hist)):
        changed |= set(changed_firms(firm_rows(before), firm_rows(after)).to_list())
    codes = ENTERPRISES["credit_code"]
    arriving = set(ent["credit_code"]) - set(codes)
    assert arriving
    assert {codes[RENAMED_LATER], codes[MOVED_LATER], codes[RECODED_LATER]} | arriving <= changed
    assert len(changed) <= len(arriving) + 3 + 1  # the renamed firm's history row too
    # A row repeated is a change of its firm.
    doubled = pl.concat([ENTERPRISES, ENTERPRISES.head(1)])
    assert changed_firms(firm_rows(ENTERPRISES), firm_rows(doubled)).to_list() == [codes[0]]


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


def test_a_half_written_set_is_a_miss_and_a_new_one_replaces_the_old(tmp_path: Path) -> None:
    prepared_registry(tmp_path, ENTERPRISES, HISTORY, full=False)
    digest = registry_digest(ENTERPRISES, HISTORY)
    assert read_prepared(tmp_path, digest) is not None
    part = next(tmp_path.glob(f"*-{digest}-{PARTS[-1]}.parquet"))
    part.unlink()
    assert read_prepared(tmp_path, digest) is None
    # ...and not read as the registry of other rows either: made from scratch.
    fewer = ENTERPRISES.head(20)
    made = prepared_registry(tmp_path, fewer, HISTORY, full=False)
    _assert_same(made, prepare_registry(fewer, HISTORY))
    assert read_prepared(tmp_path, registry_digest(fewer, HISTORY)) is not None
    assert {p.name.split("-")[1] for p in tmp_path.iterdir()} == {registry_digest(fewer, HISTORY)}
