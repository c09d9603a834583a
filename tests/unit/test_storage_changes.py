"""A keyed as-of table stores each date as changes against a base and reads back the state."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from capscore.storage import changes, lake
from capscore.storage.lake import read_partition, write_partition
from capscore.storage.paths import DataRoot
from capscore.storage.tables import Table

KEYED = Table("s", "k", ("as_of_date",), "a keyed test table", keys=("code", "year"))
DAY = date(2026, 11, 20)
SCHEMA: dict[str, pl.DataType] = {
    "code": pl.String(),
    "year": pl.Int64(),
    "amount": pl.Float64(),
    "tags": pl.List(pl.String),
}


@pytest.fixture
def root(tmp_path: Path) -> DataRoot:
    return DataRoot.resolve(tmp_path)


def _state(n: int, bump: int = 0, bumped: int = 3) -> pl.DataFrame:
    """`n` rows; the first `bumped` amounts raised by `bump`."""
    return pl.DataFrame(
        {
            "code": [f"c{i}" for i in range(n)],
            "year": [2020 + i % 3 for i in range(n)],
            "amount": [float(i + (bump if i < bumped else 0)) for i in range(n)],
            "tags": [["a"] if i % 2 else None for i in range(n)],
        },
        schema=SCHEMA,
    )


def _same_rows(left: pl.DataFrame, right: pl.DataFrame) -> None:
    assert_frame_equal(left.sort("code", "year"), right.sort("code", "year"))


def _stored(root: DataRoot, day: date) -> pl.DataFrame:
    found = lake._read_stored(root, KEYED, [day])
    assert found is not None
    return found


def test_a_day_that_changes_little_stores_only_its_changes(root: DataRoot) -> None:
    write_partition(root, KEYED, _state(200), DAY)
    nxt = _state(200, bump=5).filter(pl.col("code") != "c9")
    nxt = pl.concat([nxt, _state(201).tail(1)])
    write_partition(root, KEYED, nxt, DAY + timedelta(days=1))
    stored = _stored(root, DAY + timedelta(days=1))
    # one base row, three changed amounts, one new row, one deleted key
    assert stored[changes.OP].value_counts(sort=True).rows() == [
        ("upsert", 4),
        ("base", 1),
        ("delete", 1),
    ]
    assert changes.base_of(stored) == changes.base_of(_stored(root, DAY))
    again = read_partition(root, KEYED, DAY + timedelta(days=1))
    assert again is not None
    _same_rows(again, nxt)
    first = read_partition(root, KEYED, DAY)
    assert first is not None
    _same_rows(first, _state(200))


def test_a_day_that_changes_much_becomes_a_base_of_its_own(root: DataRoot) -> None:
    write_partition(root, KEYED, _state(20), DAY)
    write_partition(root, KEYED, _state(20, bump=1, bumped=11), DAY + timedelta(days=1))
    first, second = _stored(root, DAY), _stored(root, DAY + timedelta(days=1))
    assert second.height == 1 and changes.base_of(second) != changes.base_of(first)
    again = read_partition(root, KEYED, DAY + timedelta(days=1))
    assert again is not None
    _same_rows(again, _state(20, bump=1, bumped=11))


@pytest.mark.parametrize(("days", "kept"), [(1, True), (20, True), (21, False)])
def test_changes_stay_on_a_base_until_changes_times_days_reach_twice_the_rows(
    root: DataRoot, days: int, kept: bool
) -> None:
    write_partition(root, KEYED, _state(200), DAY)
    later = DAY + timedelta(days=days)
    write_partition(root, KEYED, _state(200, bump=1, bumped=20), later)
    on_base = changes.base_of(_stored(root, later)) == changes.base_of(_stored(root, DAY))
    assert on_base is kept  # 20 changes * 20 days = 400 = 2 * 200 rows


def test_an_empty_state_needs_no_base_and_reads_back_empty(root: DataRoot) -> None:
    write_partition(root, KEYED, _state(0), DAY)
    assert changes.base_of(_stored(root, DAY)) is None
    again = read_partition(root, KEYED, DAY, columns=["code", "amount"])
    assert again is not None and again.is_empty() and again.columns == ["code", "amount"]


def test_repeated_keys_are_stored_whole_and_read_back(root: DataRoot) -> None:
    twice = pl.concat([_state(100), _state(100)])
    write_partition(root, KEYED, _state(100), DAY)
    write_partition(root, KEYED, twice, DAY + timedelta(days=1))
    again = read_partition(root, KEYED, DAY + timedelta(days=1))
    assert again is not None
    _same_rows(again, twice)


def test_a_rebuilt_base_date_leaves_later_dates_as_they_were(root: DataRoot) -> None:
    write_partition(root, KEYED, _state(200), DAY)
    later = _state(200, bump=2)
    write_partition(root, KEYED, later, DAY + timedelta(days=1))
    write_partition(root, KEYED, _state(50), DAY)  # a late drop rewrites the first date
    again = read_partition(root, KEYED, DAY + timedelta(days=1))
    assert again is not None
    _same_rows(again, later)


def test_a_column_subset_reads_only_those_columns(root: DataRoot) -> None:
    write_partition(root, KEYED, _state(200), DAY)
    write_partition(root, KEYED, _state(200, bump=3), DAY + timedelta(days=1))
    again = read_partition(root, KEYED, DAY + timedelta(days=1), columns=["amount"])
    assert again is not None and again.columns == ["amount"]
    assert sorted(again["amount"].to_list()) == sorted(_state(200, bump=3)["amount"].to_list())


def test_a_lazy_scan_of_a_date_stored_as_changes_gives_its_state(root: DataRoot) -> None:
    write_partition(root, KEYED, _state(200), DAY)
    nxt = _state(200, bump=3).filter(pl.col("code") != "c7")
    write_partition(root, KEYED, nxt, DAY + timedelta(days=1))
    scanned = lake.scan_as_of(root, KEYED, DAY + timedelta(days=1))
    # A query on the scan reads the base, not a state loaded before it.
    assert "parquet" in scanned.explain().lower()
    _same_rows(scanned.collect(), nxt)
    raised = scanned.filter(pl.col("amount") > 150.0).collect()
    _same_rows(raised, nxt.filter(pl.col("amount") > 150.0))
    _same_rows(lake.scan_as_of(root, KEYED, DAY).collect(), _state(200))


def test_a_lost_base_is_an_error_that_says_how_to_rebuild(root: DataRoot) -> None:
    write_partition(root, KEYED, _state(10), DAY)
    shutil.rmtree(lake.table_dir(root, KEYED.bases))
    with pytest.raises(lake.MissingPartition, match="run --full"):
        read_partition(root, KEYED, DAY)


def test_unused_bases_are_dropped_and_used_ones_kept(root: DataRoot) -> None:
    write_partition(root, KEYED, _state(20), DAY)
    write_partition(root, KEYED, _state(20, bump=1, bumped=11), DAY + timedelta(days=1))
    lake.delete_partitions(root, KEYED, keep=[(DAY + timedelta(days=1)).isoformat()])
    dropped = lake.drop_unused_bases(root, KEYED)
    assert len(dropped) == 1 and dropped[0].startswith(DAY.isoformat())
    again = read_partition(root, KEYED, DAY + timedelta(days=1))
    assert again is not None
    _same_rows(again, _state(20, bump=1, bumped=11))


def test_a_date_stored_whole_by_an_earlier_capscore_reads_as_it_was(root: DataRoot) -> None:
    unkeyed = Table(KEYED.schema, KEYED.name, KEYED.partition_keys, "the same table, before")
    write_partition(root, unkeyed, _state(30), DAY)
    write_partition(root, unkeyed, _state(0), DAY + timedelta(days=1))
    write_partition(root, KEYED, _state(30, bump=1), DAY + timedelta(days=2))
    for offset, expected in ((0, _state(30)), (1, _state(0)), (2, _state(30, bump=1))):
        again = read_partition(root, KEYED, DAY + timedelta(days=offset))
        assert again is not None
        _same_rows(again, expected)


@pytest.mark.parametrize("rebuilt", [False, True])
def test_a_date_given_as_the_rows_it_keeps_of_the_date_before_stores_what_its_state_would(
    tmp_path: Path, rebuilt: bool
) -> None:
    # Two roots with the same two dates; the third written whole in one, as the keys it
    # keeps of the second plus its other rows in the other (`rebuilt`: the third was
    # built before, so it is the nearest date and the state is written whole).
    second = pl.concat([_state(200, bump=5).filter(pl.col("code") != "c9"), _state(201).tail(1)])
    kept = second.filter(pl.col("code").is_in(["c1", "c50", "c60"]).not_()).select(KEYED.keys)
    # c1 changes again, c50 is written as it was, c202 is new, c60 goes.
    rows = _state(203, bump=7, bumped=2).filter(pl.col("code").is_in(["c1", "c50", "c202"]))
    third = pl.concat([second.join(kept, on=list(KEYED.keys), how="semi"), rows])
    stores, states = [], []
    for name in ("whole", "update"):
        root = DataRoot.resolve(tmp_path / name)
        write_partition(root, KEYED, _state(200), DAY)
        write_partition(root, KEYED, second, DAY + timedelta(days=1))
        if rebuilt:
            write_partition(root, KEYED, _state(10), DAY + timedelta(days=2))
        if name == "whole":
            write_partition(root, KEYED, third.sort(KEYED.keys), DAY + timedelta(days=2))
        else:
            lake.write_partition_update(
                root, KEYED, DAY + timedelta(days=1), kept, rows, DAY + timedelta(days=2)
            )
        again = read_partition(root, KEYED, DAY + timedelta(days=2))
        assert again is not None
        _same_rows(again, third)
        stores.append(_stored(root, DAY + timedelta(days=2)))
        states.append(again)
        assert lake.builds(root, KEYED)["rows"].to_list()[-1] == third.height
    # Read back in the same order too (a new base made of the state is in key order).
    assert_frame_equal(*states)
    whole, update = stores
    if not rebuilt:
        # On the first date's base: c0, c2 and c200 as the second date changed them, c1
        # and c202; c9 and c60 deleted.
        assert update[changes.OP].value_counts(sort=True).rows() == [
            ("upsert", 5),
            ("delete", 2),
            ("base", 1),
        ]
    assert_frame_equal(whole.drop(changes.BASE), update.drop(changes.BASE))


def test_scan_gives_the_state_of_every_date(root: DataRoot) -> None:
    write_partition(root, KEYED, _state(200), DAY)
    write_partition(root, KEYED, _state(200, bump=4), DAY + timedelta(days=1))
    scanned = lake.scan(root, KEYED).collect()
    assert scanned.group_by("as_of_date").len().sort("as_of_date")["len"].to_list() == [200, 200]
    second = scanned.filter(pl.col("as_of_date") == DAY + timedelta(days=1)).drop("as_of_date")
    _same_rows(second, _state(200, bump=4))


_rows = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c", "d", "e", None]),
        st.integers(2020, 2022),
        st.one_of(st.none(), st.floats(allow_nan=True), st.just(-0.0)),
        st.one_of(st.none(), st.lists(st.sampled_from(["x", "y"]), max_size=2)),
    ),
    max_size=15,
)


def _frame(rows: list[tuple[object, ...]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=SCHEMA, orient="row")


# One key column is read back by a filter, several by an anti-join: both, null keys too.
@pytest.mark.parametrize("keys", [("code", "year"), ("code",)])
@settings(max_examples=200, deadline=None)
@given(_rows, _rows)
def test_applying_the_changes_to_the_base_gives_the_state(
    keys: tuple[str, ...], base_rows: list[tuple[object, ...]], state_rows: list[tuple[object, ...]]
) -> None:
    base, state = _frame(base_rows), _frame(state_rows)
    delta = changes.changes(base.lazy(), state, keys)
    if delta is None:  # repeated keys: such a state is stored as a base of its own
        assert base.select(pl.struct(keys).is_duplicated().any()).item() or (
            state.select(pl.struct(keys).is_duplicated().any()).item()
        )
        return
    # A base that stores its rows' fingerprints gives the same changes.
    stored_prints = changes.changes(changes.with_fingerprint(base).lazy(), state, keys)
    assert stored_prints is not None
    assert_frame_equal(stored_prints, delta, check_exact=True)
    rebuilt = changes.scan_applied(base.lazy(), changes.stored(delta, "b"), keys).collect()
    # equal as sets of rows, exact to the bit (NaN, -0.0 and nulls included)
    assert_frame_equal(
        rebuilt.sort(pl.all(), nulls_last=True),
        state.sort(pl.all(), nulls_last=True),
        check_exact=True,
    )


def _unique_keys(frame: pl.DataFrame, keys: tuple[str, ...]) -> pl.DataFrame:
    return frame.unique(list(keys), keep="first", maintain_order=True)


@pytest.mark.parametrize("keys", [("code", "year"), ("code",)])
@settings(max_examples=200, deadline=None)
@given(_rows, _rows, _rows, st.lists(st.booleans(), min_size=15, max_size=15))
def test_changes_since_an_earlier_state_are_the_changes_of_the_state_they_make(
    keys: tuple[str, ...],
    base_rows: list[tuple[object, ...]],
    earlier_rows: list[tuple[object, ...]],
    new_rows: list[tuple[object, ...]],
    keep: list[bool],
) -> None:
    base = changes.with_fingerprint(_unique_keys(_frame(base_rows), keys))
    earlier = _unique_keys(_frame(earlier_rows), keys)
    stored = changes.changes(base.lazy(), earlier, keys)
    assert stored is not None
    # The earlier rows a later date keeps, and its other rows (of keys it does not keep).
    kept = earlier.filter(pl.Series(keep[: earlier.height], dtype=pl.Boolean)).select(keys)
    rows = _unique_keys(_frame(new_rows), keys).join(kept, on=keys, how="anti", nulls_equal=True)
    found = changes.changes_since(base.lazy(), changes.stored(stored, "b"), kept, rows, keys)
    assert found is not None
    state = pl.concat([earlier.join(kept, on=keys, how="semi", nulls_equal=True), rows]).sort(
        list(keys), maintain_order=True
    )
    expected = changes.changes(base.lazy(), state, keys)
    assert expected is not None
    assert_frame_equal(found[0], expected, check_exact=True)
    assert found[1] == state.height


def test_changes_since_refuse_what_the_earlier_state_cannot_give() -> None:
    state = _frame([("a", 2020, 1.0, None), ("b", 2020, 2.0, None)])
    base = changes.with_fingerprint(state)
    keys = ("code", "year")
    unchanged = changes.changes(base.lazy(), state, keys)
    assert unchanged is not None
    earlier = changes.stored(unchanged, "b")
    unknown = _frame([("z", 2020, 0.0, None)]).select(keys)
    again = _frame([("a", 2020, 5.0, None)])
    assert changes.changes_since(base.lazy(), earlier, unknown, again.clear(), keys) is None
    assert changes.changes_since(base.lazy(), earlier, again.select(keys), again, keys) is None


@pytest.mark.parametrize("collides", ["keys", "base"])
def test_changes_since_give_way_when_key_hashes_collide(
    collides: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Keys are looked up in the base by a 64-bit hash: a hash shared by two keys (the
    # looked-up one and another, or two of the base's) must not pass for a match.
    state = _frame([("a", 2020, 1.0, None), ("b", 2020, 2.0, None), ("c", 2021, 3.0, None)])
    base = changes.with_fingerprint(state)
    keys = ("code", "year")
    unchanged = changes.changes(base.lazy(), state, keys)
    assert unchanged is not None
    earlier = changes.stored(unchanged, "b")
    kept = state.filter(pl.col("code") != "c").select(keys)
    rows = _frame([("c", 2021, 9.0, None)])
    assert changes.changes_since(base.lazy(), earlier, kept, rows, keys) is not None
    shared = pl.col("code") == ("z" if collides == "keys" else "c")
    monkeypatch.setattr(
        changes,
        "_key_hash",
        lambda _: (
            pl.when(shared | (pl.col("code") == "a"))
            .then(0)
            .otherwise(pl.col("year"))
            .cast(pl.UInt64)
            .alias(changes._KEY_HASH)
        ),
    )
    if collides == "keys":  # "a" goes, "z" comes and hashes as "a" in the base does
        kept = state.filter(pl.col("code") != "a").select(keys)
        rows = _frame([("z", 2021, 9.0, None)])
    assert changes.changes_since(base.lazy(), earlier, kept, rows, keys) is None


@pytest.mark.parametrize("null_changes", [False, True])
def test_a_null_key_reads_back_whether_or_not_it_changed(null_changes: bool) -> None:
    base = _frame([(None, 2020, 1.0, None), ("a", 2020, 2.0, None), ("b", 2021, 3.0, None)])
    state = _frame([(None, 2020, 9.0 if null_changes else 1.0, None), ("a", 2020, 5.0, None)])
    delta = changes.changes(base.lazy(), state, ("code",))
    assert delta is not None
    rebuilt = changes.scan_applied(base.lazy(), changes.stored(delta, "b"), ("code",)).collect()
    assert_frame_equal(rebuilt.sort("code"), state.sort("code"))


def test_a_base_s_stored_fingerprints_are_what_its_rows_are_compared_by() -> None:
    state = _frame([("a", 2020, 1.0, ["x"]), ("b", 2021, 2.0, None)])
    base = changes.with_fingerprint(state)
    assert changes.changes(base.lazy(), state, KEYED.keys).height == 0  # type: ignore[union-attr]
    # A fingerprint that no longer matches its row's values marks the row changed: the
    # diff read it instead of hashing the base's values again.
    tampered = base.with_columns(
        pl.when(pl.col("code") == "b")
        .then(pl.col(changes.FINGERPRINT) + 1)
        .otherwise(pl.col(changes.FINGERPRINT))
    )
    delta = changes.changes(tampered.lazy(), state, KEYED.keys)
    assert delta is not None and delta["code"].to_list() == ["b"]


def test_column_names_are_the_rows_columns_alone(root: DataRoot) -> None:
    assert lake.column_names(root, KEYED) == []
    write_partition(root, KEYED, _state(200), DAY)
    write_partition(root, KEYED, _state(200, bump=3), DAY + timedelta(days=1))
    assert lake.column_names(root, KEYED) == list(SCHEMA)
