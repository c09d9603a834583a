"""The fast row lists equal polars' concat_list / drop_nulls, whatever the nulls."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_series_equal

from capscore.row_lists import present_values, row_list

texts = st.none() | st.text(max_size=20)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(min_value=1, max_value=4).flatmap(
        lambda width: st.lists(st.lists(texts, min_size=width, max_size=width), max_size=30)
    )
)
def test_row_lists_equal_concat_list(rows: list[list[str | None]]) -> None:
    width = len(rows[0]) if rows else 2
    frame = pl.DataFrame(
        {f"c{i}": [row[i] for row in rows] for i in range(width)},
        schema={f"c{i}": pl.String for i in range(width)},
    )
    items = [pl.col(f"c{i}") for i in range(width)] + [pl.lit("tail")]
    expected = frame.select(
        pl.concat_list(items).alias("all"), pl.concat_list(items).list.drop_nulls().alias("kept")
    )
    got = frame.select(row_list(*items).alias("all"), present_values(*items).alias("kept"))
    assert_series_equal(got["all"], expected["all"])
    assert_series_equal(got["kept"], expected["kept"])
