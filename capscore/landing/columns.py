"""Line the columns of a file up with the columns a contract expects."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import polars as pl

from capscore.landing.rows import ROW_NUMBER, as_json

EXTRA = "_extra"


@dataclass(frozen=True)
class Conformed:
    frame: pl.DataFrame  # the expected columns in order (absent ones null), _row_number, _extra
    missing: list[str]  # expected columns the file does not have
    extra: list[str]  # the file's unknown columns, kept as JSON in `_extra`


def conform_columns(
    rows: pl.DataFrame, expected: Sequence[str], list_columns: Collection[str]
) -> Conformed:
    present = set(rows.columns)
    missing = [name for name in expected if name not in present]
    extra = [name for name in rows.columns if name not in expected and name != ROW_NUMBER]
    fill = [
        pl.lit(None, pl.List(pl.String) if name in list_columns else pl.String).alias(name)
        for name in missing
    ]
    extra_json = pl.lit(None, pl.String)
    if extra:
        # Null when the row has no value in any unknown column.
        has_value = pl.any_horizontal(pl.col(name).is_not_null() for name in extra)
        extra_json = pl.when(has_value).then(pl.struct(extra).struct.json_encode())
    # A list where the contract expects one value (an array in JSON, a list in
    # Parquet) is kept as its JSON text, for the contract to judge.
    flattened = [
        as_json(pl.col(name)).alias(name)
        for name in expected
        if name in present and name not in list_columns and isinstance(rows.schema[name], pl.List)
    ]
    frame = rows.with_columns(*fill, *flattened).select(
        *expected, ROW_NUMBER, extra_json.alias(EXTRA)
    )
    return Conformed(frame=frame, missing=missing, extra=extra)
