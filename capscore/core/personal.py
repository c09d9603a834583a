"""Personal data leaves the raw layer masked (data minimization).

Nothing after the raw layer needs a legal representative's or an inventor's
name, so core stores them masked (first character, then `*`): a derived table
can then be read by anyone the warehouse lets in. The raw layer and the landing
files keep the names as received.
"""

from __future__ import annotations

import polars as pl

PERSONAL_COLUMNS = ("legal_representative",)
PERSONAL_LIST_COLUMNS = ("inventors",)


def mask_name(name: pl.Expr) -> pl.Expr:
    """张三丰 -> 张**: the first character, then one * per further character (at least one)."""
    length = name.str.len_chars()
    return (
        pl.when(length == 0)
        .then(pl.lit("*"))
        .otherwise(name.str.slice(0, 1).str.pad_end(pl.max_horizontal(length, 2), "*"))
    )


def mask_personal(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with every personal column it has masked."""
    return frame.with_columns(
        *[mask_name(pl.col(c)).alias(c) for c in PERSONAL_COLUMNS if c in frame.columns],
        *[
            pl.col(c).list.eval(mask_name(pl.element())).alias(c)
            for c in PERSONAL_LIST_COLUMNS
            if c in frame.columns
        ],
    )
