"""latest_per_key: one row per key, the last version by the order, and what its first had."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from capscore.core.point_in_time import latest_per_key

_rows = st.lists(
    st.tuples(
        st.one_of(st.none(), st.sampled_from(["a", "b", "c"])),
        st.one_of(st.none(), st.integers(2020, 2021)),
        st.one_of(st.none(), st.integers(0, 3)),
        st.integers(0, 5),
    ),
    max_size=25,
)


@settings(max_examples=300, deadline=None)
@given(_rows)
def test_each_key_keeps_its_last_version_and_its_first_version_s_value(
    rows: list[tuple[object, ...]],
) -> None:
    frame = pl.DataFrame(
        rows,
        schema={"code": pl.String, "year": pl.Int64, "version": pl.Int64, "row": pl.Int64},
        orient="row",
    )
    key, order = ["code", "year"], ["version", "row"]
    got = latest_per_key(frame, key, order, {"version": "first_version"})
    ordered = frame.sort([*key, *order], nulls_last=False)
    expected = ordered.unique(subset=key, keep="last", maintain_order=True).join(
        ordered.unique(subset=key, keep="first", maintain_order=True).select(
            *key, pl.col("version").alias("first_version")
        ),
        on=key,
        how="left",
        nulls_equal=True,
        maintain_order="left",
    )
    assert_frame_equal(got, expected)
