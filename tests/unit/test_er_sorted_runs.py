"""rank_in_run: the rank within runs of a sorted key (entity_resolution/sorted_runs.py)."""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from capscore.entity_resolution.sorted_runs import rank_in_run


@given(st.lists(st.sampled_from(["a", "b", "ab", "", "嘉兴"]), max_size=40))
def test_rank_in_run_is_the_rank_over_the_key_on_a_sorted_frame(keys: list[str]) -> None:
    frame = pl.DataFrame({"k": keys}, schema={"k": pl.String}).sort("k")
    expected = frame.select(pl.int_range(pl.len()).over("k").alias("r"))
    assert frame.select(rank_in_run("k").alias("r")).equals(expected)
