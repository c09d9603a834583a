"""A list per row from a few columns, built the fast way.

Polars 2.1 builds `pl.concat_list` of scalar columns and `list.drop_nulls` element by
element: at 1M rows, 0.7 s for three text columns and 0.5 s to drop the nulls (measured
2026-12-07), where a fixed-size array (`pl.concat_arr`) viewed as a list takes 0.04 s
and dropping nulls through `list.eval` 0.05 s, for the same lists.
"""

from __future__ import annotations

import polars as pl


def row_list(*items: pl.Expr) -> pl.Expr:
    """`pl.concat_list(items)` for scalar `items` of one type: their values, in order."""
    return pl.concat_arr(items).arr.to_list()


def present_values(*items: pl.Expr) -> pl.Expr:
    """`pl.concat_list(items).list.drop_nulls()`: the non-null values of scalar `items`,
    in order, as a list per row."""
    return row_list(*items).list.eval(pl.element().drop_nulls())
