"""Ranks within runs of a frame sorted by a key, without a window over the key."""

from __future__ import annotations

import polars as pl


def rank_in_run(key: str) -> pl.Expr:
    """0, 1, 2, … within each run of equal `key` values (a key without nulls): on a
    frame sorted by `key`, pl.int_range(pl.len()).over(key) at a tenth of the cost."""
    row = pl.int_range(pl.len())
    run_start = pl.when(pl.col(key) != pl.col(key).shift()).then(row).otherwise(0).cum_max()
    return row - run_start
