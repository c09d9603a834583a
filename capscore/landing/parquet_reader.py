"""Parquet: list columns are list<string>, dates date32 or ISO strings.

Values are turned back into text (dates as ISO) so that Parquet rows go
through the same contract checks as CSV and JSON Lines rows.
"""

from __future__ import annotations

import io

import polars as pl

from capscore.landing.rows import MALFORMED_SCHEMA, ROW_NUMBER, ParsedRows, as_text


def read_parquet(data: bytes) -> ParsedRows:
    frame = pl.read_parquet(io.BytesIO(data))
    rows = as_text(frame).with_columns(
        pl.int_range(1, frame.height + 1, dtype=pl.Int64).alias(ROW_NUMBER)
    )
    return ParsedRows(rows=rows, malformed=pl.DataFrame(schema=MALFORMED_SCHEMA))
