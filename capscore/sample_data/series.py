"""Small helpers to turn numpy arrays into polars Series with nulls."""

from __future__ import annotations

import numpy as np
import polars as pl


def masked(
    name: str, values: np.ndarray | pl.Series, null: np.ndarray, dtype: pl.DataType
) -> pl.Series:
    """`values` as a Series of `dtype`, null where `null` is true."""
    series = values if isinstance(values, pl.Series) else pl.Series(name, values)
    series = series.cast(dtype).alias(name)
    return series.zip_with(pl.Series(~null), pl.repeat(None, null.size, dtype=dtype, eager=True))
